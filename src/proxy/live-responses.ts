/**
 * The responses in flight, so that graceful shutdown can end the ones still running at its deadline (a
 * stream gets a terminal error event).
 *
 * An intrusive doubly-linked list rather than a `Set` of callbacks: with one add and one delete per request,
 * V8's hash-set backing store keeps being rebuilt, and once a store has been promoted to the old
 * generation it kept every request's graph (handler, context, buffers) alive through young-generation GCs:
 * about 6 KB promoted per request and most of the proxy's GC time in `npm run bench:proxy`. Unlinking
 * clears every pointer, so a finished request is garbage at once.
 */

/** One registered response; pass it back to {@link LiveResponses.delete}. */
export interface LiveEntry {
  readonly cut: () => void;
}

class Node implements LiveEntry {
  prev: Node | undefined = undefined;
  next: Node | undefined = undefined;
  linked = true;
  constructor(readonly cut: () => void) {}
}

export class LiveResponses {
  #head: Node | undefined;
  #size = 0;
  #stopped = false;

  /** True once `cutAll()` ran: no new attempt may start. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Registers a response's cut callback (called by `cutAll`). */
  add(cut: () => void): LiveEntry {
    const node = new Node(cut);
    const head = this.#head;
    if (head) {
      node.next = head;
      head.prev = node;
    }
    this.#head = node;
    this.#size += 1;
    return node;
  }

  /** Unregisters a response; harmless if already removed. */
  delete(entry: LiveEntry): void {
    const node = entry as Node;
    if (!node.linked) return;
    node.linked = false;
    const { prev, next } = node;
    if (prev) prev.next = next;
    else this.#head = next;
    if (next) next.prev = prev;
    node.prev = node.next = undefined;
    this.#size -= 1;
  }

  /** Ends every response in flight and refuses new attempts. */
  cutAll(): void {
    this.#stopped = true;
    // Collected first: a cut unregisters its own entry (and may register nothing new: `stopped` is set).
    const cuts: Array<() => void> = [];
    for (let n = this.#head; n; n = n.next) cuts.push(n.cut);
    for (const cut of cuts) cut();
  }

  get size(): number {
    return this.#size;
  }
}

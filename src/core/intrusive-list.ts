/**
 * A doubly-linked list whose nodes are the registered objects themselves: append and unlink are O(1) and
 * allocate nothing. For per-request registrations in long-lived containers (in-flight responses,
 * deadlines): a `Set` with one add and one delete per request kept rebuilding its backing store, and a
 * promoted store kept every request's objects alive through young-generation GCs (docs/architecture.md,
 * hot-path rules). Unlinking clears the node's pointers, so a finished request is garbage at once.
 */

/** Base class of list nodes. A node belongs to at most one list at a time. */
export class ListNode {
  prev: this | undefined = undefined;
  next: this | undefined = undefined;
  /** True while the node is in a list. */
  linked = false;
}

export class IntrusiveList<N extends ListNode> {
  #head: N | undefined;
  #tail: N | undefined;
  #size = 0;

  /** The oldest node, or undefined when empty. */
  get head(): N | undefined {
    return this.#head;
  }

  get size(): number {
    return this.#size;
  }

  /** Adds `node` at the tail; it must not be linked. */
  append(node: N): void {
    node.linked = true;
    node.next = undefined;
    const tail = this.#tail;
    node.prev = tail;
    if (tail) tail.next = node;
    else this.#head = node;
    this.#tail = node;
    this.#size += 1;
  }

  /** Removes `node`; harmless if it is not linked. */
  unlink(node: N): void {
    if (!node.linked) return;
    node.linked = false;
    const { prev, next } = node;
    if (prev) prev.next = next;
    else this.#head = next;
    if (next) next.prev = prev;
    else this.#tail = prev;
    node.prev = node.next = undefined;
    this.#size -= 1;
  }

  /** Removes every node (their pointers cleared) and returns them, oldest first. */
  drain(): N[] {
    const nodes: N[] = [];
    for (let n = this.#head; n; n = this.#head) {
      this.unlink(n);
      nodes.push(n);
    }
    return nodes;
  }
}

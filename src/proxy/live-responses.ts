/**
 * The responses in flight, so that graceful shutdown can end the ones still running at its deadline (a
 * stream gets a terminal error event). An intrusive list rather than a `Set` of callbacks: one add and one
 * delete per request in a long-lived `Set` cost about 6 KB promoted to the old generation per request (see
 * src/core/intrusive-list.ts).
 */
import { IntrusiveList, ListNode } from '../core/intrusive-list.js';

/** One registered response; pass it back to {@link LiveResponses.delete}. */
export interface LiveEntry {
  readonly cut: () => void;
}

class Entry extends ListNode implements LiveEntry {
  constructor(readonly cut: () => void) {
    super();
  }
}

export class LiveResponses {
  readonly #entries = new IntrusiveList<Entry>();
  #stopped = false;

  /** True once `cutAll()` ran: no new attempt may start. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Registers a response's cut callback (called by `cutAll`). */
  add(cut: () => void): LiveEntry {
    const entry = new Entry(cut);
    this.#entries.append(entry);
    return entry;
  }

  /** Unregisters a response; harmless if already removed. */
  delete(entry: LiveEntry): void {
    this.#entries.unlink(entry as Entry);
  }

  /** Ends every response in flight and refuses new attempts. */
  cutAll(): void {
    this.#stopped = true;
    // Taken off the list first: a cut unregisters its own entry (and no new one comes: `stopped` is set).
    for (const entry of this.#entries.drain()) entry.cut();
  }

  get size(): number {
    return this.#entries.size;
  }
}

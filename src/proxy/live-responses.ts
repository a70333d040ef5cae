/**
 * The responses in flight, so that graceful shutdown can end the ones still running at its deadline (a
 * stream gets a terminal error event). An intrusive list rather than a `Set` of callbacks: one add and one
 * delete per request in a long-lived `Set` cost about 6 KB promoted to the old generation per request (see
 * src/core/intrusive-list.ts). The registered objects are the list's nodes, so registering allocates
 * nothing: an open stream holds no entry or callback of its own for this.
 */
import { IntrusiveList, ListNode } from '../core/intrusive-list.js';

/** A response that shutdown can cut; a node of at most one list (this one). */
export abstract class LiveResponse extends ListNode {
  /** Ends the response now, as graceful shutdown does at its deadline. */
  abstract cutForShutdown(): void;
}

export class LiveResponses {
  readonly #entries = new IntrusiveList<LiveResponse>();
  #stopped = false;

  /** True once `cutAll()` ran: no new attempt may start. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Registers a response (which must not be registered already). */
  add(response: LiveResponse): void {
    this.#entries.append(response);
  }

  /** Unregisters a response; harmless if already removed. */
  delete(response: LiveResponse): void {
    this.#entries.unlink(response);
  }

  /** Ends every response in flight and refuses new attempts. */
  cutAll(): void {
    this.#stopped = true;
    // Taken off the list first: a cut unregisters itself (and no new one comes: `stopped` is set).
    for (const response of this.#entries.drain()) response.cutForShutdown();
  }

  get size(): number {
    return this.#entries.size;
  }
}

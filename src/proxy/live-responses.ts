/**
 * The responses in flight, so that graceful shutdown can end the ones still running at its deadline (a
 * stream gets a terminal error event). A plain set of callbacks: cheaper on the hot path than an
 * AbortSignal listener per attempt.
 */
export class LiveResponses {
  readonly #cuts = new Set<() => void>();
  #stopped = false;

  /** True once `cutAll()` ran: no new attempt may start. */
  get stopped(): boolean {
    return this.#stopped;
  }

  add(cut: () => void): void {
    this.#cuts.add(cut);
  }

  delete(cut: () => void): void {
    this.#cuts.delete(cut);
  }

  /** Ends every response in flight and refuses new attempts. */
  cutAll(): void {
    this.#stopped = true;
    for (const cut of [...this.#cuts]) cut();
  }

  get size(): number {
    return this.#cuts.size;
  }
}

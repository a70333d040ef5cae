/**
 * A global retry budget, so that retries cannot turn a partial outage into a full one (Envoy's
 * `retry_budget`): at any moment, the requests that are on a retry may not exceed `percent` of the requests
 * in flight, except that `minConcurrent` retries are always allowed (so a quiet system still retries).
 */
export class RetryBudget {
  #inflight = 0;
  #retrying = 0;

  /**
   * @param percent share of in-flight requests that may be retrying at once (default in config: 20)
   * @param minConcurrent retries always allowed regardless of load (default in config: 3)
   */
  constructor(
    private readonly percent: number,
    private readonly minConcurrent: number,
  ) {}

  /**
   * A request entered; call {@link leave} exactly once when it is over. A pair of calls rather than a
   * returned release function: a stream holds whatever it is given for its whole life (docs/architecture.md,
   * hot-path rules), so the caller keeps a flag instead of a closure.
   */
  enter(): void {
    this.#inflight += 1;
  }

  /** A request that entered is over. */
  leave(): void {
    this.#inflight -= 1;
  }

  /**
   * Asks to retry: true when the budget allows it, and then the caller holds one retry until it calls
   * {@link releaseRetry}, once, when its request is over.
   */
  tryRetry(): boolean {
    const allowed = Math.max(this.minConcurrent, Math.floor((this.#inflight * this.percent) / 100));
    if (this.#retrying >= allowed) return false;
    this.#retrying += 1;
    return true;
  }

  /** Gives back a retry granted by {@link tryRetry}. */
  releaseRetry(): void {
    this.#retrying -= 1;
  }

  /** For metrics and tests. */
  get retrying(): number {
    return this.#retrying;
  }
  get inflight(): number {
    return this.#inflight;
  }
}

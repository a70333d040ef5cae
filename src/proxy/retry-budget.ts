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

  /** A request entered; returns its exit function (idempotent). */
  enter(): () => void {
    this.#inflight += 1;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#inflight -= 1;
    };
  }

  /** Asks to retry; returns a release function, or undefined when the budget is spent. */
  tryRetry(): (() => void) | undefined {
    const allowed = Math.max(this.minConcurrent, Math.floor((this.#inflight * this.percent) / 100));
    if (this.#retrying >= allowed) return undefined;
    this.#retrying += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#retrying -= 1;
    };
  }

  /** For metrics and tests. */
  get retrying(): number {
    return this.#retrying;
  }
  get inflight(): number {
    return this.#inflight;
  }
}

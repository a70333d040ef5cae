/**
 * Injected time. Everything that measures or schedules by time takes a `Clock` so that tests and the
 * simulator can substitute a virtual one.
 */
export interface Clock {
  /** Monotonic milliseconds (fractional), like `performance.now()`. Never goes backwards. */
  now(): number;
}

/** The real monotonic clock. */
export const systemClock: Clock = { now: () => performance.now() };

/** A clock that only moves when told to: for unit tests of timing logic. */
export class ManualClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.t += ms;
  }
}

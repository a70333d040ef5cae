/**
 * Drives a virtual-clock engine in real time with one timer. Virtual time is `(wall − origin) × timeScale`;
 * the timer is set for the engine's next event and, when it fires, the engine advances to the current
 * virtual time. Steps are planned on the engine's own clock (back to back), so timer jitter delays delivery
 * a little but never accumulates; if the event loop falls behind, the next firing runs the overdue steps at
 * once, and the lag is measured. With nothing to do there is no timer at all.
 */
import { type Clock, systemClock } from '../core/clock.js';
import type { EngineRequest, EngineRequestSpec, SimEngine, TokenSink } from './engine-types.js';

/** How far behind the model the driver has run (all in wall milliseconds). */
export interface DriverLag {
  /** Timer firings. */
  ticks: number;
  /** Mean delay between an event's due time and its processing. */
  meanMs: number;
  /** Largest such delay. */
  maxMs: number;
}

/** Runs `engine` against the wall clock, `timeScale` times faster than real time. */
export class RealtimeDriver {
  private readonly origin: number;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Number.POSITIVE_INFINITY;
  private ticks = 0;
  private lagSum = 0;
  private lagMax = 0;
  private closed = false;

  constructor(
    readonly engine: SimEngine,
    readonly timeScale = 1,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(timeScale > 0)) throw new RangeError('timeScale must be > 0');
    this.origin = clock.now();
  }

  /** The current virtual time, ms. */
  virtualNow(): number {
    return (this.clock.now() - this.origin) * this.timeScale;
  }

  /** Converts a virtual duration (ms) to wall milliseconds. */
  toWallMs(virtualMs: number): number {
    return virtualMs / this.timeScale;
  }

  /**
   * Submits a request. `arrival` (virtual ms, default now) is when its first byte reached the server: the real
   * time spent reading and parsing it then counts against the model's request overhead `T_api` instead of
   * adding to it. Throws like `SimEngine.submit`.
   */
  submit(spec: EngineRequestSpec, sink: TokenSink, arrival?: number): EngineRequest {
    const now = this.virtualNow();
    // Bring the engine up to now first, so an idle engine's clock is not behind the arrival.
    this.engine.advanceTo(now);
    const req = this.engine.submit(spec, sink, Math.min(arrival ?? now, now));
    this.schedule();
    return req;
  }

  /** Cancels a request (client gone); its KV blocks are freed at once. */
  cancel(req: EngineRequest): void {
    this.engine.cancel(req);
  }

  /** Timer-lag statistics. */
  lag(): DriverLag {
    return { ticks: this.ticks, meanMs: this.ticks ? this.lagSum / this.ticks : 0, maxMs: this.lagMax };
  }

  /** Stops the timer; the engine keeps its state. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.closed) return;
    const next = this.engine.nextEventAt();
    if (next === undefined) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.timerDue = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.timer && this.timerDue <= next) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = next;
    const delay = Math.max(0, (next - this.virtualNow()) / this.timeScale);
    this.timer = setTimeout(() => this.tick(), delay);
  }

  private tick(): void {
    this.timer = undefined;
    const due = this.timerDue;
    this.timerDue = Number.POSITIVE_INFINITY;
    const now = this.virtualNow();
    const lag = Math.max(0, (now - due) / this.timeScale);
    this.ticks++;
    this.lagSum += lag;
    if (lag > this.lagMax) this.lagMax = lag;
    this.engine.advanceTo(now);
    this.schedule();
  }
}

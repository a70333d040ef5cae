/**
 * Passive health (outlier ejection, as in Envoy): the proxy reports the outcome of every upstream attempt
 * and an endpoint that keeps failing is ejected — no new requests — for a while.
 *
 * Rules, all per endpoint incarnation:
 * - Only upstream faults are failures (connect errors, resets, timeouts, 5xx). The proxy classifies: a 4xx
 *   other than 429 is a success for health, a 429 is neither (it cools the endpoint down, see below).
 * - `consecutiveFailures` failures in a row eject for `baseEjectionMs × 2^ejections`, capped at
 *   `maxEjectionMs` (`ejections` counts earlier ejections; `pool.updateHealth` increments it). A success
 *   resets the run.
 * - An ejection ends by time (the pool compares `ejectedUntil` with the clock). We notice the end with an
 *   unref'd timer — or on the next report, whichever comes first — and push the 'restored' transition.
 * - After an ejection the endpoint is on probation: its first failure re-ejects it at once, for the doubled
 *   time; its first success ends probation.
 * - `ejections` goes back to 0 once the endpoint has been out of ejection and probation for `resetAfterMs`
 *   (default 10 × `baseEjectionMs`), so an incident last week does not lengthen today's first ejection.
 * - Never eject past `maxEjectionPercent` of the current snapshot ((ejected + 1) × 100 ≤ percent × size),
 *   and never the last endpoint that is enabled, healthy and not ejected. A blocked ejection is retried on
 *   the next failure. Note that a small percentage can forbid ejection in a small pool (10% of 3 < 1).
 * - A 429 cools the endpoint down for `Retry-After` (passed in ms, capped at 5 min) or `cooldownMs`; it
 *   does not count toward ejection and does not reset the failure run.
 *
 * With `enabled: false` nothing changes routing (no ejection, no cool-down); totals are still counted.
 */

import type { Config } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import type { Endpoint, EndpointState } from '../endpoint.js';
import type { Pool } from '../pool.js';
import { type Schedule, systemSchedule } from './timers.js';

/** Upper bound on a cool-down taken from an upstream's `Retry-After`, so a bad header can't park an endpoint. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

export interface PassiveHealthOptions {
  /** Timer source for noticing ejection ends. Default: real `setTimeout`, unref'd. */
  schedule?: Schedule;
  /** Time out of ejection and probation after which `ejections` resets to 0. Default 10 × `baseEjectionMs`. */
  resetAfterMs?: number;
}

/** Passive bookkeeping that the pool's `EndpointState` has no field for. */
interface Outlier {
  probation: boolean;
  /** Clock time at which the last ejection ended (0: never ejected). */
  restoredAt: number;
  cancelTimer: (() => void) | undefined;
}

export class PassiveHealth {
  readonly #schedule: Schedule;
  readonly #resetAfterMs: number;
  readonly #outliers = new WeakMap<EndpointState, Outlier>();
  readonly #timers = new Set<() => void>();

  constructor(
    private readonly pool: Pool,
    private readonly config: Config['health']['passive'],
    private readonly clock: Clock,
    options: PassiveHealthOptions = {},
  ) {
    this.#schedule = options.schedule ?? systemSchedule;
    this.#resetAfterMs = options.resetAfterMs ?? 10 * config.baseEjectionMs;
  }

  /** An attempt succeeded (including 4xx other than 429): ends the failure run and any probation. */
  recordSuccess(endpoint: Endpoint): void {
    if (!this.config.enabled || !this.#isCurrent(endpoint)) return;
    const outlier = this.#observe(endpoint);
    endpoint.state.consecutiveFailures = 0;
    outlier.probation = false;
    this.#maybeForgetEjections(endpoint.state, outlier);
  }

  /** An attempt failed because of the upstream (`reason`: connect, reset, timeout, status_503…). */
  recordFailure(endpoint: Endpoint, reason: string): void {
    const s = endpoint.state;
    s.failures += 1;
    if (!this.config.enabled || !this.#isCurrent(endpoint)) return;
    const outlier = this.#observe(endpoint);
    // Requests sent before the ejection may still fail; they must not lengthen it.
    if (s.ejectedUntil > this.clock.now()) return;
    s.consecutiveFailures += 1;
    const onProbation = outlier.probation;
    if (!onProbation && s.consecutiveFailures < this.config.consecutiveFailures) return;
    if (!this.#mayEject(endpoint)) return;
    const why = onProbation
      ? `failed on probation: ${reason}`
      : `${s.consecutiveFailures} consecutive failures, last: ${reason}`;
    this.#eject(endpoint, outlier, why);
  }

  /**
   * The upstream answered 429. `retryAfterMs` is its `Retry-After` in milliseconds when it sent one (capped
   * at `MAX_RETRY_AFTER_MS`); otherwise the endpoint cools down for `cooldownMs`.
   */
  recordRateLimited(endpoint: Endpoint, retryAfterMs: number | undefined): void {
    if (!this.config.enabled || !this.#isCurrent(endpoint)) return;
    this.#observe(endpoint);
    const given = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0;
    const ms = given ? Math.min(retryAfterMs, MAX_RETRY_AFTER_MS) : this.config.cooldownMs;
    if (ms <= 0) return;
    const reason = given ? `429 with Retry-After (${Math.round(ms)} ms)` : '429';
    this.pool.updateHealth(endpoint.name, { cooldownUntil: this.clock.now() + ms, reason });
  }

  /** Cancels the pending ejection-end timers (ends are still noticed on the next report). */
  stop(): void {
    for (const cancel of this.#timers) cancel();
    this.#timers.clear();
  }

  /** Whether `endpoint` is the incarnation in the pool now (not removed, nor replaced under its name). */
  #isCurrent(endpoint: Endpoint): boolean {
    return this.pool.get(endpoint.name)?.state === endpoint.state;
  }

  #outlier(state: EndpointState): Outlier {
    let outlier = this.#outliers.get(state);
    if (!outlier) {
      outlier = { probation: false, restoredAt: 0, cancelTimer: undefined };
      this.#outliers.set(state, outlier);
    }
    return outlier;
  }

  /** Pushes the 'restored' transition if the ejection has run out; the endpoint goes on probation. */
  #observe(endpoint: Endpoint): Outlier {
    const s = endpoint.state;
    const outlier = this.#outlier(s);
    const until = s.ejectedUntil;
    if (until !== 0 && until <= this.clock.now()) {
      this.pool.updateHealth(endpoint.name, { ejectedUntil: 0, reason: 'ejection ended; on probation' });
      outlier.probation = true;
      outlier.restoredAt = until;
      s.consecutiveFailures = 0;
    }
    return outlier;
  }

  #maybeForgetEjections(s: EndpointState, outlier: Outlier): void {
    if (s.ejections === 0 || s.ejectedUntil !== 0 || outlier.probation) return;
    // `ejections` has no HealthPatch field; it is a counter, not a transition, so it is reset in place.
    if (this.clock.now() - outlier.restoredAt >= this.#resetAfterMs) s.ejections = 0;
  }

  #mayEject(endpoint: Endpoint): boolean {
    const now = this.clock.now();
    const snapshot = this.pool.endpoints;
    let ejected = 0;
    let othersUsable = 0;
    for (const e of snapshot) {
      if (e.state === endpoint.state) continue;
      if (e.state.ejectedUntil > now) ejected += 1;
      else if (e.state.enabled && e.state.healthy) othersUsable += 1;
    }
    return othersUsable > 0 && (ejected + 1) * 100 <= this.config.maxEjectionPercent * snapshot.length;
  }

  #eject(endpoint: Endpoint, outlier: Outlier, reason: string): void {
    const s = endpoint.state;
    const durationMs = Math.min(this.config.baseEjectionMs * 2 ** s.ejections, this.config.maxEjectionMs);
    if (durationMs <= 0) return;
    this.pool.updateHealth(endpoint.name, { ejectedUntil: this.clock.now() + durationMs, reason });
    s.consecutiveFailures = 0;
    outlier.probation = false;
    this.#watchEnd(endpoint, outlier, durationMs);
  }

  /** Notices the end of an ejection even if no request reaches the endpoint to report it. */
  #watchEnd(endpoint: Endpoint, outlier: Outlier, delayMs: number): void {
    outlier.cancelTimer?.();
    const cancel = this.#schedule(() => {
      this.#timers.delete(cancel);
      outlier.cancelTimer = undefined;
      if (!this.#isCurrent(endpoint)) return;
      const left = endpoint.state.ejectedUntil - this.clock.now();
      // Timers may fire a hair before the clock agrees; look again rather than miss the transition.
      if (left > 0) this.#watchEnd(endpoint, outlier, left + 1);
      else this.#observe(endpoint);
    }, delayMs);
    outlier.cancelTimer = cancel;
    this.#timers.add(cancel);
  }
}

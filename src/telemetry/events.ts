/**
 * Telemetry as events. The core publishes facts (a request ended, an endpoint was ejected); the Prometheus
 * exporter, the logger and later the dashboard subscribe. The core imports no metrics library.
 *
 * Each Fulcrum instance owns one `TelemetryBus` (so two instances in one test process don't mix their
 * metrics). Every event is also published on a process-wide `node:diagnostics_channel` named
 * `fulcrum:<event>` for external tooling (APMs, ad-hoc debugging).
 */
import diagnostics from 'node:diagnostics_channel';

/** A request entered the pipeline (after parsing). */
export interface RequestStartEvent {
  id: string;
  model: string;
  stream: boolean;
  path: string;
}

/** How a request finished, from the client's point of view. */
export interface RequestEndEvent {
  id: string;
  /** Client-visible model name ('' when the request had none, e.g. GET /v1/models). */
  model: string;
  path: string;
  stream: boolean;
  /** HTTP status sent to the client (for a stream cut after commit: the 200 that was sent). */
  status: number;
  /** Name of the endpoint that served the last attempt, if any. */
  endpoint: string | undefined;
  attempts: number;
  durationMs: number;
  /** Time until the first response byte went to the client. */
  ttfbMs: number | undefined;
  /** Error code when the request failed (before or after commit), else undefined. */
  errorCode: string | undefined;
  /** True when the client went away before the response finished. */
  clientAborted: boolean;
}

/** Outcome classes that drive passive health. Only `failure` counts against an endpoint. */
export type AttemptOutcome = 'success' | 'client_error' | 'failure' | 'rate_limited' | 'cancelled';

/** One upstream attempt finished. */
export interface AttemptEndEvent {
  id: string;
  endpoint: string;
  outcome: AttemptOutcome;
  /** Upstream status when headers arrived. */
  status: number | undefined;
  /** Short machine-readable reason for failures: connect, reset, timeout, status_503, idle_timeout… */
  reason: string | undefined;
  durationMs: number;
}

/** A request is being retried on another endpoint. */
export interface RetryEvent {
  id: string;
  endpoint: string;
  reason: string;
}

/** A retry was wanted but the global retry budget refused it. */
export interface RetryBudgetExhaustedEvent {
  id: string;
  endpoint: string;
}

/** An endpoint's observed health changed (active probes or passive ejection). */
export interface HealthEvent {
  endpoint: string;
  /** What changed: active probe state, passive ejection, or 429 cool-down. */
  kind: 'active' | 'ejected' | 'restored' | 'cooldown';
  healthy: boolean;
  reason: string;
  /** For ejections and cool-downs: how long, in ms. */
  durationMs?: number;
}

/** The endpoint set or an operator flag changed. */
export interface EndpointChangeEvent {
  endpoint: string;
  action: 'added' | 'removed' | 'weight' | 'enabled' | 'disabled';
}

/** The event map: name → payload type. */
export interface TelemetryEvents {
  'request.start': RequestStartEvent;
  'request.end': RequestEndEvent;
  'attempt.end': AttemptEndEvent;
  retry: RetryEvent;
  'retry.budget_exhausted': RetryBudgetExhaustedEvent;
  health: HealthEvent;
  'endpoint.change': EndpointChangeEvent;
}

export type TelemetryEventName = keyof TelemetryEvents;
type Listener<K extends TelemetryEventName> = (event: TelemetryEvents[K]) => void;

/** A tiny synchronous typed event bus. Subscriber errors are caught so telemetry can never break a request. */
export class TelemetryBus {
  readonly #listeners = new Map<TelemetryEventName, Set<Listener<TelemetryEventName>>>();
  readonly #channels = new Map<TelemetryEventName, diagnostics.Channel>();
  /** Count of subscriber exceptions swallowed (exported as a metric). */
  subscriberErrors = 0;

  /** Subscribes to one event; returns the unsubscribe function. */
  on<K extends TelemetryEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as Listener<TelemetryEventName>);
    return () => set.delete(listener as Listener<TelemetryEventName>);
  }

  emit<K extends TelemetryEventName>(name: K, event: TelemetryEvents[K]): void {
    const set = this.#listeners.get(name);
    if (set) {
      for (const listener of set) {
        try {
          listener(event);
        } catch {
          this.subscriberErrors += 1;
        }
      }
    }
    let channel = this.#channels.get(name);
    if (!channel) {
      channel = diagnostics.channel(`fulcrum:${name}`);
      this.#channels.set(name, channel);
    }
    if (channel.hasSubscribers) channel.publish(event);
  }
}

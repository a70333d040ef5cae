/**
 * Fulcrum's Prometheus metrics: a subscriber on the instance's `TelemetryBus` that turns events into
 * counters and histograms, plus gauges read from the pool and the process at scrape time. The full list,
 * with labels and meaning, is in docs/operations.md; keep the two in step.
 *
 * Label hygiene: no per-key, per-IP or per-path labels. The `model` label keeps the client's model string
 * only when the pool knows that model at the time of the event (otherwise `unknown`), so 404s for invented
 * model names cannot grow the series count; the registry's per-metric cap is the backstop.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { type Clock, systemClock } from '../core/clock.js';
import type { Pool } from '../pool/pool.js';
import type { TelemetryBus } from './events.js';
import { type Counter, type Gauge, Registry } from './prometheus.js';

/** Seconds. LLM requests span a cached 5 ms answer to a two-minute generation. */
export const LLM_LATENCY_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120,
];

/** The label value for models no endpoint serves. */
export const UNKNOWN_MODEL = 'unknown';

export interface FulcrumMetricsOptions {
  /** Clock of the pool's time base, to tell whether an endpoint is ejected. Default `systemClock`. */
  clock?: Clock;
  /** Most label sets per metric before folding into `other`. Default 500. */
  maxSeries?: number;
  /** Export process_* and nodejs_* metrics (starts an event-loop delay monitor). Default true. */
  processMetrics?: boolean;
}

/** Event-loop delay sampling period. The monitor reports whole intervals, so this is subtracted. */
const LOOP_RESOLUTION_MS = 10;

export class FulcrumMetrics {
  readonly registry: Registry;
  readonly #unsubscribe: Array<() => void> = [];
  /**
   * request.start minus request.end (the data plane emits one of each per request), never below 0. A count
   * rather than a Set of ids: no per-request add/delete in a long-lived Set (docs/architecture.md, hot path).
   */
  #inflight = 0;
  readonly #uncaught: Counter;
  readonly #loopDelay: IntervalHistogram | undefined;

  constructor(
    bus: TelemetryBus,
    private readonly pool: Pool,
    options: FulcrumMetricsOptions = {},
  ) {
    const clock = options.clock ?? systemClock;
    const r = new Registry({ maxSeries: options.maxSeries ?? 500 });
    this.registry = r;

    const requests = r.counter('fulcrum_requests_total', 'Client requests finished, by HTTP status sent.', [
      'model',
      'endpoint',
      'status',
    ]);
    const duration = r.histogram(
      'fulcrum_request_duration_seconds',
      'Time from request parsed to response finished.',
      ['model'],
      LLM_LATENCY_BUCKETS,
    );
    const ttfb = r.histogram(
      'fulcrum_time_to_first_byte_seconds',
      'Time from request parsed to the first response byte sent to the client.',
      ['model'],
      LLM_LATENCY_BUCKETS,
    );
    r.gauge('fulcrum_requests_in_flight', 'Client requests currently in the pipeline.', [], {
      collect: (set) => set({}, this.#inflight),
    });
    const attempts = r.counter('fulcrum_upstream_attempts_total', 'Upstream attempts finished, by outcome.', [
      'endpoint',
      'outcome',
    ]);
    const retries = r.counter('fulcrum_retries_total', 'Requests retried on another endpoint.', ['reason']);
    const budget = r.counter(
      'fulcrum_retry_budget_exhausted_total',
      'Retries refused because the global retry budget was spent.',
    );
    const ejections = r.counter('fulcrum_ejections_total', 'Passive outlier ejections.', ['endpoint']);
    const transitions = r.counter(
      'fulcrum_health_transitions_total',
      'Endpoint health changes (active, ejected, restored, cooldown).',
      ['endpoint', 'kind'],
    );
    const aborts = r.counter(
      'fulcrum_client_aborts_total',
      'Requests whose client went away before the end.',
    );
    this.#uncaught = r.counter(
      'fulcrum_uncaught_errors_total',
      'Errors that reached a last-resort handler (a bug; the process kept running).',
    );
    r.counter(
      'fulcrum_telemetry_subscriber_errors_total',
      'Exceptions thrown by telemetry subscribers.',
      [],
      {
        collect: (set) => set({}, bus.subscriberErrors),
      },
    );
    this.#endpointGauges(r, clock);

    this.#unsubscribe.push(
      bus.on('request.start', () => {
        this.#inflight += 1;
      }),
      bus.on('request.end', (e) => {
        if (this.#inflight > 0) this.#inflight -= 1;
        const model = this.#modelLabel(e.model);
        requests.inc({ model, endpoint: e.endpoint ?? '', status: String(e.status) });
        duration.observe({ model }, e.durationMs / 1000);
        if (e.ttfbMs !== undefined) ttfb.observe({ model }, e.ttfbMs / 1000);
        if (e.clientAborted) aborts.inc();
      }),
      bus.on('attempt.end', (e) => attempts.inc({ endpoint: e.endpoint, outcome: e.outcome })),
      bus.on('retry', (e) => retries.inc({ reason: e.reason })),
      bus.on('retry.budget_exhausted', () => budget.inc()),
      bus.on('health', (e) => {
        transitions.inc({ endpoint: e.endpoint, kind: e.kind });
        if (e.kind === 'ejected') ejections.inc({ endpoint: e.endpoint });
      }),
    );

    if (options.processMetrics ?? true) this.#loopDelay = this.#processMetrics(r);
  }

  /** The registry in Prometheus text format. */
  render(): string {
    return this.registry.render();
  }

  /**
   * Counts an error caught by a last-resort handler (`process.on('uncaughtException')`, a listener's
   * catch-all). The server calls this; the metric should stay at 0.
   */
  countUncaughtError(): void {
    this.#uncaught.inc();
  }

  /** Stops listening to the bus and stops the event-loop monitor. Idempotent. */
  dispose(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#loopDelay?.disable();
  }

  /** '' stays '' (requests without a model); names no endpoint serves become `unknown`. */
  #modelLabel(model: string): string {
    if (model === '') return '';
    return this.pool.knows(model) ? model : UNKNOWN_MODEL;
  }

  #endpointGauges(r: Registry, clock: Clock): void {
    const perEndpoint = (name: string, help: string, read: (now: number, e: EndpointView) => number): Gauge =>
      r.gauge(name, help, ['endpoint'], {
        collect: (set) => {
          const now = clock.now();
          for (const e of this.pool.endpoints) set({ endpoint: e.name }, read(now, e));
        },
      });
    perEndpoint('fulcrum_endpoint_up', 'Active health verdict (1 healthy, 0 down).', (_, e) =>
      e.state.healthy ? 1 : 0,
    );
    perEndpoint('fulcrum_endpoint_enabled', 'Operator intent (1 enabled, 0 draining).', (_, e) =>
      e.state.enabled ? 1 : 0,
    );
    perEndpoint('fulcrum_endpoint_weight', 'Configured weight.', (_, e) => e.weight);
    perEndpoint(
      'fulcrum_endpoint_in_flight',
      'Requests in flight on the endpoint.',
      (_, e) => e.state.inflight,
    );
    perEndpoint('fulcrum_endpoint_ejected', 'Passively ejected right now (1) or not (0).', (now, e) =>
      e.state.ejectedUntil > now ? 1 : 0,
    );
  }

  #processMetrics(r: Registry): IntervalHistogram {
    r.gauge('process_resident_memory_bytes', 'Resident set size in bytes.', [], {
      collect: (set) => set({}, process.memoryUsage.rss()),
    });
    r.counter('process_cpu_seconds_total', 'User and system CPU time spent, in seconds.', [], {
      collect: (set) => {
        const u = process.cpuUsage();
        set({}, (u.user + u.system) / 1e6);
      },
    });
    const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    loop.enable();
    // Both read one window (since the previous scrape) and the max gauge resets it, so it must render last.
    const lagOf = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS) / 1000;
    r.gauge(
      'nodejs_eventloop_lag_seconds',
      'Event-loop delay, 99th percentile since the previous scrape.',
      [],
      { collect: (set) => set({}, loop.count > 0 ? lagOf(loop.percentile(99)) : 0) },
    );
    r.gauge('nodejs_eventloop_lag_max_seconds', 'Largest event-loop delay since the previous scrape.', [], {
      collect: (set) => {
        set({}, loop.count > 0 ? lagOf(loop.max) : 0);
        loop.reset();
      },
    });
    return loop;
  }
}

/** The parts of an endpoint the gauges read. */
interface EndpointView {
  readonly weight: number;
  readonly state: { healthy: boolean; enabled: boolean; inflight: number; ejectedUntil: number };
}

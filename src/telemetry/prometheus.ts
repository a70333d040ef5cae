/**
 * A minimal Prometheus text-format (0.0.4) registry: counters, gauges and histograms with labels, rendered
 * with HELP/TYPE lines and escaped label values. Written here rather than pulling in prom-client because we
 * need only this much, and the core must stay free of metrics libraries (telemetry is events; this is one
 * subscriber's storage).
 *
 * Bounded cardinality: every metric keeps at most `maxSeries` label sets (default 500). Further label sets
 * are folded into one series whose every label is `other`, and each fold is counted in
 * `fulcrum_metric_series_folded_total{metric}`, so a flood of distinct label values (models, endpoints)
 * costs a bounded amount of memory and scrape size, and the overflow is visible rather than silent.
 */

/** Label name → value. Missing labels render as ''. */
export type Labels = Readonly<Record<string, string>>;

/** Called at scrape time to report current values: `set(labels, value)` once per series. */
export type Collector = (set: (labels: Labels, value: number) => void) => void;

export interface MetricOptions {
  /** Evaluated at scrape time; its values replace the stored ones (for gauges read from live state). */
  collect?: Collector;
}

export interface RegistryOptions {
  /** Most label sets kept per metric before folding into `other`. Default 500. */
  maxSeries?: number;
  /** Name of the counter that counts folds. Default `fulcrum_metric_series_folded_total`. */
  foldedMetricName?: string;
}

/** The label value used for series folded past the cardinality cap. */
export const OVERFLOW_LABEL = 'other';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Escapes a label value: backslash, double quote and line feed, as the exposition format requires. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes HELP text: backslash and line feed only. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Formats a sample value; the format spells infinities and NaN in Go's way. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function renderLabels(names: readonly string[], values: readonly string[], extra?: string): string {
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i] ?? '')}"`);
  if (extra) parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

type MetricType = 'counter' | 'gauge' | 'histogram';

/** Shared bookkeeping: label validation, series lookup and the cardinality cap. */
abstract class Metric<S> {
  readonly #series = new Map<string, { values: string[]; state: S }>();
  /**
   * The same series indexed by label value, one Map level per label: the hot-path lookup (several per
   * request) then hashes strings it already has instead of building a joined key. Folded label sets are not
   * in it (they take the slow path), so it holds at most `maxSeries` leaves.
   */
  readonly #byValue = new Map<string, unknown>();
  folded = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly type: MetricType,
    private readonly maxSeries: number,
  ) {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name "${name}"`);
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith('__')) throw new Error(`invalid label name "${l}" on ${name}`);
      if (type === 'histogram' && l === 'le') throw new Error(`histogram ${name} may not use the label "le"`);
    }
    if (new Set(labelNames).size !== labelNames.length) throw new Error(`duplicate label names on ${name}`);
  }

  protected abstract initial(): S;

  /** The state for a label set, creating it (or the `other` fold) as needed. */
  protected series(labels: Labels | undefined): S {
    // One Map level per label; a metric without labels keeps its single series under ''.
    const names = this.labelNames;
    let node: unknown = this.#byValue;
    for (let i = 0; i < names.length && node !== undefined; i++) {
      node = (node as Map<string, unknown>).get(labels?.[names[i]!] ?? '');
    }
    if (names.length === 0) node = this.#byValue.get('');
    return node === undefined ? this.#slowSeries(labels) : (node as S);
  }

  /** First sight of a label set: create it (indexed by value) or fold it into `other` past the cap. */
  #slowSeries(labels: Labels | undefined): S {
    const names = this.labelNames;
    const values = names.map((n) => labels?.[n] ?? '');
    const key = values.join('\u0000');
    const found = this.#series.get(key);
    if (found) return found.state;
    if (this.#series.size >= this.maxSeries && this.labelNames.length > 0) {
      this.folded += 1;
      const otherValues = this.labelNames.map(() => OVERFLOW_LABEL);
      const otherKey = otherValues.join('\u0000');
      const other = this.#series.get(otherKey);
      if (other) return other.state;
      // The fold series itself may exceed the cap by one; that keeps the bound at maxSeries + 1.
      const state = this.initial();
      this.#series.set(otherKey, { values: otherValues, state });
      return state;
    }
    const state = this.initial();
    this.#series.set(key, { values, state });
    this.#index(values, state);
    return state;
  }

  #index(values: readonly string[], state: S): void {
    if (values.length === 0) {
      this.#byValue.set('', state);
      return;
    }
    let level = this.#byValue;
    for (let i = 0; i < values.length - 1; i++) {
      let next = level.get(values[i]!) as Map<string, unknown> | undefined;
      if (!next) {
        next = new Map();
        level.set(values[i]!, next);
      }
      level = next;
    }
    level.set(values[values.length - 1]!, state);
  }

  protected entries(): Iterable<{ values: string[]; state: S }> {
    return this.#series.values();
  }

  protected clear(): void {
    this.#series.clear();
    this.#byValue.clear();
  }

  /** Number of label sets currently held (including the `other` fold). */
  get size(): number {
    return this.#series.size;
  }

  protected header(): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
  }

  abstract render(): string;
}

/** Shared by counters and gauges: one number per series, optionally collected at scrape time. */
abstract class ScalarMetric extends Metric<{ value: number }> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    type: 'counter' | 'gauge',
    maxSeries: number,
    private readonly collect: Collector | undefined,
  ) {
    super(name, help, labelNames, type, maxSeries);
  }

  /** Times the scrape-time collector threw (its samples were dropped for that scrape). */
  collectErrors = 0;

  protected initial(): { value: number } {
    return { value: 0 };
  }

  /** Current value for a label set (0 when never touched). */
  get(labels?: Labels): number {
    return this.series(labels).value;
  }

  render(): string {
    if (this.collect) {
      // Collected metrics reflect live state only: series that vanished (a removed endpoint) must go.
      this.clear();
      try {
        this.collect((labels, value) => {
          this.series(labels).value = value;
        });
      } catch {
        // A broken collector must not take the whole scrape down; its metric renders without samples.
        this.clear();
        this.collectErrors += 1;
      }
    }
    let out = this.header();
    for (const { values, state } of this.entries()) {
      out += `${this.name}${renderLabels(this.labelNames, values)} ${formatValue(state.value)}\n`;
    }
    return out;
  }
}

/** A monotonically increasing count. */
export class Counter extends ScalarMetric {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    maxSeries: number,
    opts?: MetricOptions,
  ) {
    super(name, help, labelNames, 'counter', maxSeries, opts?.collect);
  }

  /** Adds `by` (default 1, must be ≥ 0) to the series for `labels`. */
  inc(labels?: Labels, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name} can only increase (got ${by})`);
    this.series(labels).value += by;
  }
}

/** A value that goes up and down. */
export class Gauge extends ScalarMetric {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    maxSeries: number,
    opts?: MetricOptions,
  ) {
    super(name, help, labelNames, 'gauge', maxSeries, opts?.collect);
  }

  set(labels: Labels | undefined, value: number): void {
    this.series(labels).value = value;
  }

  inc(labels?: Labels, by = 1): void {
    this.series(labels).value += by;
  }

  dec(labels?: Labels, by = 1): void {
    this.series(labels).value -= by;
  }
}

interface HistogramState {
  /** Per-bucket (non-cumulative) counts; the last slot is +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

/** A distribution in fixed buckets, rendered cumulatively as `_bucket{le}`, `_sum` and `_count`. */
export class Histogram extends Metric<HistogramState> {
  readonly buckets: readonly number[];

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
    maxSeries: number,
  ) {
    super(name, help, labelNames, 'histogram', maxSeries);
    const sorted = [...buckets].filter((b) => b !== Number.POSITIVE_INFINITY);
    if (sorted.length === 0) throw new Error(`histogram ${name} needs at least one bucket`);
    for (let i = 0; i < sorted.length; i++) {
      const b = sorted[i]!;
      if (!Number.isFinite(b)) throw new Error(`histogram ${name}: bucket bounds must be finite numbers`);
      if (i > 0 && b <= sorted[i - 1]!)
        throw new Error(`histogram ${name}: buckets must be strictly increasing`);
    }
    this.buckets = sorted;
  }

  protected initial(): HistogramState {
    return { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }

  /** Records one observation. NaN is ignored (it would poison `_sum` forever). */
  observe(labels: Labels | undefined, value: number): void {
    if (Number.isNaN(value)) return;
    const s = this.series(labels);
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]!) i++;
    s.counts[i]! += 1;
    s.sum += value;
    s.count += 1;
  }

  /** Observation count for a label set (for tests and snapshots). */
  count(labels?: Labels): number {
    return this.series(labels).count;
  }

  render(): string {
    let out = this.header();
    for (const { values, state } of this.entries()) {
      let cumulative = 0;
      for (let i = 0; i <= this.buckets.length; i++) {
        cumulative += state.counts[i]!;
        const le = i < this.buckets.length ? formatValue(this.buckets[i]!) : '+Inf';
        out += `${this.name}_bucket${renderLabels(this.labelNames, values, `le="${le}"`)} ${cumulative}\n`;
      }
      const labels = renderLabels(this.labelNames, values);
      out += `${this.name}_sum${labels} ${formatValue(state.sum)}\n`;
      out += `${this.name}_count${labels} ${state.count}\n`;
    }
    return out;
  }
}

/** A set of metrics rendered together. Names are unique within a registry. */
export class Registry {
  readonly #metrics: Array<Counter | Gauge | Histogram> = [];
  readonly #maxSeries: number;
  readonly #folded: Counter;

  constructor(options: RegistryOptions = {}) {
    this.#maxSeries = options.maxSeries ?? 500;
    if (!(this.#maxSeries >= 1)) throw new Error('maxSeries must be at least 1');
    this.#folded = this.counter(
      options.foldedMetricName ?? 'fulcrum_metric_series_folded_total',
      'Label sets folded into "other" because a metric reached its series cap.',
      ['metric'],
      {
        collect: (set) => {
          for (const m of this.#metrics) if (m.folded > 0) set({ metric: m.name }, m.folded);
        },
      },
    );
  }

  counter(name: string, help: string, labelNames: readonly string[] = [], opts?: MetricOptions): Counter {
    return this.#add(new Counter(name, help, labelNames, this.#maxSeries, opts));
  }

  /** A gauge; pass `opts.collect` for one whose values are read from live state at scrape time. */
  gauge(name: string, help: string, labelNames: readonly string[] = [], opts?: MetricOptions): Gauge {
    return this.#add(new Gauge(name, help, labelNames, this.#maxSeries, opts));
  }

  /** A histogram with upper bounds `buckets` (strictly increasing; +Inf is implicit). */
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ): Histogram {
    return this.#add(new Histogram(name, help, labelNames, buckets, this.#maxSeries));
  }

  /** The whole registry in the text exposition format, metrics in registration order. */
  render(): string {
    let out = '';
    for (const m of this.#metrics) {
      // The fold counter is rendered last so that it includes folds caused while collecting others.
      if (m !== this.#folded) out += m.render();
    }
    return out + this.#folded.render();
  }

  #add<M extends Counter | Gauge | Histogram>(metric: M): M {
    if (this.#metrics.some((m) => m.name === metric.name)) {
      throw new Error(`metric "${metric.name}" is already registered`);
    }
    this.#metrics.push(metric);
    return metric;
  }
}

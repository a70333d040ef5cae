/**
 * A strict parser for the Prometheus text exposition format (0.0.4), for tests: it throws on any line
 * that is not a valid HELP, TYPE or sample line, on samples of undeclared or interleaved families, and on
 * histograms whose buckets are not cumulative or disagree with `_count`. Written independently of
 * src/telemetry/prometheus.ts so a bug in the exporter cannot hide in a shared helper.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const HELP_RE = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE_RE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE_HEAD_RE = new RegExp(`^(${NAME})`);
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(raw: string, line: string): number {
  if (raw === '+Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  if (raw === 'NaN') return Number.NaN;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`bad value "${raw}" in: ${line}`);
  return Number(raw);
}

/** Parses `{a="x",b="y\"z"}` starting at `i` (the `{`); returns labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  while (line[i] !== '}') {
    const m = LABEL_NAME_RE.exec(line.slice(i));
    if (!m) throw new Error(`bad label name at ${i} in: ${line}`);
    const name = m[0];
    i += name.length;
    if (line[i] !== '=' || line[i + 1] !== '"') throw new Error(`expected ="" after ${name} in: ${line}`);
    i += 2;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = line[i + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else throw new Error(`bad escape \\${next} in: ${line}`);
        i += 2;
        continue;
      }
      value += c;
      i += 1;
    }
    i += 1;
    if (name in labels) throw new Error(`duplicate label ${name} in: ${line}`);
    labels[name] = value;
    if (line[i] === ',') i += 1;
    else if (line[i] !== '}') throw new Error(`expected , or } at ${i} in: ${line}`);
  }
  return { labels, end: i + 1 };
}

/** The family a sample belongs to: histogram samples carry `_bucket`, `_sum` or `_count` suffixes. */
function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sampleName);
  if (direct) return direct;
  const m = /^(.*)_(bucket|sum|count)$/.exec(sampleName);
  const base = m ? families.get(m[1]!) : undefined;
  return base && (base.type === 'histogram' || base.type === 'summary') ? base : undefined;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; count?: number; sum?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let g = groups.get(key);
    if (!g) {
      g = { buckets: [] };
      groups.set(key, g);
    }
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}_bucket without le`);
      g.buckets.push([parseValue(le, s.name), s.value]);
    } else if (s.name === `${f.name}_count`) g.count = s.value;
    else if (s.name === `${f.name}_sum`) g.sum = s.value;
    else throw new Error(`unexpected sample ${s.name} in histogram ${f.name}`);
  }
  for (const [key, g] of groups) {
    if (g.count === undefined || g.sum === undefined)
      throw new Error(`${f.name}${key}: missing _count or _sum`);
    const last = g.buckets.at(-1);
    if (!last || last[0] !== Number.POSITIVE_INFINITY) throw new Error(`${f.name}${key}: no +Inf bucket`);
    for (let i = 1; i < g.buckets.length; i++) {
      const [prevLe, prevCount] = g.buckets[i - 1]!;
      const [le, count] = g.buckets[i]!;
      if (!(le > prevLe)) throw new Error(`${f.name}${key}: le not increasing`);
      if (count < prevCount) throw new Error(`${f.name}${key}: buckets not cumulative`);
    }
    if (last[1] !== g.count) throw new Error(`${f.name}${key}: +Inf bucket ${last[1]} != _count ${g.count}`);
  }
}

/** Parses and validates a whole exposition; returns families by name. */
export function parseExposition(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  let current: Family | undefined;
  for (const line of text.split('\n').slice(0, -1)) {
    if (line.startsWith('#')) {
      const help = HELP_RE.exec(line);
      const type = TYPE_RE.exec(line);
      const name = help?.[1] ?? type?.[1];
      if (!name) throw new Error(`bad comment line: ${line}`);
      if (closed.has(name)) throw new Error(`family ${name} declared again after its samples`);
      let f = families.get(name);
      if (!f) {
        f = { name, type: 'untyped', help: '', samples: [] };
        families.set(name, f);
      }
      if (help) f.help = help[2]!;
      if (type) {
        if (f.samples.length > 0) throw new Error(`TYPE after samples for ${name}`);
        f.type = type[2]!;
      }
      if (current && current !== f) closed.add(current.name);
      current = f;
      continue;
    }
    const head = SAMPLE_HEAD_RE.exec(line);
    if (!head) throw new Error(`bad sample line: ${line}`);
    const name = head[1]!;
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i));
    if (line[i] !== ' ') throw new Error(`expected a space before the value in: ${line}`);
    const rest = line.slice(i + 1).split(' ');
    if (rest.length > 2) throw new Error(`trailing fields in: ${line}`);
    const value = parseValue(rest[0]!, line);
    const f = familyOf(name, families);
    if (!f) throw new Error(`sample of undeclared family: ${line}`);
    if (closed.has(f.name) || (current && current !== f)) throw new Error(`family ${f.name} is interleaved`);
    current = f;
    f.samples.push({ name, labels, value });
  }
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** The value of the one sample named `name` whose labels include `labels`; throws if not exactly one. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const f = familyOf(name, families);
  const matches = (f?.samples ?? []).filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (matches.length !== 1)
    throw new Error(`${matches.length} samples match ${name} ${JSON.stringify(labels)}`);
  return matches[0]!.value;
}

/** A trace file that cannot be read, with the file and line at fault so the user can fix it. */
export class TraceError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    reason: string,
  ) {
    super(`${source}:${line}: ${reason}`);
    this.name = 'TraceError';
  }
}

/** One request of a trace, before it becomes a `BenchRequest`. */
export interface TraceRecord {
  /** Arrival in ms since the trace's first request. */
  readonly atMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Mooncake's 512-token prefix block ids, when the trace has them. */
  readonly hashIds?: readonly number[];
  /** 1-based line in the file, for messages. */
  readonly line: number;
}

/** Parses a non-negative integer field or throws a `TraceError` naming it. */
export function intField(value: unknown, name: string, source: string, line: number, min = 0): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) {
    throw new TraceError(source, line, `${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  }
  return n;
}

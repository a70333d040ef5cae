/**
 * Time series for the report's charts: per time bucket, completions, output tokens, errors, and the mean
 * number of requests in flight on each endpoint (request-time overlap with the bucket / bucket length).
 */
import type { RunResult } from './record.js';

export interface Series {
  /** Bucket width, virtual seconds. */
  bucketS: number;
  /** Bucket start times, virtual seconds since the run started. */
  t: number[];
  /** Successful completions per second in each bucket. */
  requestsPerS: number[];
  outputTokensPerS: number[];
  /** Failed requests per second. */
  errorsPerS: number[];
  /** Endpoint name → mean in-flight requests in each bucket. */
  inflight: Record<string, number[]>;
}

/** Builds about `buckets` buckets over the whole run (warm-up included, so it is visible). */
export function timeseries(run: RunResult, buckets = 60): Series {
  const end = Math.max(1, ...run.records.map((r) => r.sentMs + r.e2eMs));
  const width = end / buckets;
  const t = Array.from({ length: buckets }, (_, k) => (k * width) / 1000);
  const zeros = () => new Array<number>(buckets).fill(0);
  const done = zeros();
  const tokens = zeros();
  const errors = zeros();
  const inflight: Record<string, number[]> = {};
  for (const name of run.endpoints) inflight[name] = zeros();
  const bucketOf = (ms: number) => Math.min(buckets - 1, Math.floor(ms / width));
  for (const r of run.records) {
    const finish = r.sentMs + r.e2eMs;
    const b = bucketOf(finish);
    if (r.error) errors[b]!++;
    else {
      done[b]!++;
      tokens[b]! += r.completionTokens ?? 0;
    }
    const key = r.endpoint ?? (r.error ? undefined : 'unknown');
    if (key === undefined) continue;
    inflight[key] ??= zeros();
    const series = inflight[key];
    for (let k = bucketOf(r.sentMs); k <= b; k++) {
      const overlap = Math.min(finish, (k + 1) * width) - Math.max(r.sentMs, k * width);
      if (overlap > 0) series[k]! += overlap / width;
    }
  }
  const perS = (xs: number[]) => xs.map((x) => x / (width / 1000));
  return {
    bucketS: width / 1000,
    t,
    requestsPerS: perS(done),
    outputTokensPerS: perS(tokens),
    errorsPerS: perS(errors),
    inflight,
  };
}

/**
 * Aggregates over a run's measured requests (warm-up excluded): latency percentiles, throughput, goodput
 * under an SLO, per-endpoint shares and imbalance, prefix-cache hit rate, errors by kind, and the client's
 * own health. All latencies are virtual ms.
 */
import type { RequestRecord, RunResult, Slo } from './record.js';

/** Mean and percentiles of one latency. */
export interface Distribution {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Linear-interpolated percentile (NumPy's default) of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * (p / 100);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Summary statistics of a sample. */
export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? Number.NaN : sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return {
    count: sorted.length,
    mean,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
  };
}

/** Per-endpoint load. */
export interface EndpointShare {
  name: string;
  requests: number;
  requestShare: number;
  /** Prompt + completion tokens served. */
  tokens: number;
  tokenShare: number;
}

export interface Summary {
  requests: { sent: number; measured: number; ok: number; failed: number; warmup: number };
  /** Virtual seconds from the first measured send to the last measured completion. */
  windowS: number;
  ttftMs: Distribution;
  /** Gaps between streamed events, pooled over all requests. */
  itlMs: Distribution;
  /** Per-request mean inter-token latency. */
  tpotMs: Distribution;
  e2eMs: Distribution;
  throughput: { requestsPerS: number; outputTokensPerS: number; inputTokensPerS: number };
  goodput: {
    slo: Required<Pick<Slo, 'ttftMs' | 'itlMs'>> & Pick<Slo, 'e2eMs'>;
    requestsPerS: number;
    fraction: number;
  };
  tokens: { prompt: number; completion: number; cached: number; cacheHitRate: number; shortOutputs: number };
  endpoints: EndpointShare[];
  /** max / mean over endpoints (1 = perfectly even); requests without a known endpoint are left out. */
  imbalance: { requests: number; tokens: number };
  errors: Record<string, number>;
  /** The client's own health: how late it sent, in wall ms. */
  client: { lagP50WallMs: number; lagP99WallMs: number; lagMaxWallMs: number };
}

/** Whether a successful request meets the SLO. */
export function meetsSlo(r: RequestRecord, slo: Slo): boolean {
  if (r.error || r.ttftMs === undefined) return false;
  if (r.ttftMs > (slo.ttftMs ?? 2000)) return false;
  if (r.tpotMs !== undefined && r.tpotMs > (slo.itlMs ?? 100)) return false;
  if (slo.e2eMs !== undefined && r.e2eMs > slo.e2eMs) return false;
  return true;
}

/** Aggregates one run. */
export function summarise(run: RunResult): Summary {
  const measured = run.records.filter((r) => !r.warmup);
  const ok = measured.filter((r) => !r.error);
  const start = Math.min(...measured.map((r) => r.sentMs));
  const end = Math.max(...measured.map((r) => r.sentMs + r.e2eMs));
  const windowS = measured.length === 0 ? 0 : Math.max(1e-9, (end - start) / 1000);
  const per = (n: number) => (windowS > 0 ? n / windowS : 0);

  let prompt = 0;
  let completion = 0;
  let cached = 0;
  let shortOutputs = 0;
  for (const r of ok) {
    prompt += r.promptTokens ?? 0;
    completion += r.completionTokens ?? 0;
    cached += r.cachedTokens ?? 0;
    if ((r.completionTokens ?? r.outputTokensRequested) < r.outputTokensRequested) shortOutputs++;
  }
  const errors: Record<string, number> = {};
  for (const r of measured) if (r.error) errors[r.error.kind] = (errors[r.error.kind] ?? 0) + 1;

  const byEndpoint = new Map<string, { requests: number; tokens: number }>();
  for (const name of run.endpoints) byEndpoint.set(name, { requests: 0, tokens: 0 });
  for (const r of measured) {
    if (r.endpoint === undefined) continue;
    const e = byEndpoint.get(r.endpoint) ?? { requests: 0, tokens: 0 };
    e.requests++;
    e.tokens += (r.promptTokens ?? 0) + (r.completionTokens ?? 0);
    byEndpoint.set(r.endpoint, e);
  }
  const totalReq = [...byEndpoint.values()].reduce((s, e) => s + e.requests, 0);
  const totalTok = [...byEndpoint.values()].reduce((s, e) => s + e.tokens, 0);
  const endpoints = [...byEndpoint.entries()]
    .map(([name, e]) => ({
      name,
      requests: e.requests,
      requestShare: totalReq ? e.requests / totalReq : 0,
      tokens: e.tokens,
      tokenShare: totalTok ? e.tokens / totalTok : 0,
    }))
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  const maxOverMean = (values: number[]) => {
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    return values.length === 0 || mean === 0 ? Number.NaN : Math.max(...values) / mean;
  };
  const lags = distribution(run.records.map((r) => r.lagWallMs));
  const good = measured.filter((r) => meetsSlo(r, run.slo)).length;

  return {
    requests: {
      sent: run.records.length,
      measured: measured.length,
      ok: ok.length,
      failed: measured.length - ok.length,
      warmup: run.records.length - measured.length,
    },
    windowS,
    ttftMs: distribution(ok.flatMap((r) => (r.ttftMs === undefined ? [] : [r.ttftMs]))),
    itlMs: distribution(ok.flatMap((r) => r.itlMs)),
    tpotMs: distribution(ok.flatMap((r) => (r.tpotMs === undefined ? [] : [r.tpotMs]))),
    e2eMs: distribution(ok.map((r) => r.e2eMs)),
    throughput: {
      requestsPerS: per(ok.length),
      outputTokensPerS: per(completion),
      inputTokensPerS: per(prompt),
    },
    goodput: {
      slo: { ttftMs: run.slo.ttftMs ?? 2000, itlMs: run.slo.itlMs ?? 100, e2eMs: run.slo.e2eMs },
      requestsPerS: per(good),
      fraction: measured.length ? good / measured.length : 0,
    },
    tokens: { prompt, completion, cached, cacheHitRate: prompt ? cached / prompt : 0, shortOutputs },
    endpoints,
    imbalance: {
      requests: maxOverMean(endpoints.map((e) => e.requests)),
      tokens: maxOverMean(endpoints.map((e) => e.tokens)),
    },
    errors,
    client: { lagP50WallMs: lags.p50, lagP99WallMs: lags.p99, lagMaxWallMs: lags.max },
  };
}

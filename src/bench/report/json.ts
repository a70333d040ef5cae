/**
 * The machine-readable report: setup, every summary, every series and every request record. Per-chunk
 * inter-token gaps are the one bulky part (a 9-contender trace replay streams tens of millions of chunks),
 * so by default each record carries their summary (`itl`: count, mean, p50, p99, max) instead of the raw
 * list; `itlSamples: true` keeps the list as `itlMs`. The pooled ITL distribution is in every summary.
 */
import { distribution } from '../stats.js';
import type { Report } from './report.js';

export interface JsonOptions {
  /** Keep each request's raw inter-token gaps. Default false. */
  itlSamples?: boolean;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/** JSON text of the report. NaN (an empty sample) becomes null. */
export function renderJson(report: Report, options: JsonOptions = {}): string {
  const out = options.itlSamples
    ? report
    : {
        ...report,
        runs: report.runs.map((run) => ({
          ...run,
          result: {
            ...run.result,
            records: run.result.records.map(({ itlMs, ...rest }) => {
              const d = distribution(itlMs);
              return {
                ...rest,
                itl: { count: d.count, mean: round(d.mean), p50: d.p50, p99: round(d.p99), max: d.max },
              };
            }),
          },
        })),
      };
  return `${JSON.stringify(out, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`;
}

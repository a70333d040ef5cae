/**
 * Synthetic proxy-bench reports for the report tests: measurements made up, no processes.
 */
import assert from 'node:assert/strict';
import type { RequestMeasurement, SseMeasurement } from '../../src/bench/proxy/measure.js';
import { defaultOptions, type ProxyBenchOptions } from '../../src/bench/proxy/options.js';
import type { ContenderReport, ProxyBenchReport } from '../../src/bench/proxy/report.js';

/** A request-phase round with the given throughput and p99 latency. */
export function requestMeasurement(throughput: number, p99: number): RequestMeasurement {
  return {
    result: {
      kind: 'closed',
      requests: throughput,
      errors: 0,
      elapsedMs: 1000,
      throughput,
      latency: { count: throughput, mean: p99 / 2, p50: p99 / 2, p90: p99, p99, max: p99 },
    },
    client: 'undici',
    proxyCpuSec: 0.1,
    backendCpuSec: 0.1,
    peakRssBytes: 0,
  };
}

/** An SSE round: TTFC p99 in ms; by default all 5,000 streams complete and the proxy peaks at 100 MB. */
export function sseMeasurement(
  p99: number,
  {
    completed = 5000,
    streams = 5000,
    rssMb = 100,
  }: { completed?: number; streams?: number; rssMb?: number } = {},
): SseMeasurement {
  const failed = streams - completed;
  return {
    result: {
      kind: 'sse',
      streams,
      completed,
      failed,
      failures: failed > 0 ? ['stream 17: chunk 3 out of order'] : [],
      ttfc: { count: completed, mean: p99 / 2, p50: p99 / 2, p90: p99, p99, max: p99 * 1.5 },
      maxOpen: streams,
      elapsedMs: 13_000,
      maxSendLagMs: 1,
    },
    client: 'undici',
    proxyCpuSec: 1,
    backendCpuSec: 1,
    peakRssBytes: rssMb * 2 ** 20,
  };
}

/** A report of the given contenders, with the default options but for `options`. */
export function syntheticReport(
  contenders: ContenderReport[],
  options: Partial<ProxyBenchOptions> = {},
): ProxyBenchReport {
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    command: 'test',
    options: { ...defaultOptions(), contenders: contenders.map((c) => c.name), ...options },
    machine: {
      cpus: 2,
      cpuModel: 'test',
      kernel: 'test',
      node: 'v20',
      nginx: 'none',
      wrk: 'none',
      loadBefore: [0, 0, 0],
      loadAfter: [0, 0, 0],
    },
    contenders,
  };
}

/** The cells of a targets row, for the given contender's table and target prefix ([2] measured, [3] verdict). */
export function targetCell(markdown: string, who: string, target: string): string[] {
  const section = markdown.split(`### Targets: ${who}`)[1]!.split('###')[0]!;
  const row = section.split('\n').find((l) => l.startsWith(`| ${target}`));
  assert.ok(row, `no "${target}" row for ${who}`);
  return row.split('|').map((c) => c.trim());
}

/** The Markdown section whose heading starts with `heading`, up to the next heading. */
export function section(markdown: string, heading: string): string {
  const rest = markdown.split(`### ${heading}`)[1];
  assert.ok(rest !== undefined, `no "### ${heading}" section`);
  return rest.split('###')[0]!;
}

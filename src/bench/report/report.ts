/** The report model shared by the JSON, Markdown and HTML writers, and atomic file output. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunResult } from '../record.js';
import { type Summary, summarise } from '../stats.js';
import { type Series, timeseries } from '../timeseries.js';

/** One contender's results. */
export interface ReportRun {
  result: RunResult;
  summary: Summary;
  series: Series;
}

export interface Report {
  title: string;
  createdAt: string;
  /** The command line that produced it, for reproducing. */
  command: string;
  /** Name of the run that ratios are relative to, if any. */
  baseline?: string;
  /** Free-form facts about the setup (cluster, plan, versions). */
  setup: Record<string, unknown>;
  runs: ReportRun[];
}

/** Builds a report from finished runs. */
export function buildReport(
  title: string,
  results: readonly RunResult[],
  options: { command?: string; baseline?: string; setup?: Record<string, unknown> } = {},
): Report {
  const report: Report = {
    title,
    createdAt: new Date().toISOString(),
    command: options.command ?? process.argv.slice(1).join(' '),
    setup: options.setup ?? {},
    runs: results.map((result) => ({ result, summary: summarise(result), series: timeseries(result) })),
  };
  if (options.baseline !== undefined) report.baseline = options.baseline;
  return report;
}

/**
 * Writes a file so that it is either absent or complete: the data goes to a temporary file in the same
 * folder, which is then renamed over the target (atomic on POSIX). An interrupted run leaves no half file.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

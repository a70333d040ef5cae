/**
 * `fulcrum bench run`: replays one workload against one URL and writes JSON, Markdown and HTML reports.
 *
 *   fulcrum bench run --url http://127.0.0.1:8080 --trace traces/azure_conv.csv --time-scale 10 \
 *     --rate-scale 2 --duration 300 --warmup 30 --out bench-results/run1
 */
import { parseArgs } from 'node:util';
import type { BenchApi } from '../client.js';
import { createProgress } from '../progress.js';
import { renderMarkdown } from '../report/markdown.js';
import { buildReport } from '../report/report.js';
import { type LoadOptions, runBench } from '../run.js';
import { buildWorkload, type WorkloadSpec, workloadSpecSchema } from '../workloads/index.js';
import { writeReport } from './output.js';
import { checkReachable } from './reachable.js';
import { abortOnSignals } from './signals.js';

export const RUN_USAGE = `Usage: fulcrum bench run --url URL (--trace FILE | --synthetic NAME) [options]

Workload:
  --trace FILE           Mooncake .jsonl or Azure .csv trace
  --format F             mooncake | azure (default: from the file extension)
  --synthetic NAME       chat-sessions | shared-docs | sharegpt (seeded generator)
  --requests N           synthetic: number of requests (default 1000)
  --rate R               synthetic: mean rate, virtual req/s (default 4); with --mode poisson: the Poisson rate
  --seed S               generator, jitter and Poisson seed (default 1)
Load:
  --mode M               trace (open loop at the workload's times, default) | poisson | closed
  --rate-scale X         multiply the trace's arrival rate (default 1)
  --jitter-ms J          spread bucketed timestamps uniformly over J virtual ms (default 0)
  --users N              closed loop: concurrent users (default 16)
  --time-scale K         virtual ms per wall ms; must equal the simulator's timeScale (default 1)
  --warmup S             virtual seconds sent but not measured (default 0)
  --duration S           virtual seconds measured after the warm-up (default: whole workload)
  --max-requests N       at most N requests, warm-up included
  --drain S              virtual seconds to wait for in-flight requests after the last send; the rest
                         count as errors of kind "unfinished" (default 120)
Request:
  --api A                chat (default) | completions
  --model M              model field (default: the first model the target lists)
  --no-exact-output      do not send min_tokens/ignore_eos
SLO (goodput):
  --slo-ttft-ms X        default 2000
  --slo-itl-ms X         mean inter-token latency bound, default 100
  --slo-e2e-ms X         optional
Output:
  --name NAME            contender name in the report (default: the URL)
  --endpoints A,B        known endpoint names (idle ones count in the imbalance)
  --out DIR              write report.json, report.md, report.html (default bench-results/run-<time>)
  --itl-samples          keep every request's raw inter-token gaps in report.json (large)
  --quiet                no progress bar`;

const OPTIONS = {
  url: { type: 'string' },
  trace: { type: 'string' },
  format: { type: 'string' },
  synthetic: { type: 'string' },
  requests: { type: 'string' },
  rate: { type: 'string' },
  seed: { type: 'string' },
  mode: { type: 'string' },
  'rate-scale': { type: 'string' },
  'jitter-ms': { type: 'string' },
  users: { type: 'string' },
  'time-scale': { type: 'string' },
  warmup: { type: 'string' },
  duration: { type: 'string' },
  'max-requests': { type: 'string' },
  drain: { type: 'string' },
  api: { type: 'string' },
  model: { type: 'string' },
  'no-exact-output': { type: 'boolean' },
  'slo-ttft-ms': { type: 'string' },
  'slo-itl-ms': { type: 'string' },
  'slo-e2e-ms': { type: 'string' },
  name: { type: 'string' },
  endpoints: { type: 'string' },
  out: { type: 'string' },
  quiet: { type: 'boolean' },
  'itl-samples': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A numeric flag, or `undefined` when absent; throws a clear message when not a number. */
export function numberFlag(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n)) {
    throw new Error(`--${name} must be a number, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function workloadSpec(v: Record<string, unknown>): WorkloadSpec {
  const n = (name: string) => numberFlag(v, name);
  if (v.trace !== undefined && v.synthetic !== undefined)
    throw new Error('give --trace or --synthetic, not both');
  const raw: Record<string, unknown> =
    v.trace !== undefined
      ? { trace: v.trace, ...(v.format === undefined ? {} : { format: v.format }) }
      : { synthetic: v.synthetic, seed: n('seed'), requests: n('requests'), rate: n('rate') };
  if (raw.trace === undefined && raw.synthetic === undefined)
    throw new Error('give --trace FILE or --synthetic NAME');
  for (const key of Object.keys(raw)) if (raw[key] === undefined) delete raw[key];
  const parsed = workloadSpecSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`bad workload: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

function loadOptions(v: Record<string, unknown>): LoadOptions {
  const mode = (v.mode as string | undefined) ?? 'trace';
  if (mode === 'trace')
    return { mode, rateScale: numberFlag(v, 'rate-scale') ?? 1, jitterMs: numberFlag(v, 'jitter-ms') ?? 0 };
  if (mode === 'poisson') {
    const rate = numberFlag(v, 'rate');
    if (rate === undefined) throw new Error('--mode poisson needs --rate');
    return { mode, rate };
  }
  if (mode === 'closed') return { mode, users: numberFlag(v, 'users') ?? 16 };
  throw new Error(`--mode must be trace, poisson or closed, got ${mode}`);
}

/** Runs the command; returns the exit code. */
export async function runCommand(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({ args: argv, options: OPTIONS, strict: true });
  if (v.help) {
    console.log(RUN_USAGE);
    return 0;
  }
  if (!v.url) throw new Error(`--url is required\n\n${RUN_USAGE}`);
  const api = (v.api ?? 'chat') as BenchApi;
  if (api !== 'chat' && api !== 'completions') throw new Error('--api must be chat or completions');
  const spec = workloadSpec(v);
  const load = loadOptions(v);
  const workload = await buildWorkload(spec);
  const models = await checkReachable(v.url);
  const controller = new AbortController();
  const removeHandlers = abortOnSignals(controller);
  try {
    const total = Math.min(workload.requests.length, numberFlag(v, 'max-requests') ?? Infinity);
    const result = await runBench({
      name: v.name ?? v.url,
      target: {
        baseUrl: v.url,
        api,
        model: v.model ?? models[0] ?? 'bench-model',
        exactOutput: !v['no-exact-output'],
      },
      workload,
      load,
      timeScale: numberFlag(v, 'time-scale') ?? 1,
      warmupS: numberFlag(v, 'warmup') ?? 0,
      durationS: numberFlag(v, 'duration'),
      maxRequests: numberFlag(v, 'max-requests'),
      drainS: numberFlag(v, 'drain'),
      seed: numberFlag(v, 'seed') ?? 1,
      slo: {
        ttftMs: numberFlag(v, 'slo-ttft-ms'),
        itlMs: numberFlag(v, 'slo-itl-ms'),
        e2eMs: numberFlag(v, 'slo-e2e-ms'),
      },
      endpoints: v.endpoints ? v.endpoints.split(',').filter(Boolean) : [],
      signal: controller.signal,
      progress: createProgress('bench', total, v.quiet ? false : undefined),
    });
    if (result.interrupted) {
      console.error('interrupted: no report written');
      return 130;
    }
    const report = buildReport(`fulcrum bench run: ${workload.name}`, [result], {
      command: `fulcrum bench run ${argv.join(' ')}`,
    });
    const dir = v.out ?? `bench-results/run-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const files = await writeReport(report, dir, { itlSamples: v['itl-samples'] });
    console.log(renderMarkdown(report));
    console.log(`reports: ${files.json}, ${files.markdown}, ${files.html}`);
    return report.runs[0]!.summary.requests.ok > 0 ? 0 : 1;
  } finally {
    removeHandlers();
  }
}

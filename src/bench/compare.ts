/**
 * Compare mode: for each contender of a plan, start the simulated cluster fresh (same seeds, empty caches),
 * start the contender in front of it, replay the same workload under the same load, and collect the
 * results; then report them side by side against the baseline. Every process started is stopped in a
 * `finally`, so a failure or Ctrl-C (the `signal`) leaves nothing running.
 */

import { startSimCluster } from './cluster/sim-cluster.js';
import { checkReachable } from './commands/reachable.js';
import { startContender } from './contenders.js';
import { contenderName, type Plan } from './plan.js';
import { createProgress } from './progress.js';
import type { RunResult } from './record.js';
import { buildReport, type Report } from './report/report.js';
import { runBench } from './run.js';
import { buildWorkload } from './workloads/index.js';

export interface CompareOptions {
  /** Folder that relative trace paths resolve against (the plan's folder). Default: the current directory. */
  baseDir?: string;
  signal?: AbortSignal;
  /** Live progress bar. Default: only on an interactive terminal. */
  progress?: boolean;
  /** Status lines. Default: stderr. */
  log?: (line: string) => void;
  /** The command line, for the report. */
  command?: string;
}

/** Per-backend facts after a contender's run, for the report's setup section. */
interface BackendFacts {
  name: string;
  requests: number;
  prefixHitRate: number;
  preemptions: number;
  /** Simulator timer lag, wall ms: large values mean the simulator could not keep up. */
  lagMeanMs: number;
  lagMaxMs: number;
}

/** Runs every contender of `plan`; returns the report, or undefined when interrupted. */
export async function runCompare(plan: Plan, options: CompareOptions = {}): Promise<Report | undefined> {
  const log = options.log ?? ((line: string) => console.error(line));
  const workload = await buildWorkload(plan.workload, options.baseDir);
  const results: RunResult[] = [];
  const backendFacts: Record<string, BackendFacts[]> = {};
  for (const spec of plan.contenders) {
    if (options.signal?.aborted) return undefined;
    const name = contenderName(spec);
    log(`[${name}] starting ${plan.cluster.backends.reduce((s, b) => s + b.count, 0)} simulated backends`);
    const cluster = await startSimCluster(plan);
    try {
      const contender = await startContender(spec, cluster.backends);
      try {
        await checkReachable(contender.url);
        if (options.signal?.aborted) return undefined;
        log(`[${name}] running ${workload.name} at ${contender.url}`);
        const prefix = `bench-${name}-`;
        const total = Math.min(workload.requests.length, plan.maxRequests ?? Infinity);
        const result = await runBench({
          name,
          target: { baseUrl: contender.url, api: plan.api, model: plan.model, requestIdPrefix: prefix },
          workload,
          load: plan.load,
          timeScale: plan.timeScale,
          warmupS: plan.warmupS,
          durationS: plan.durationS,
          maxRequests: plan.maxRequests,
          drainS: plan.drainS,
          slo: plan.slo,
          seed: plan.seed,
          endpoints: cluster.backends.map((b) => b.name),
          signal: options.signal,
          progress: createProgress(name.padEnd(24).slice(0, 24), total, options.progress),
        });
        if (result.interrupted) return undefined;
        const collected = await cluster.collect();
        // The backends' own logs are the ground truth of who served what, whatever the proxy says.
        const servedBy = new Map<string, string>();
        for (const c of collected) for (const id of c.served) servedBy.set(id, c.name);
        for (const r of result.records) {
          const backend = servedBy.get(`${prefix}${r.index}`);
          if (backend !== undefined) r.endpoint = backend;
        }
        backendFacts[name] = collected.map((c) => ({
          name: c.name,
          requests: c.stats.requests,
          prefixHitRate: c.stats.prefixHitRate,
          preemptions: c.stats.preemptions,
          lagMeanMs: c.stats.lag.meanMs,
          lagMaxMs: c.stats.lag.maxMs,
        }));
        results.push(result);
        const worstLag = Math.max(...backendFacts[name]!.map((b) => b.lagMeanMs));
        if (worstLag > 5)
          log(`[${name}] warning: simulator timer lag ${worstLag.toFixed(1)} ms (wall): CPU-bound`);
      } finally {
        await contender.close();
      }
    } finally {
      await cluster.close();
    }
  }
  return buildReport(`fulcrum bench compare: ${plan.name}`, results, {
    command: options.command ?? `fulcrum bench compare ${plan.name}`,
    baseline: plan.baseline ?? contenderName(plan.contenders[0]!),
    setup: {
      plan,
      workload: { name: workload.name, requests: workload.requests.length },
      backends: backendFacts,
      machine: { node: process.version, platform: process.platform },
    },
  });
}

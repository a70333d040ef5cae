/**
 * `fulcrum bench proxy` / `npm run bench:proxy`: what does a proxy cost? Starts three fast backends in
 * their own process and every contender (direct, NGINX, the minimal Node proxy, Fulcrum) up front, then
 * runs the phases one contender at a time, so they never run load at the same time: the contenders that
 * are not being measured sit idle, which costs next to no CPU (an idle Fulcrum only probes each backend's
 * health every 5 s and its models every 30 s). Each phase runs in interleaved rounds (`--rounds` for
 * closed and open, `--sse-rounds` for sse and burst) — every contender once per round, the starting
 * contender rotating — so slow drift of a noisy machine hits all contenders alike and the report can
 * compare them round by round.
 *
 *   node --import tsx src/bench/proxy/index.ts [options]   (see --help)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release } from 'node:os';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findNginx, hasNginx } from '../nginx.js';
import { BACKENDS_READY } from './backend.js';
import { nodeModuleArgs, spawnChild, stderrTail, stopChild, waitForLine } from './child.js';
import { CONTENDER_LABELS, type ContenderName, type RunningContender, startContender } from './contenders.js';
import type { LoadPhase } from './loadgen.js';
import {
  type MeasureContext,
  measurePhase,
  type PhaseMeasurement,
  type RequestMeasurement,
  type SseMeasurement,
} from './measure.js';
import { HELP, type Phase, type ProxyBenchOptions, parseOptions, phaseRounds } from './options.js';
import { loadAverage, processTree, rssBytes } from './proc-stats.js';
import { type ContenderReport, type MachineInfo, type ProxyBenchReport, toMarkdown } from './report.js';
import { medianClosedRound, medianOpenRound, medianSseRound, recordRound, roundOrder } from './rounds.js';
import { findWrk } from './wrk.js';

export type { ProxyBenchReport } from './report.js';

const log = (msg: string) => console.error(`[bench:proxy] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function versionLine(command: string | undefined, args: string[]): string {
  if (!command) return 'not installed';
  const out = spawnSync(command, args, { encoding: 'utf8' });
  return `${out.stdout ?? ''}${out.stderr ?? ''}`.split('\n')[0]!.trim() || 'unknown';
}

function machineInfo(): MachineInfo {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    kernel: release(),
    node: process.version,
    nginx: versionLine(hasNginx() ? findNginx() : undefined, ['-v']),
    wrk: versionLine(findWrk(), ['-v']).replace(/ Copyright.*/, ''),
    loadBefore: loadAverage(),
    loadAfter: [],
  };
}

/** The load for one phase against `urls`. */
function loadFor(phase: Phase, urls: string[], o: ProxyBenchOptions): LoadPhase {
  switch (phase) {
    case 'closed':
      return {
        kind: 'closed',
        urls,
        concurrency: o.concurrency,
        warmupMs: o.warmupSec * 1000,
        durationMs: o.durationSec * 1000,
      };
    case 'open':
      return {
        kind: 'open',
        urls,
        rate: o.rate,
        warmupMs: o.warmupSec * 1000,
        durationMs: o.rateDurationSec * 1000,
      };
    case 'sse':
      return { kind: 'sse', urls, streams: o.streams, rampMs: o.rampSec * 1000, chunks: o.chunks };
    case 'burst':
      return { kind: 'sse', urls, streams: o.burstStreams, rampMs: o.burstSec * 1000, chunks: o.chunks };
  }
}

/** One measurement of `phase` against a started contender, recorded in its report. */
async function measureOnce(
  running: RunningContender,
  report: ContenderReport,
  phase: Phase,
  round: number,
  o: ProxyBenchOptions,
  context: MeasureContext,
): Promise<void> {
  const rounds = phaseRounds(phase, o);
  log(`${running.name}: ${phase}${rounds > 1 ? ` round ${round + 1}/${rounds}` : ''}`);
  let m: PhaseMeasurement | null = null;
  try {
    m = await measurePhase(running, loadFor(phase, running.urls, o), context);
    const r = m.result;
    log(
      r.kind === 'sse'
        ? `  ${r.completed}/${r.streams} complete, TTFC p99 ${r.ttfc.p99?.toFixed(1)} ms`
        : `  ${r.throughput.toFixed(0)} req/s, p99 ${r.latency.p99?.toFixed(2)} ms, ${r.errors} errors`,
    );
  } catch (err) {
    const message = (err as Error).message;
    // The first failure of a phase is the one reported; later rounds go on regardless.
    report.errors[phase] ??= `${rounds > 1 ? `round ${round + 1}: ` : ''}${message.split('\n')[0]}`;
    log(`  failed: ${message}`);
  }
  // A failed round stays as null, so round r of every contender is at index r (the report pairs by index);
  // the phase's single figure is the median round so far.
  const req = m as RequestMeasurement | null;
  const sse = m as SseMeasurement | null;
  switch (phase) {
    case 'closed':
      report.closedRounds ??= [];
      report.closed = recordRound(report.closedRounds, round, req, medianClosedRound) ?? report.closed;
      break;
    case 'open':
      report.openRounds ??= [];
      report.open = recordRound(report.openRounds, round, req, medianOpenRound) ?? report.open;
      break;
    case 'sse':
      report.sseRounds ??= [];
      report.sse = recordRound(report.sseRounds, round, sse, medianSseRound) ?? report.sse;
      break;
    case 'burst':
      report.burstRounds ??= [];
      report.burst = recordRound(report.burstRounds, round, sse, medianSseRound) ?? report.burst;
      break;
  }
}

/** Starts one contender; a contender that cannot start is reported as not available. */
async function start(
  name: ContenderName,
  backends: string[],
  o: ProxyBenchOptions,
): Promise<{ running?: RunningContender; report: ContenderReport }> {
  let running: RunningContender;
  try {
    running = await startContender(name, {
      backends,
      nginxWorkers: o.nginxWorkers,
      profileDir: o.profileDir,
      fulcrumMaxConnections: o.fulcrumMaxConnections,
      fulcrumLauncher: o.fulcrumLauncher,
    });
  } catch (err) {
    // One line for the table: the error and, when the process printed one, its stderr.
    const reason = (err as Error).message.replace(/\s*\n(--- stderr ---\n)?/g, ' ').slice(0, 300);
    log(`${CONTENDER_LABELS[name]} not available: ${(err as Error).message}`);
    return { report: { name, available: false, reason, errors: {} } };
  }
  const report: ContenderReport = {
    name,
    available: true,
    idleRssBytes: rssBytes(running.pids()),
    errors: {},
  };
  return { running, report };
}

/** Runs the proxy bench; returns the process exit code (0 when every available contender ran every phase). */
export async function runProxyBench(argv: string[]): Promise<number> {
  let o: ProxyBenchOptions;
  try {
    const parsed = parseOptions(argv);
    if (parsed === 'help') {
      console.log(HELP);
      return 0;
    }
    o = parsed;
  } catch (err) {
    console.error(`bench proxy: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (o.client === 'wrk' && !findWrk()) {
    console.error('bench proxy: --client wrk but wrk is not installed (apt-get install wrk)');
    return 2;
  }
  const context: MeasureContext = { backendPids: () => [], useWrk: o.client !== 'undici' && !!findWrk() };
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  log(`load average before: ${machine.loadBefore.join(' ')}`);

  const backendScript = new URL(
    `./backend${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
    import.meta.url,
  );
  const backendArgs = [
    '--count',
    '3',
    '--chunks',
    String(o.chunks),
    '--interval-ms',
    String(o.chunkIntervalMs),
  ];
  const backendProcess = spawnChild(process.execPath, [
    ...nodeModuleArgs(backendScript.href),
    ...backendArgs,
  ]);
  const ready = await waitForLine(backendProcess, BACKENDS_READY, { stderr: stderrTail(backendProcess) });
  const backends = ready[1]!.trim().split(' ');
  context.backendPids = () => processTree(backendProcess.pid!);
  log(`backends: ${backends.join(' ')}`);

  const contenders: ContenderReport[] = [];
  const started: { running: RunningContender; report: ContenderReport }[] = [];
  try {
    for (const name of o.contenders) {
      const { running, report } = await start(name, backends, o);
      contenders.push(report);
      if (running) started.push({ running, report });
    }
    for (const phase of o.phases) {
      for (let round = 0; round < phaseRounds(phase, o); round++) {
        for (const { running, report } of roundOrder(started, round)) {
          await measureOnce(running, report, phase, round, o, context);
          await sleep(o.settleSec * 1000);
        }
      }
    }
  } finally {
    const closed = await Promise.allSettled(started.map(({ running }) => running.close()));
    for (const [i, c] of closed.entries()) {
      if (c.status === 'rejected') log(`closing ${started[i]!.running.name} failed: ${c.reason}`);
    }
    await stopChild(backendProcess);
  }

  machine.loadAfter = loadAverage();
  log(`load average after: ${machine.loadAfter.join(' ')}`);
  const report: ProxyBenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    command: `npm run bench:proxy${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    options: o,
    machine,
    contenders,
  };
  const markdown = toMarkdown(report);
  mkdirSync(dirname(o.out) || '.', { recursive: true });
  writeFileSync(`${o.out}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${o.out}.md`, markdown);
  console.log(markdown);
  log(`wrote ${o.out}.json and ${o.out}.md`);
  return contenders.some((c) => Object.keys(c.errors).length > 0) ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runProxyBench(process.argv.slice(2));
}

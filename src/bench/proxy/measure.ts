/**
 * Runs the bench's phases against one contender and charges it for what it used: CPU seconds of its
 * process tree (and of the backends, for context) over exactly the measured window, and the peak RSS of
 * its processes while the phase ran.
 */

import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { exited, nodeModuleArgs, spawnChild, stderrTail } from './child.js';
import type { RunningContender } from './contenders.js';
import {
  type LoadPhase,
  type PhaseResult,
  RESULT_PREFIX,
  type RequestPhaseResult,
  type SsePhaseResult,
} from './loadgen.js';
import { cpuSeconds, MachineCpuSampler, type MachineLoad, RssSampler } from './proc-stats.js';
import { runWrk } from './wrk.js';

/** One phase's outcome for one contender. */
export interface PhaseMeasurement<R extends PhaseResult = PhaseResult> {
  result: R;
  /** Which client produced it. */
  client: 'wrk' | 'undici';
  /** CPU seconds used by the contender's processes in the measured window (0 for direct). */
  proxyCpuSec: number;
  /** CPU seconds used by the backends' process in the same window. */
  backendCpuSec: number;
  /** Peak RSS of the contender's processes during the phase, bytes (0 for direct). */
  peakRssBytes: number;
  /**
   * CPU seconds of the Node load generator in the window (undefined for wrk): near 1 s per second means
   * the client, not the contender, was the limit.
   */
  clientCpuSec?: number;
  /** The whole machine's CPU use in the measured window (absent in reports written before it existed). */
  machine?: MachineLoad;
}

export type RequestMeasurement = PhaseMeasurement<RequestPhaseResult>;
export type SseMeasurement = PhaseMeasurement<SsePhaseResult>;

/** CPU counters read at the start of a measured window, subtracted at its end. */
class CpuWindow {
  private proxy0 = 0;
  private backend0 = 0;
  proxySec = 0;
  backendSec = 0;
  machine: MachineLoad | undefined;
  #sampler: MachineCpuSampler | undefined;

  constructor(
    private readonly proxyPids: () => number[],
    private readonly backendPids: () => number[],
  ) {}

  start(): void {
    this.proxy0 = cpuSeconds(this.proxyPids());
    this.backend0 = cpuSeconds(this.backendPids());
    this.#sampler = new MachineCpuSampler(availableParallelism());
  }

  end(): void {
    this.proxySec = cpuSeconds(this.proxyPids()) - this.proxy0;
    this.backendSec = cpuSeconds(this.backendPids()) - this.backend0;
    this.machine = this.#sampler?.stop();
    this.#sampler = undefined;
  }
}

/** Runs a phase in a load-generator process, calling back at its measured window's edges. */
export async function runLoadgen(
  phase: LoadPhase,
  onStart: () => void,
  onEnd: () => void,
): Promise<{ result: PhaseResult; clientCpuSec: number }> {
  const script = new URL(`./loadgen${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  const child = spawnChild(process.execPath, [...nodeModuleArgs(script.href), JSON.stringify(phase)]);
  const stderr = stderrTail(child);
  let result: PhaseResult | undefined;
  let client0 = 0;
  let clientCpuSec = 0;
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    if (line === 'LOADGEN_MEASURE start') {
      onStart();
      client0 = cpuSeconds([child.pid!]);
    } else if (line === 'LOADGEN_MEASURE end') {
      onEnd();
      clientCpuSec = cpuSeconds([child.pid!]) - client0;
    } else if (line.startsWith(RESULT_PREFIX)) {
      result = JSON.parse(line.slice(RESULT_PREFIX.length)) as PhaseResult;
    }
  });
  await exited(child);
  // readline may still hold the last line for a tick after the process is gone.
  await new Promise((r) => setImmediate(r));
  if (!result) throw new Error(`load generator failed (exit ${child.exitCode}):\n${stderr()}`);
  return { result, clientCpuSec };
}

/** What {@link measurePhase} needs besides the contender. */
export interface MeasureContext {
  backendPids: () => number[];
  /** Closed-loop only: use wrk instead of the Node load generator. */
  useWrk: boolean;
}

/** Runs `phase` against `contender` and measures it. */
export async function measurePhase(
  contender: RunningContender,
  phase: LoadPhase,
  context: MeasureContext,
): Promise<PhaseMeasurement> {
  const cpu = new CpuWindow(() => contender.pids(), context.backendPids);
  const rss = new RssSampler(() => contender.pids());
  let result: PhaseResult;
  let client: 'wrk' | 'undici' = 'undici';
  let peak = 0;
  let clientCpuSec: number | undefined;
  try {
    if (phase.kind === 'closed' && context.useWrk) {
      client = 'wrk';
      // wrk reaches one address; for direct that is the first backend (all three share one process).
      const url = phase.urls[0]!;
      if (phase.warmupMs > 0) {
        await runWrk({ url, connections: phase.concurrency, durationSec: phase.warmupMs / 1000 });
      }
      result = await runWrk({
        url,
        connections: phase.concurrency,
        durationSec: phase.durationMs / 1000,
        onStart: () => cpu.start(),
      });
      cpu.end();
    } else {
      ({ result, clientCpuSec } = await runLoadgen(
        phase,
        () => cpu.start(),
        () => cpu.end(),
      ));
    }
  } finally {
    peak = rss.stop();
  }
  return {
    result,
    client,
    proxyCpuSec: cpu.proxySec,
    backendCpuSec: cpu.backendSec,
    peakRssBytes: peak,
    clientCpuSec,
    machine: cpu.machine,
  };
}

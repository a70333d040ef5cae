/**
 * Reads CPU time and resident memory of a process tree from Linux `/proc`, so the bench can charge a proxy
 * for everything it runs (NGINX's master and workers, a Node proxy's single process) without instrumenting
 * it. Values come from the kernel's accounting, not from the process itself, so every contender is measured
 * the same way.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Kernel clock ticks per second (`getconf CLK_TCK`). It is 100 on every Linux architecture Node supports;
 * `/proc/<pid>/stat` reports utime and stime in these ticks.
 */
const CLOCK_TICKS_PER_SEC = 100;

/** Parses `/proc/<pid>/stat`; undefined if the process is gone. */
function readStat(pid: number): { ppid: number; ticks: number; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: state(3) ppid(4) ... utime(14) stime(15) ... starttime(22): indices 1, 11, 12 and 19.
  return {
    ppid: Number(fields[1]),
    ticks: Number(fields[11]) + Number(fields[12]),
    startTime: fields[19] ?? '',
  };
}

/**
 * An identity for a live process (its start time), so that a pid remembered earlier is only signalled if
 * it still names the same process and not one that reused the number.
 */
export function processIdentity(pid: number): string | undefined {
  return readStat(pid)?.startTime;
}

/** The direct children of `pid` (scans /proc once). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const child = Number(name);
    if (!Number.isInteger(child)) continue;
    if (readStat(child)?.ppid === pid) out.push(child);
  }
  return out;
}

/** `pid` and all its live descendants, parents first. */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const p = Number(name);
    if (!Number.isInteger(p)) continue;
    const stat = readStat(p);
    if (!stat) continue;
    const siblings = parents.get(stat.ppid);
    if (siblings) siblings.push(p);
    else parents.set(stat.ppid, [p]);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    out.push(next);
    queue.push(...(parents.get(next) ?? []));
  }
  return out;
}

/**
 * User plus system CPU seconds consumed so far by the given processes. Processes that already exited
 * contribute nothing, so take the reading while they run.
 */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += readStat(pid)?.ticks ?? 0;
  return ticks / CLOCK_TICKS_PER_SEC;
}

/** Resident set size (VmRSS) of the given processes, summed, in bytes. */
export function rssBytes(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) total += Number(match[1]) * 1024;
    } catch {
      // Exited between listing and reading: nothing resident any more.
    }
  }
  return total;
}

/** Samples the RSS of a process tree at an interval and keeps the peak. */
export class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  /**
   * @param pids returns the processes to sample (re-evaluated each time, so new NGINX workers count).
   * @param intervalMs sampling period; default 250 ms.
   */
  constructor(
    private readonly pids: () => readonly number[],
    intervalMs = 250,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    this.peak = Math.max(this.peak, rssBytes(this.pids()));
  }

  /** Stops sampling (after one last sample) and returns the peak in bytes. */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return this.peak;
  }
}

/** The 1, 5 and 15-minute load averages, from /proc/loadavg (what `uptime` prints). */
export function loadAverage(): [number, number, number] {
  const [a = '0', b = '0', c = '0'] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return [Number(a), Number(b), Number(c)];
}

/** Busy and total CPU ticks of the whole machine since boot, summed over its CPUs (`/proc/stat`). */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user).
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + (steal ?? 0);
  return { busy, total: busy + idle! + (iowait ?? 0) };
}

/** How busy the whole machine was while a phase ran, in cores (2.0 = both CPUs of a 2-CPU machine). */
export interface MachineLoad {
  /** Mean over the window. */
  meanCores: number;
  /** The busiest sampling interval. */
  peakCores: number;
  /** CPUs the machine has. */
  cores: number;
}

/**
 * Samples the whole machine's CPU use (everything running, not just the bench's processes, with time stolen
 * by the hypervisor counted as busy) at an interval. It tells whether a phase saturated the machine: when
 * the contender, the backends and the client together need more than the machine has, every latency
 * measured then includes queueing for a CPU.
 */
export class MachineCpuSampler {
  private readonly first = machineTicks();
  private last = this.first;
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly cores: number,
    intervalMs = 500,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    const now = machineTicks();
    this.peak = Math.max(this.peak, busyCores(this.last, now, this.cores));
    this.last = now;
  }

  /** Stops sampling and returns the mean and peak. */
  stop(): MachineLoad {
    clearInterval(this.timer);
    this.sample();
    return {
      meanCores: busyCores(this.first, this.last, this.cores),
      peakCores: this.peak,
      cores: this.cores,
    };
  }
}

/** Busy cores between two readings: the busy share of all CPU time, times the number of CPUs. */
function busyCores(
  a: { busy: number; total: number },
  b: { busy: number; total: number },
  cores: number,
): number {
  const total = b.total - a.total;
  return total > 0 ? ((b.busy - a.busy) / total) * cores : 0;
}

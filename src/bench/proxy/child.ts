/**
 * Child processes for the bench: every contender, backend and load generator runs in its own process so
 * that one's CPU is not charged to another. This file starts them with a raised open-file limit, waits
 * for their "ready" line, and makes sure none outlives the bench.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { processIdentity, processTree } from './proc-stats.js';

/** Open-file limit asked for children: 5,000 streams through a proxy need ~10,000 sockets. */
export const DEFAULT_NOFILE = 65536;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every still-running child when the bench exits, however it exits normally. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) killTree(child.pid, 'SIGKILL');
  });
}

/** Sends `signal` to `pid` and all its descendants; ignores processes that are already gone. */
export function killTree(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  for (const p of processTree(pid).reverse()) {
    try {
      process.kill(p, signal);
    } catch {
      // Already exited.
    }
  }
}

/** Options for {@link spawnChild}. */
export interface SpawnChildOptions {
  /** Soft open-file limit for the child; default {@link DEFAULT_NOFILE}, lowered to the hard limit if needed. */
  nofile?: number;
  /** Extra environment variables (merged over this process's). */
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * Starts `command args…` through `bash -c 'ulimit -n …; exec …'`, so the returned pid is the command's own
 * (exec replaces the shell) and its file limit is raised without touching this process's.
 */
export function spawnChild(
  command: string,
  args: readonly string[],
  options: SpawnChildOptions = {},
): ChildProcess {
  installExitHook();
  const nofile = options.nofile ?? DEFAULT_NOFILE;
  const script = `ulimit -n ${nofile} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"`;
  const child = spawn('bash', ['-c', script, command, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/**
 * The node arguments that run one of the bench's own modules as a process: the compiled `.js` directly,
 * or the `.ts` source through tsx when the bench itself runs from source.
 */
export function nodeModuleArgs(moduleUrl: string): string[] {
  const path = fileURLToPath(moduleUrl);
  if (path.endsWith('.ts')) return ['--import', import.meta.resolve('tsx'), path];
  return [path];
}

/** Keeps the last few KB of a child's stderr, for error messages. */
export function stderrTail(child: ChildProcess, maxChars = 4000): () => string {
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-maxChars);
  });
  return () => tail.trim();
}

/**
 * Resolves with the first stdout line matching `pattern`; rejects if the child exits first or `timeoutMs`
 * (default 20 s) passes. Later stdout lines are passed to `onLine`, if given.
 */
export function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  options: { timeoutMs?: number; stderr?: () => string; onLine?: (line: string) => void } = {},
): Promise<RegExpExecArray> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const describe = (why: string) => {
    const err = options.stderr?.() ?? '';
    return new Error(`${why}${err ? `\n--- stderr ---\n${err}` : ''}`);
  };
  return new Promise((resolve, reject) => {
    let found = false;
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      if (!found) reject(describe(`no line matching ${pattern} within ${timeoutMs} ms`));
    }, timeoutMs);
    lines.on('line', (line) => {
      if (found) {
        options.onLine?.(line);
        return;
      }
      const match = pattern.exec(line);
      if (!match) return;
      found = true;
      clearTimeout(timer);
      resolve(match);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Let stderr drain so the message shows why the child died.
      if (!found) setTimeout(() => reject(describe(`exited (${signal ?? code}) before ready`)), 50);
    });
  });
}

/** Resolves when the child has exited (immediately if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Stops a child: `signal` (default SIGTERM); after `timeoutMs` (default 5 s) the same signal again (a second
 * signal makes `fulcrum serve` exit at once, cleanly enough to write a `--cpu-prof` profile); 3 s later
 * SIGKILL to its whole tree.
 */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 5000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const tree = (child.pid === undefined ? [] : processTree(child.pid)).map((pid) => ({
    pid,
    id: processIdentity(pid),
  }));
  const exitedWithin = async (ms: number) => {
    const timer = new Promise<false>((resolve) => setTimeout(() => resolve(false), ms).unref());
    return Promise.race([exited(child).then(() => true), timer]);
  };
  child.kill(signal);
  if (!(await exitedWithin(timeoutMs))) {
    child.kill(signal);
    if (!(await exitedWithin(3000))) {
      killTree(child.pid, 'SIGKILL');
      await exited(child);
    }
  }
  // Orphaned grandchildren (e.g. workers of a master that died) must not survive either.
  for (const { pid, id } of tree) {
    if (id === undefined || processIdentity(pid) !== id) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone, as expected.
    }
  }
}

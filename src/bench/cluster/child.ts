/**
 * The bench's own helper processes (simulated backends, a Fulcrum contender), forked with an IPC channel.
 * Each runs in its own process so that one's CPU is not charged to another and the load generator keeps
 * an event loop to itself. A child exits by itself when the channel closes, so none outlives the bench
 * even if the bench is killed; on normal exit any straggler is SIGKILLed.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Messages from a child: `ready` once, then replies to requests by id. */
export type ChildMessage =
  | { type: 'ready'; data: unknown }
  | { type: 'reply'; id: number; data: unknown }
  | { type: 'error'; message: string };

/** A running helper process. */
export interface HelperProcess {
  pid: number;
  /** What the child sent with `ready`. */
  ready: unknown;
  /** Sends a command and resolves with the child's reply. */
  call(command: string, timeoutMs?: number): Promise<unknown>;
  /** Asks the child to close, then SIGKILLs it after `timeoutMs` (default 5000). Idempotent. */
  close(timeoutMs?: number): Promise<void>;
}

/** Node arguments to run a sibling module: the `.ts` source through tsx when running from source. */
function execArgvFor(path: string): string[] {
  return path.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
}

/** The path of module `name` (without extension) next to `base`, with the extension `base` has. */
export function siblingModule(base: string, name: string): string {
  const ext = base.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./${name}${ext}`, base));
}

/**
 * Forks `modulePath` with `args` and resolves when it reports `ready`; rejects with its stderr if it
 * exits or reports an error first, or after `timeoutMs` (default 30000).
 */
export function startHelper(modulePath: string, args: string[], timeoutMs = 30_000): Promise<HelperProcess> {
  hookExit();
  const child = fork(modulePath, args, {
    execArgv: execArgvFor(modulePath),
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  live.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
    process.stderr.write(s);
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m: ChildMessage) => {
    if (m.type === 'reply') {
      pending.get(m.id)?.resolve(m.data);
      pending.delete(m.id);
    }
  });
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`helper ${modulePath} exited`));
    pending.clear();
  });
  let closing: Promise<void> | undefined;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`helper ${modulePath} not ready within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    void exited.then(() => {
      clearTimeout(timer);
      reject(
        new Error(
          `helper ${modulePath} exited (${child.exitCode ?? child.signalCode}) before ready\n${stderr}`,
        ),
      );
    });
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'error') {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(m.message));
      }
      if (m.type !== 'ready') return;
      clearTimeout(timer);
      resolve({
        pid: child.pid!,
        ready: m.data,
        call(command, callTimeoutMs = 30_000) {
          const id = nextId++;
          return new Promise((res, rej) => {
            const t = setTimeout(() => {
              pending.delete(id);
              rej(new Error(`helper did not answer "${command}" within ${callTimeoutMs} ms`));
            }, callTimeoutMs);
            pending.set(id, {
              resolve: (v) => {
                clearTimeout(t);
                res(v);
              },
              reject: (e) => {
                clearTimeout(t);
                rej(e);
              },
            });
            child.send({ id, command });
          });
        },
        close(closeTimeoutMs = 5000) {
          closing ??= (async () => {
            if (child.exitCode !== null || child.signalCode !== null) return;
            if (child.connected) child.disconnect();
            const kill = setTimeout(() => child.kill('SIGKILL'), closeTimeoutMs);
            await exited;
            clearTimeout(kill);
          })();
          return closing;
        },
      });
    });
  });
}

/**
 * The child side: report `ready` with `data`, answer commands with `handle`, and run `shutdown` then exit
 * when the parent disconnects (normal close, or the parent died).
 */
export function serveHelper(
  data: unknown,
  handle: (command: string) => unknown | Promise<unknown>,
  shutdown: () => Promise<void>,
): void {
  const send = (m: ChildMessage) => process.send?.(m);
  process.on('message', async (m: { id: number; command: string }) => {
    send({ type: 'reply', id: m.id, data: await handle(m.command) });
  });
  process.once('disconnect', () => {
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    void shutdown().finally(() => process.exit(0));
  });
  send({ type: 'ready', data });
}

/** Child side: report a start-up failure and exit. */
export function failHelper(err: unknown): void {
  process.send?.(
    { type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies ChildMessage,
    () => process.exit(1),
  );
}

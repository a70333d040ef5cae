/** Test helpers for the pool and health suites: manual timers, a polling wait, tiny HTTP upstreams. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Schedule } from '../../src/pool/health/timers.js';

/** A `Schedule` whose callbacks run only when the test says so. */
export class ManualSchedule {
  readonly #pending = new Map<number, { fn: () => void; ms: number }>();
  #next = 0;

  readonly schedule: Schedule = (fn, ms) => {
    const id = this.#next++;
    this.#pending.set(id, { fn, ms });
    return () => this.#pending.delete(id);
  };

  /** Callbacks scheduled and neither fired nor cancelled. */
  get size(): number {
    return this.#pending.size;
  }

  /** Delays of the pending callbacks, in scheduling order. */
  delays(): number[] {
    return [...this.#pending.values()].map((p) => p.ms);
  }

  /** Runs (and removes) every callback pending now; callbacks they schedule wait for the next call. */
  fireAll(): void {
    const due = [...this.#pending.entries()];
    for (const [id, { fn }] of due) {
      this.#pending.delete(id);
      fn();
    }
  }
}

/** Polls `condition` until it holds; fails with `message` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean,
  message: string,
  timeoutMs = 5_000,
  pollMs = 5,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/** Starts a `node:http` server on 127.0.0.1, port 0. `close()` also cuts open and hanging connections. */
export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on which nothing listens (a port that was just released). */
export async function deadUrl(): Promise<string> {
  const s = await startServer(() => undefined);
  await s.close();
  return s.url;
}

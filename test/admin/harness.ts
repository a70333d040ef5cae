/** Starts a real admin listener on 127.0.0.1:0 over a real pool, capturing its log lines. */
import { ManualClock } from '../../src/core/clock.js';
import type { EndpointSpec } from '../../src/pool/endpoint.js';
import { Pool } from '../../src/pool/pool.js';
import { type AdminServer, startAdminServer } from '../../src/server/admin.js';
import { TelemetryBus } from '../../src/telemetry/events.js';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';
import { FulcrumMetrics } from '../../src/telemetry/metrics.js';

export const TOKEN = 'admin-token-0123456789-CANARY';

export interface Harness {
  admin: AdminServer;
  pool: Pool;
  bus: TelemetryBus;
  clock: ManualClock;
  metrics: FulcrumMetrics;
  logs: string[];
  /** The logger handed to the admin listener. */
  logger: Logger;
  ready: { value: boolean };
  /** fetch relative to the admin URL, with the token unless `auth: false` or another header is given. */
  call(path: string, init?: RequestInit & { auth?: boolean; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export const SECRET_KEY = 'sk-upstream-CANARY-abcdefghijklmnop';

export const DEFAULT_SPECS: EndpointSpec[] = [
  { name: 'gpu-1', url: 'http://127.0.0.1:8001', models: ['llama'], apiKey: SECRET_KEY },
  { name: 'gpu-2', url: 'http://127.0.0.1:8002/v1', models: ['llama', 'qwen'], weight: 2 },
];

export async function startHarness(
  opts: { token?: string; specs?: EndpointSpec[]; describe?: () => Record<string, unknown> } = {},
): Promise<Harness> {
  const clock = new ManualClock(0);
  const bus = new TelemetryBus();
  const pool = new Pool(opts.specs ?? DEFAULT_SPECS, clock, bus);
  const metrics = new FulcrumMetrics(bus, pool, { clock, processMetrics: false });
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug' }, { write: (s: string) => logs.push(s) });
  const ready = { value: true };
  const admin = await startAdminServer({
    config: { enabled: true, host: '127.0.0.1', port: 0, token: opts.token },
    pool,
    metrics,
    logger,
    isReady: () => ready.value,
    describe: opts.describe,
  });
  const call: Harness['call'] = (path, init = {}) => {
    const { auth = true, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (auth && opts.token && !headers.has('authorization'))
      headers.set('authorization', `Bearer ${opts.token}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(admin.url + path, {
      ...rest,
      headers,
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    });
  };
  return {
    admin,
    pool,
    bus,
    clock,
    metrics,
    logs,
    logger,
    ready,
    call,
    async close() {
      await admin.close();
      metrics.dispose();
    },
  };
}

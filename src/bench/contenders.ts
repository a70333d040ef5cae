/**
 * Starting and stopping a contender in front of the cluster: a Fulcrum strategy (its own process), an NGINX
 * setup (the machine's nginx, its own processes, generated config) or `direct` (no balancer, one backend).
 */
import { type HelperProcess, siblingModule, startHelper } from './cluster/child.js';
import type { Backend } from './cluster/sim-cluster.js';
import { type ContenderSpec, contenderName } from './plan.js';

/** A running contender. */
export interface RunningContender {
  name: string;
  /** Base URL the bench sends to. */
  url: string;
  close(): Promise<void>;
}

/** The Fulcrum config for a strategy over the backends: admin off, logs quiet, everything else default. */
export function fulcrumConfig(
  strategy: string,
  options: Record<string, unknown>,
  backends: readonly Backend[],
) {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { enabled: false },
    strategy: { name: strategy, options },
    endpoints: backends.map((b) => ({ name: b.name, url: b.url, weight: b.weight })),
    logging: { level: 'warn' as const },
  };
}

/** Starts `spec` in front of `backends`. */
export async function startContender(
  spec: ContenderSpec,
  backends: readonly Backend[],
): Promise<RunningContender> {
  const name = contenderName(spec);
  if (spec.kind === 'direct') {
    return { name, url: backends[spec.backend]!.url, close: async () => {} };
  }
  if (spec.kind === 'nginx') {
    const { startNginx } = await import('./nginx.js');
    const nginx = await startNginx({
      upstreams: backends.map((b) => b.url),
      method: spec.method,
      workers: spec.workers ?? 1,
    });
    return { name, url: nginx.url, close: () => nginx.close() };
  }
  const config = fulcrumConfig(spec.strategy, spec.options ?? {}, backends);
  const helper: HelperProcess = await startHelper(siblingModule(import.meta.url, 'cluster/fulcrum-child'), [
    JSON.stringify(config),
  ]);
  return { name, url: (helper.ready as { url: string }).url, close: () => helper.close() };
}

/**
 * Child process: one simulated backend. Argument: JSON `SimChildOptions`. Replies to `stats` with the
 * simulator's stats plus which request ids it served (`x-request-id` → this backend), so that the bench can
 * attribute every request to its endpoint even behind a proxy that does not say (NGINX).
 */
import { type EngineFlavor, startSim } from '../../sim/index.js';
import { failHelper, serveHelper } from './child.js';

/** What the parent passes. */
export interface SimChildOptions {
  name: string;
  profile: string;
  engine?: string;
  seed: number;
  timeScale: number;
  model: string;
  /** Tokens per SSE event. Default 1. */
  coalesce?: number;
  params?: Record<string, unknown>;
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as SimChildOptions;
  const sim = await startSim({
    name: o.name,
    profile: o.profile,
    engine: (o.engine ?? 'vllm') as EngineFlavor,
    seed: o.seed,
    timeScale: o.timeScale,
    model: o.model,
    coalesce: o.coalesce ?? 1,
    params: o.params ?? {},
  });
  const served: string[] = [];
  sim.events.on('request:start', (r) => served.push(r.requestId));
  serveHelper(
    { url: sim.url },
    (command) => (command === 'stats' ? { stats: sim.stats(), served } : undefined),
    () => sim.close(),
  );
}

main().catch(failHelper);

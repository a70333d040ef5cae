/**
 * A simulated cluster for compare mode: one process per backend (so a busy simulator cannot delay
 * another's tokens), started fresh for every contender with the same seeds, so that each contender meets
 * identical, empty-cached backends.
 */
import type { SimStats } from '../../sim/index.js';
import type { Plan } from '../plan.js';
import { type HelperProcess, siblingModule, startHelper } from './child.js';
import type { SimChildOptions } from './sim-child.js';

/** One backend of the cluster. */
export interface Backend {
  name: string;
  url: string;
  weight: number;
  profile: string;
  engine: string;
}

/** A running cluster. */
export interface SimCluster {
  backends: Backend[];
  /** Each backend's stats and the request ids it served. */
  collect(): Promise<{ name: string; stats: SimStats; served: string[] }[]>;
  close(): Promise<void>;
}

/** Expands the plan's backend groups into named backends `sim-0 … sim-(n−1)`. */
export function backendOptions(plan: Plan): (SimChildOptions & { weight: number })[] {
  const out: (SimChildOptions & { weight: number })[] = [];
  for (const group of plan.cluster.backends) {
    for (let i = 0; i < group.count; i++) {
      const k = out.length;
      out.push({
        name: `sim-${k}`,
        profile: group.profile,
        engine: group.engine,
        seed: plan.seed + k,
        timeScale: plan.timeScale,
        model: plan.model,
        coalesce: group.coalesce,
        ...(group.params ? { params: group.params } : {}),
        weight: group.weight,
      });
    }
  }
  return out;
}

/** Starts every backend of the plan, each in its own process. Cleans up what started if one fails. */
export async function startSimCluster(plan: Plan): Promise<SimCluster> {
  const module = siblingModule(import.meta.url, 'sim-child');
  const options = backendOptions(plan);
  const settled = await Promise.allSettled(
    options.map(({ weight: _w, ...o }) => startHelper(module, [JSON.stringify(o)])),
  );
  const helpers = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s) => s.status === 'rejected');
  const closeAll = async (hs: HelperProcess[]) => {
    await Promise.all(hs.map((h) => h.close()));
  };
  if (failed) {
    await closeAll(helpers);
    throw new Error(`cannot start the simulated cluster: ${(failed.reason as Error).message}`);
  }
  const backends = helpers.map((h, k) => ({
    name: options[k]!.name,
    url: (h.ready as { url: string }).url,
    weight: options[k]!.weight,
    profile: options[k]!.profile,
    engine: options[k]!.engine ?? 'vllm',
  }));
  return {
    backends,
    collect: () =>
      Promise.all(
        helpers.map(async (h, k) => ({
          name: backends[k]!.name,
          ...((await h.call('stats')) as { stats: SimStats; served: string[] }),
        })),
      ),
    close: () => closeAll(helpers),
  };
}

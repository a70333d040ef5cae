/**
 * The zero-configuration demo: three simulated LLM servers on local ports — two fast (H100) and one slower
 * (A100) profile — for `fulcrum serve` to balance when it is given no config file and no `--backend`.
 */
import type { EndpointConfig } from '../config/schema.js';
import { type SimHandle, startSim } from '../sim/index.js';

/** The model the demo's simulated servers serve. */
export const DEMO_MODEL = 'meta-llama/Llama-3.1-8B-Instruct';

const DEMO_BACKENDS = [
  { name: 'sim-h100-1', profile: 'h100-llama3-8b' },
  { name: 'sim-h100-2', profile: 'h100-llama3-8b' },
  { name: 'sim-a100', profile: 'a100-llama3-8b' },
] as const;

export interface Demo {
  endpoints: EndpointConfig[];
  close(): Promise<void>;
}

/** Starts the demo backends on free loopback ports. */
export async function startDemoBackends(): Promise<Demo> {
  const sims: SimHandle[] = [];
  try {
    for (const [i, b] of DEMO_BACKENDS.entries()) {
      sims.push(await startSim({ name: b.name, profile: b.profile, model: DEMO_MODEL, seed: i + 1 }));
    }
  } catch (err) {
    await Promise.all(sims.map((s) => s.close()));
    throw err;
  }
  return {
    endpoints: sims.map((s, i) => ({
      name: DEMO_BACKENDS[i]!.name,
      url: s.url,
      weight: 1,
      models: [DEMO_MODEL],
    })),
    close: async () => {
      await Promise.all(sims.map((s) => s.close()));
    },
  };
}

/** The `curl` line printed for the demo. */
export function demoCurl(url: string): string {
  const body = JSON.stringify({
    model: DEMO_MODEL,
    messages: [{ role: 'user', content: 'Say hello' }],
    max_tokens: 32,
    stream: true,
  });
  return `curl -N ${url}/v1/chat/completions -H 'content-type: application/json' -d '${body}'`;
}

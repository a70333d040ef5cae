/** Starts N fake backends and a Fulcrum in front of them, all on port 0, and tears everything down. */
import {
  type ConfigInput,
  type FulcrumHandle,
  type FulcrumOptions,
  startFulcrum,
} from '../../src/server/fulcrum.js';
import { type FakeLlm, type FakeScript, startFakeLlm } from './fake-llm.js';

export interface Cluster {
  fulcrum: FulcrumHandle;
  fakes: FakeLlm[];
  /** `${fulcrum.url}/v1/chat/completions` */
  chatUrl: string;
  close(): Promise<void>;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/**
 * `scripts[i]` is backend i's default behaviour. `overrides` merges into the generated config (one level
 * deep per section). Active health checks are off unless the overrides turn them on. `options` go to
 * `startFulcrum` (e.g. a seeded `random` for the strategies).
 */
export async function startCluster(
  scripts: FakeScript[],
  overrides: DeepPartial<ConfigInput> & Record<string, unknown> = {},
  options: FulcrumOptions = {},
): Promise<Cluster> {
  const fakes = await Promise.all(scripts.map((s, i) => startFakeLlm(String.fromCharCode(97 + i), s)));
  const base: Record<string, Record<string, unknown>> = {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { enabled: false },
    logging: { level: 'silent' },
    health: { active: { enabled: false } },
  };
  const config: Record<string, unknown> = {
    ...base,
    endpoints: fakes.map((f) => ({ name: f.name, url: f.url })),
  };
  for (const [key, value] of Object.entries(overrides)) {
    const prev = config[key];
    config[key] =
      prev &&
      typeof prev === 'object' &&
      !Array.isArray(prev) &&
      value &&
      typeof value === 'object' &&
      !Array.isArray(value)
        ? { ...(prev as object), ...(value as object) }
        : value;
  }
  const fulcrum = await startFulcrum(config as ConfigInput, options);
  return {
    fulcrum,
    fakes,
    chatUrl: `${fulcrum.url}/v1/chat/completions`,
    close: async () => {
      await fulcrum.close();
      await Promise.all(fakes.map((f) => f.close()));
    },
  };
}

/** A minimal valid chat body. */
export function chat(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'test-model', messages: [{ role: 'user', content: 'hi' }], ...extra };
}

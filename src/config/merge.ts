/**
 * Puts command-line flags (and `FULCRUM_ADMIN_TOKEN`) on top of the file's raw values, before validation,
 * and remembers which keys they set so that a problem with such a key names the flag, not a file line.
 *
 * Precedence, highest first: flag > environment variable > file > schema default.
 * `--backend` replaces the file's whole `endpoints` list: merging by position or name would make it unclear
 * which weight or key an endpoint ends up with. `--strategy` with a different name than the file's drops
 * the file's `strategy.options`, which belong to the file's strategy.
 */
import { type ConfigPath, formatPath, type ProblemSource } from './errors.js';
import type { ServeFlags } from './flags.js';

/** The environment variable that supplies `admin.token` (preferred over `--admin-token`, which `ps` shows). */
export const ADMIN_TOKEN_ENV = 'FULCRUM_ADMIN_TOKEN';

/** Formatted key path → where its value came from, for keys set by flags or the environment. */
export type Origins = Map<string, ProblemSource>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Sets `path` in `root`, creating missing mappings. When an intermediate value exists but is not a mapping
 * (a type error in the file), nothing is set: the schema reports the file's value, which is the real fault.
 */
function setIn(root: Record<string, unknown>, path: readonly string[], value: unknown): boolean {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key] ?? {};
    if (!isPlainObject(next)) return false;
    node[key] = next;
    node = next;
  }
  node[path[path.length - 1]!] = value;
  return true;
}

/**
 * Applies `flags` and the environment to `raw` (mutated; sections are copied before writing) and returns
 * the origins of the keys set.
 */
export function applyOverrides(
  raw: Record<string, unknown>,
  flags: ServeFlags,
  env: NodeJS.ProcessEnv,
): Origins {
  const origins: Origins = new Map();
  // Copy the sections we may write to, so a caller's object (or a shared parse result) is never changed.
  for (const section of ['listen', 'admin', 'strategy', 'logging']) {
    if (isPlainObject(raw[section])) raw[section] = { ...raw[section] };
  }
  const set = (path: string[], value: unknown, source: ProblemSource): void => {
    if (value !== undefined && setIn(raw, path, value)) origins.set(formatPath(path), source);
  };
  const flag = (name: string): ProblemSource => ({ kind: 'flag', flag: name });

  set(['listen', 'port'], flags.port, flag('--port'));
  set(['listen', 'host'], flags.host, flag('--host'));
  set(['admin', 'port'], flags.adminPort, flag('--admin-port'));
  set(['admin', 'host'], flags.adminHost, flag('--admin-host'));
  const envToken = env[ADMIN_TOKEN_ENV];
  if (flags.adminToken !== undefined) set(['admin', 'token'], flags.adminToken, flag('--admin-token'));
  else if (envToken) set(['admin', 'token'], envToken, { kind: 'env', variable: ADMIN_TOKEN_ENV });
  set(['logging', 'level'], flags.logLevel, flag('--log-level'));

  if (flags.strategy !== undefined) {
    const current = raw.strategy;
    if (isPlainObject(current) && current.name !== flags.strategy) delete current.options;
    set(['strategy', 'name'], flags.strategy, flag('--strategy'));
  }

  if (flags.backends !== undefined && flags.backends.length > 0) {
    raw.endpoints = flags.backends.map((b) => ({
      name: b.name,
      url: b.url,
      ...(b.weight === undefined ? {} : { weight: b.weight }),
      ...(b.models === undefined ? {} : { models: [...b.models] }),
    }));
    flags.backends.forEach((_, i) => {
      origins.set(formatPath(['endpoints', i]), flag(`--backend #${i + 1}`));
    });
    origins.set('endpoints', flag('--backend'));
  }
  return origins;
}

/** The origin of the value at `path`: the longest recorded prefix, or undefined for file values. */
export function originOf(origins: Origins, path: ConfigPath): ProblemSource | undefined {
  for (let n = path.length; n > 0; n--) {
    const hit = origins.get(formatPath(path.slice(0, n)));
    if (hit) return hit;
  }
  return undefined;
}

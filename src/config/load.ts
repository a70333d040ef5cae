/**
 * `loadConfig`: YAML file + environment + flags → a validated, typed `Config`, or one `ConfigError` that
 * lists every problem with its file position (or the flag that set it).
 *
 * Order: read and parse the file (strict YAML) → substitute `${VAR}` in string values → expand shorthands
 * (`strategy: NAME`) → apply flags and `FULCRUM_ADMIN_TOKEN` → schema (types, bounds, unknown keys) →
 * semantic checks (registry, cross-key rules). Nothing here opens a socket or starts a timer.
 */

import { hasStrategy } from '../balancer/registry.js';
import { checkConfig, unknownStrategyMessage } from './checks.js';
import { substituteEnv } from './env.js';
import {
  ConfigError,
  type ConfigPath,
  type ConfigProblem,
  formatProblem,
  type ProblemSource,
} from './errors.js';
import type { ServeFlags } from './flags.js';
import { describeIssue, type LocatedIssue, valueAt } from './issues.js';
import { applyOverrides, type Origins, originOf } from './merge.js';
import { type Config, configSchema } from './schema.js';
import { keysAt } from './schema-keys.js';
import { locate, locateKey, readYamlSource, type YamlSource } from './yaml-source.js';

/** Inputs of `loadConfig`. */
export interface LoadConfigOptions {
  /** YAML file to read. Default: `flags.config`; with neither, the config is built from flags and defaults. */
  readonly path?: string;
  /** Parsed `fulcrum serve` flags, applied on top of the file. Default: none. */
  readonly flags?: ServeFlags;
  /** Environment for `${VAR}` and `FULCRUM_ADMIN_TOKEN`. Default: `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives each warning (one formatted line, like a problem). Default: ignored. */
  readonly onWarning?: (message: string) => void;
}

/** Aliases become too costly to expand past this (a "billion laughs" file); real configs use a handful. */
const MAX_ALIAS_COUNT = 100;

/**
 * `strategy: least-connections` is short for `strategy: { name: least-connections }`, and a section left
 * empty (`health:` with every child commented out, which YAML reads as null) means "all defaults".
 */
function expandShorthands(raw: Record<string, unknown>, path: ConfigPath = []): void {
  if (path.length === 0 && typeof raw.strategy === 'string') raw.strategy = { name: raw.strategy };
  for (const [key, value] of Object.entries(raw)) {
    const child = [...path, key];
    if (value === null && keysAt(child).length > 0) delete raw[key];
    else if (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      keysAt(child).length > 0
    ) {
      expandShorthands(value as Record<string, unknown>, child);
    }
  }
}

/** Attaches a source: the flag or variable that set the key, else the file position, else none. */
function sourceFor(
  issue: LocatedIssue,
  origins: Origins,
  src: YamlSource | undefined,
): ProblemSource | undefined {
  const keyPath: ConfigPath = issue.key === undefined ? issue.path : [...issue.path, issue.key];
  const origin = originOf(origins, keyPath);
  if (origin || !src) return origin;
  if (issue.key !== undefined) return locateKey(src, issue.path, issue.key);
  return locate(src, issue.path, issue.missing === true);
}

/** Reads, substitutes, merges and validates a configuration. Throws `ConfigError` listing every problem. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<Config> {
  const flags = options.flags ?? {};
  const env = options.env ?? process.env;
  const file = options.path ?? flags.config;
  const problems: ConfigProblem[] = [];
  let src: YamlSource | undefined;
  let raw: Record<string, unknown> = {};
  let fromEnv: ReadonlyMap<string, readonly string[]> = new Map();
  // Keys whose value could not be substituted: schema complaints about them would only repeat the cause.
  const broken = new Set<string>();

  if (file !== undefined) {
    const read = await readYamlSource(file);
    if (!read.source) throw new ConfigError(read.problems);
    src = read.source;
    const substituted = substituteEnv(src, env);
    fromEnv = substituted.fromEnv;
    for (const p of substituted.problems) {
      problems.push(p);
      broken.add(JSON.stringify(p.path));
    }
    try {
      const js: unknown = src.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      if (js !== null && js !== undefined) raw = js as Record<string, unknown>;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new ConfigError([...problems, { path: [], message, source: { kind: 'file-only', file } }]);
    }
  }

  expandShorthands(raw);
  const origins = applyOverrides(raw, flags, env);
  const located = (issue: LocatedIssue): ConfigProblem => {
    const source = sourceFor(issue, origins, src);
    const { path, message } = issue;
    return source ? { path, message, source } : { path, message };
  };

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const d of describeIssue(issue, raw, fromEnv)) {
        if (!broken.has(JSON.stringify(d.path))) problems.push(located(d));
      }
    }
    // An unknown strategy is the commonest typo; report it even when other keys are wrong too.
    const name = valueAt(raw, ['strategy', 'name']);
    if (typeof name === 'string' && !hasStrategy(name)) {
      problems.push(located({ path: ['strategy', 'name'], message: unknownStrategyMessage(name) }));
    }
    throw new ConfigError(problems);
  }

  const explicit = (path: ConfigPath) => valueAt(raw, path) !== undefined;
  const checked = checkConfig(parsed.data, explicit);
  problems.push(...checked.problems.map((f) => located({ ...f, missing: false })));
  if (problems.length > 0) throw new ConfigError(problems);
  for (const w of checked.warnings) options.onWarning?.(`warning: ${formatProblem(located(w))}`);
  return parsed.data;
}

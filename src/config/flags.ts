/**
 * `fulcrum serve` command-line flags: the common cases without a file (`--backend` ×N, `--strategy`,
 * ports), and overrides on top of one. This module only parses and checks syntax; `load.ts` merges the
 * flags over the file and validates the result, attributing any problem to the flag that set it.
 */
import { parseArgs } from 'node:util';
import { strategyDefinitions } from '../balancer/registry.js';
import { ConfigError, type ConfigProblem, describeValue } from './errors.js';
import { loggingSchema } from './schema.js';
import { didYouMean } from './suggest.js';

/** One `--backend URL[,weight=N][,name=X][,model=M]…` flag. */
export interface BackendFlag {
  /** http:// or https:// base URL. */
  readonly url: string;
  /** Endpoint name; default `backend-N`, N being the flag's position (1-based) among `--backend` flags. */
  readonly name: string;
  /** Relative weight; default (when absent) the schema's, 1. */
  readonly weight?: number;
  /** Models served (`model=` may repeat); absent: discovered from the endpoint's `/v1/models`. */
  readonly models?: readonly string[];
}

/** Values given on the `fulcrum serve` command line; every field is absent unless its flag was given. */
export interface ServeFlags {
  /** `--config FILE` (`-c`): the YAML file to load. */
  readonly config?: string;
  /** `--backend …` (repeatable): replaces the file's `endpoints` as a whole. */
  readonly backends?: readonly BackendFlag[];
  /** `--strategy NAME` → `strategy.name`. */
  readonly strategy?: string;
  /** `--port N` → `listen.port`. */
  readonly port?: number;
  /** `--host ADDR` → `listen.host`. */
  readonly host?: string;
  /** `--admin-port N` → `admin.port`. */
  readonly adminPort?: number;
  /** `--admin-host ADDR` → `admin.host`. */
  readonly adminHost?: string;
  /** `--admin-token T` → `admin.token`. Visible in `ps`; prefer the `FULCRUM_ADMIN_TOKEN` variable. */
  readonly adminToken?: string;
  /** `--log-level L` → `logging.level`. */
  readonly logLevel?: string;
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  backend: { type: 'string', multiple: true },
  strategy: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'admin-port': { type: 'string' },
  'admin-host': { type: 'string' },
  'admin-token': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const LOG_LEVELS: readonly string[] = loggingSchema.shape.level.unwrap().options;

/** The `fulcrum serve --help` text, listing the registered strategies as they are when called. */
export function serveHelp(): string {
  const defs = strategyDefinitions();
  const width = Math.max(...defs.map((d) => d.name.length));
  return [
    'Usage: fulcrum serve [--config FILE] [options]',
    '',
    'Runs the load balancer. Flags override the file; with no file and no --backend, a demo on simulated',
    'backends. See docs/configuration.md for every key.',
    '',
    'Options:',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${VAR} syntax, shown to the user
    '  -c, --config FILE        YAML config file (${VAR} and ${VAR:-default} are substituted)',
    '  --backend URL[,weight=N][,name=X][,model=M]',
    "                           an upstream endpoint; repeat for several. Replaces the file's endpoints.",
    '                           name defaults to backend-1, backend-2…; model= may repeat',
    '  --strategy NAME          load-balancing strategy (default round-robin)',
    '  --host ADDR              data-plane bind address (default 0.0.0.0)',
    '  --port N                 data-plane port (default 8080; 0 = any free port)',
    '  --admin-host ADDR        admin API bind address (default 127.0.0.1)',
    '  --admin-port N           admin API port (default 9090)',
    '  --admin-token TOKEN      admin API bearer token, at least 16 characters; required off loopback.',
    '                           Prefer the FULCRUM_ADMIN_TOKEN environment variable (flags show in `ps`)',
    `  --log-level LEVEL        ${LOG_LEVELS.join(', ')} (default info)`,
    '  -h, --help               show this help',
    '',
    'Strategies:',
    ...defs.map((d) => `  ${d.name.padEnd(width)}  ${d.summary}`),
  ].join('\n');
}

/** `fulcrum serve --help`, built from the registry when this module loads. */
export const SERVE_HELP: string = serveHelp();

function flagProblem(flag: string, message: string): ConfigProblem {
  return { path: [], message, source: { kind: 'flag', flag } };
}

function parsePort(flag: string, raw: string, problems: ConfigProblem[]): number | undefined {
  const n = Number(raw);
  if (/^\d+$/.test(raw) && n <= 65_535) return n;
  problems.push(flagProblem(flag, `must be an integer from 0 to 65535 (got ${describeValue(raw)})`));
  return undefined;
}

const BACKEND_KEYS = ['weight', 'name', 'model'];

/** Parses one `--backend` value; `index` is 0-based. */
function parseBackend(raw: string, index: number, problems: ConfigProblem[]): BackendFlag | undefined {
  const flag = `--backend #${index + 1}`;
  const [url = '', ...rest] = raw.split(',');
  const before = problems.length;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    problems.push(
      flagProblem(flag, `must start with an http:// or https:// URL (got ${describeValue(url)})`),
    );
  }
  let name = `backend-${index + 1}`;
  let weight: number | undefined;
  const models: string[] = [];
  for (const part of rest) {
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    if (!BACKEND_KEYS.includes(key) || eq === -1) {
      const hint = didYouMean(key, BACKEND_KEYS);
      problems.push(
        flagProblem(flag, `expected weight=N, name=X or model=M after the URL, got "${part}"${hint}`),
      );
    } else if (value === '') {
      problems.push(flagProblem(flag, `${key}= needs a value`));
    } else if (key === 'weight') {
      if (/^\d+$/.test(value) && Number(value) >= 1) weight = Number(value);
      else
        problems.push(flagProblem(flag, `weight must be a positive integer (got ${describeValue(value)})`));
    } else if (key === 'name') {
      name = value;
    } else {
      models.push(value);
    }
  }
  if (problems.length > before) return undefined;
  return {
    url,
    name,
    ...(weight === undefined ? {} : { weight }),
    ...(models.length === 0 ? {} : { models }),
  };
}

/** Turns node:util's parse errors into one precise line, with did-you-mean for unknown flags. */
function argsProblem(err: unknown): ConfigProblem {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  const option = /'(-{1,2}[^' =]+)/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const known = Object.keys(OPTIONS).map((k) => `--${k}`);
    return flagProblem(option, `unknown flag${didYouMean(option, known)}; see fulcrum serve --help`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return flagProblem(option, message.includes('does not take') ? 'takes no value' : 'needs a value');
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']*)'/.exec(message)?.[1] ?? '';
    return { path: [], message: `unexpected argument "${arg}" (config files are given with --config FILE)` };
  }
  return { path: [], message };
}

/**
 * Parses `fulcrum serve` arguments. `help` is true when `-h`/`--help` is present (other flags are then not
 * checked). Throws a ConfigError listing every bad flag.
 */
export function parseServeArgs(argv: string[]): { flags: ServeFlags; help: boolean } {
  const end = argv.indexOf('--');
  const own = end === -1 ? argv : argv.slice(0, end);
  if (own.includes('--help') || own.includes('-h')) return { flags: {}, help: true };
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>['values'];
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError([argsProblem(err)]);
  }
  const problems: ConfigProblem[] = [];
  const text = (flag: string, value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    if (value.trim() === '') problems.push(flagProblem(flag, 'needs a non-empty value'));
    return value;
  };
  const flags: { -readonly [K in keyof ServeFlags]: ServeFlags[K] } = {};
  const config = text('--config', values.config);
  if (config !== undefined) flags.config = config;
  if (values.backend) {
    const backends = values.backend.map((b, i) => parseBackend(b, i, problems));
    flags.backends = backends.filter((b): b is BackendFlag => b !== undefined);
  }
  const strategy = text('--strategy', values.strategy);
  if (strategy !== undefined) flags.strategy = strategy;
  const host = text('--host', values.host);
  if (host !== undefined) flags.host = host;
  const adminHost = text('--admin-host', values['admin-host']);
  if (adminHost !== undefined) flags.adminHost = adminHost;
  const adminToken = text('--admin-token', values['admin-token']);
  if (adminToken !== undefined) flags.adminToken = adminToken;
  if (values.port !== undefined) flags.port = parsePort('--port', values.port, problems);
  if (values['admin-port'] !== undefined) {
    flags.adminPort = parsePort('--admin-port', values['admin-port'], problems);
  }
  const level = values['log-level'];
  if (level !== undefined) {
    if (LOG_LEVELS.includes(level)) flags.logLevel = level;
    else {
      const hint = didYouMean(level, LOG_LEVELS);
      problems.push(
        flagProblem('--log-level', `must be one of ${LOG_LEVELS.join(', ')} (got "${level}")${hint}`),
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { flags, help: false };
}

/**
 * Configuration problems and the one error that reports them. Start-up must fail with a message an operator
 * can act on without reading code: every problem on its own line, with where it came from (file
 * `line:column`, or the flag / environment variable that set it), the key path, and what is wrong.
 *
 *   fulcrum.yaml:12:5 endpoints[1].url: must be an http:// or https:// URL (got "ftp://x")
 *   fulcrum.yaml:3:1 unknown key "stratgy" (did you mean "strategy"?)
 *   --port listen.port: must be an integer from 0 to 65535 (got "80a")
 *
 * Messages never contain the value of a secret-looking key or of a value that came from the environment.
 */

/** A key path into the configuration, e.g. `['endpoints', 1, 'url']`. */
export type ConfigPath = readonly (string | number)[];

/** Where a configuration value came from. */
export type ProblemSource =
  /** A position in a YAML file; `line` and `column` are 1-based. */
  | { readonly kind: 'file'; readonly file: string; readonly line: number; readonly column: number }
  /** A whole file (unreadable, too large…), or a value whose position is unknown. */
  | { readonly kind: 'file-only'; readonly file: string }
  /** A command-line flag, e.g. `--port` or `--backend #2`. */
  | { readonly kind: 'flag'; readonly flag: string }
  /** An environment variable, e.g. `$FULCRUM_ADMIN_TOKEN`. */
  | { readonly kind: 'env'; readonly variable: string };

/** One thing wrong with a configuration. */
export interface ConfigProblem {
  /** The key at fault; empty for the whole document. */
  readonly path: ConfigPath;
  /** What is wrong and, where useful, how to fix it. Never contains a secret. */
  readonly message: string;
  /** Where the value came from; absent for defaults and values built in code. */
  readonly source?: ProblemSource;
}

/** Renders a path the way an operator would write it: `endpoints[1].url`, `strategy.options.k`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Renders a source as a message prefix: `file:line:col`, `file`, `--flag` or `$VAR`. */
export function formatSource(source: ProblemSource): string {
  switch (source.kind) {
    case 'file':
      return `${source.file}:${source.line}:${source.column}`;
    case 'file-only':
      return source.file;
    case 'flag':
      return source.flag;
    case 'env':
      return `$${source.variable}`;
  }
}

/** One line of a ConfigError message. */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.source ? `${formatSource(problem.source)} ` : '';
  const path = formatPath(problem.path);
  return path === '' ? `${where}${problem.message}` : `${where}${path}: ${problem.message}`;
}

/** Orders problems by file position first (as an editor would list them), then by insertion order. */
function byPosition(a: ConfigProblem, b: ConfigProblem): number {
  const pa = a.source?.kind === 'file' ? a.source.line * 1e6 + a.source.column : Number.MAX_SAFE_INTEGER;
  const pb = b.source?.kind === 'file' ? b.source.line * 1e6 + b.source.column : Number.MAX_SAFE_INTEGER;
  return pa - pb;
}

/**
 * The configuration is unusable. `message` lists every problem, one per line, sorted by file position;
 * `problems` holds them structured (for tests and tooling).
 */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    // Array.prototype.sort is stable, so problems at the same position keep their discovery order.
    const sorted = [...problems].sort(byPosition);
    super(sorted.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = sorted;
  }
}

/** Keys whose values are credentials: never echoed in a message, whatever the error. */
export function isSecretKey(key: string | number): boolean {
  return (
    typeof key === 'string' && /api[-_]?key|token|secret|password|passwd|authorization|credential/i.test(key)
  );
}

/**
 * Renders a scalar for a `(got …)` hint: strings quoted and cut at 60 characters, credentials in URLs
 * (`https://user:pass@host`) masked. Returns undefined for values not worth showing (objects, arrays).
 */
export function describeValue(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value !== 'string') return undefined;
  const masked = value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1***@');
  const cut = masked.length > 60 ? `${masked.slice(0, 57)}...` : masked;
  return JSON.stringify(cut);
}

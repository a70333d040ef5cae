/**
 * `${VAR}` substitution, so secrets (API keys, the admin token) live in the environment rather than in the
 * file. It runs on the parsed YAML tree and rewrites string scalars only: a variable's value is never
 * parsed as YAML, so a secret containing `: ` or `{` or a newline cannot add keys or change structure.
 *
 * Syntax (in any string value; keys are never substituted):
 *   ${NAME}            the variable's value; an error names the key and the variable when it is unset
 *   ${NAME:-default}   `default` when NAME is unset or empty
 *   $${                a literal `${`
 *
 * Where the schema wants a number or boolean (`port: ${PORT}`), the substituted text is converted; if it
 * does not convert, the schema reports the key without echoing the value.
 */
import { type Document, isMap, isScalar, isSeq } from 'yaml';
import type { ConfigPath, ConfigProblem } from './errors.js';
import { formatPath } from './errors.js';
import { scalarTypeAt } from './schema-keys.js';
import { sourceAt, type YamlSource } from './yaml-source.js';

/** Environment variable names: letters, digits and `_`, not starting with a digit (POSIX). */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The result of expanding one string. */
export type Expansion =
  | { readonly ok: true; readonly value: string; readonly variables: readonly string[] }
  | { readonly ok: false; readonly message: string };

/** Expands references in one string. Exposed for tests and for values that do not come from YAML. */
export function expandString(text: string, env: NodeJS.ProcessEnv): Expansion {
  let out = '';
  const variables: string[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('$', i);
    if (start === -1) break;
    out += text.slice(i, start);
    if (text.startsWith('$${', start)) {
      out += '${';
      i = start + 3;
      continue;
    }
    if (!text.startsWith('${', start)) {
      out += '$';
      i = start + 1;
      continue;
    }
    const end = text.indexOf('}', start + 2);
    if (end === -1) return { ok: false, message: 'unterminated "${" (write "$${" for a literal "${")' };
    const body = text.slice(start + 2, end);
    const sep = body.indexOf(':-');
    const name = sep === -1 ? body : body.slice(0, sep);
    if (!NAME.test(name)) {
      return {
        ok: false,
        message: `invalid variable reference "\${${name}}": use \${NAME} or \${NAME:-default}`,
      };
    }
    variables.push(name);
    const value = env[name];
    if (sep !== -1 && (value === undefined || value === '')) {
      out += body.slice(sep + 2);
    } else if (value === undefined) {
      return {
        ok: false,
        message: `environment variable ${name} is not set (set it, or write \${${name}:-default})`,
      };
    } else {
      out += value;
    }
    i = end + 1;
  }
  out += text.slice(i);
  return { ok: true, value: out, variables };
}

/** Converts substituted text to the type the schema wants, when it converts cleanly. */
function convert(value: string, want: 'number' | 'boolean' | undefined): string | number | boolean {
  if (want === 'number' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  if (want === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** What substitution did to a document. */
export interface SubstitutionResult {
  readonly problems: ConfigProblem[];
  /** Paths (formatted) whose value came from the environment, mapped to the variables used: never echoed. */
  readonly fromEnv: ReadonlyMap<string, readonly string[]>;
}

/** Substitutes every string scalar of `src.doc` in place. */
export function substituteEnv(src: YamlSource, env: NodeJS.ProcessEnv): SubstitutionResult {
  const problems: ConfigProblem[] = [];
  const fromEnv = new Map<string, readonly string[]>();
  const visit = (node: unknown, path: ConfigPath): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isScalar(pair.key)) visit(pair.value, [...path, String(pair.key.value)]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        visit(item, [...path, index]);
      });
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('$')) {
      const result = expandString(node.value, env);
      if (!result.ok) {
        problems.push({ path, message: result.message, source: sourceAt(src, node.range?.[0] ?? 0) });
        return;
      }
      if (result.variables.length > 0) fromEnv.set(formatPath(path), result.variables);
      node.value = convert(result.value, scalarTypeAt(path));
    }
    // Aliases are skipped: they point at an anchored node that is visited (and substituted) where defined.
  };
  visit((src.doc as Document).contents, []);
  return { problems, fromEnv };
}

/**
 * Turns zod's issues into operator-facing problems: zod's generic wording ("Too big: expected number to be
 * <=65535") becomes "must be at most 65535 (got 99999)", unknown keys get a did-you-mean from the schema's
 * keys at that level, and enum values a did-you-mean from the allowed values. The offending value is shown
 * unless it is secret-looking or came from the environment.
 */
import type { z } from 'zod';
import { type ConfigPath, describeValue, formatPath, isSecretKey } from './errors.js';
import { keysAt } from './schema-keys.js';
import { didYouMean } from './suggest.js';

/** A problem before its source is known; `key` is set when the problem is about a key, not a value. */
export interface LocatedIssue {
  readonly path: ConfigPath;
  readonly message: string;
  /** For unknown keys: the key's own name, to point at the key rather than the mapping. */
  readonly key?: string;
  /** The value is missing: point at the nearest enclosing mapping. */
  readonly missing?: boolean;
}

/** The raw value at `path`, or undefined. */
export function valueAt(root: unknown, path: ConfigPath): unknown {
  let node = root;
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/** zod's type names in the words of a YAML file. */
const EXPECTED: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
};

function bound(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall, word: string): string {
  const limit = 'maximum' in issue ? issue.maximum : issue.minimum;
  const n = Number(limit);
  const op = issue.inclusive === false ? (word === 'most' ? 'below' : 'above') : `at ${word}`;
  switch (issue.origin) {
    case 'string':
      return `must be ${op} ${n} character${n === 1 ? '' : 's'} long`;
    case 'array':
    case 'set':
      return `must have ${op} ${n} item${n === 1 ? '' : 's'}`;
    default:
      return `must be ${op} ${limit}`;
  }
}

/**
 * One or more located issues for a zod issue. `raw` is the validated input; `fromEnv` holds formatted
 * paths whose values came from environment variables (never echoed).
 */
export function describeIssue(
  issue: z.core.$ZodIssue,
  raw: unknown,
  fromEnv: ReadonlyMap<string, readonly string[]>,
): LocatedIssue[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const valid = keysAt(path);
    return issue.keys.map((key) => ({
      path,
      key,
      message: `unknown key "${key}"${didYouMean(key, valid)}`,
    }));
  }
  const value = valueAt(raw, path);
  if (value === undefined && issue.code === 'invalid_type') {
    return [{ path, message: 'is required', missing: true }];
  }
  const envVars = fromEnv.get(formatPath(path));
  const secret = path.some(isSecretKey);
  let shown = secret || envVars ? undefined : describeValue(value);
  let message: string;
  let hint = '';
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.expected === 'int' && typeof value === 'number') {
        message = 'must be a whole number';
        break;
      }
      const got = shown === undefined ? typeName(value) : `${shown} (${typeName(value)})`;
      message = `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${got}`;
      shown = undefined;
      break;
    }
    case 'too_big':
      message = issue.message.startsWith('Too big') ? bound(issue, 'most') : issue.message;
      break;
    case 'too_small':
      message = issue.message.startsWith('Too small') ? bound(issue, 'least') : issue.message;
      break;
    case 'invalid_value': {
      const allowed = issue.values.map((v) => JSON.stringify(v));
      message = `must be one of ${allowed.join(', ')}`;
      if (typeof value === 'string' && !secret && !envVars) {
        hint = didYouMean(value, issue.values.map(String));
      }
      break;
    }
    case 'not_multiple_of':
      message = `must be a multiple of ${issue.divisor}`;
      break;
    default:
      message = issue.message;
  }
  const got = shown === undefined ? '' : ` (got ${shown})`;
  const from = envVars ? ` (from \${${envVars.join('}, ${')}})` : '';
  return [{ path, message: `${message}${got}${from}${hint}` }];
}

/**
 * Reads the key structure out of the zod schema, so that did-you-mean suggestions and the documentation
 * test use the schema itself as the single list of valid keys (a key added to schema.ts is suggested and
 * must be documented without anyone updating a second list).
 */
import { z } from 'zod';
import type { ConfigPath } from './errors.js';
import { configSchema } from './schema.js';

/** Strips `.default()` and `.optional()` wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodDefault || current instanceof z.ZodOptional) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/** One step down: an object's field, an array's element or a record's value; undefined past a leaf. */
function child(schema: z.ZodType, part: string | number): z.ZodType | undefined {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject && typeof part === 'string') {
    const shape = inner.shape as Record<string, z.ZodType>;
    return Object.hasOwn(shape, part) ? shape[part] : undefined;
  }
  if (inner instanceof z.ZodArray && typeof part === 'number') return inner.element as z.ZodType;
  if (inner instanceof z.ZodRecord) return inner.valueType as z.ZodType;
  return undefined;
}

/**
 * The valid keys of the object at `path` (e.g. `['listen']` → host, port…), or an empty list when the
 * path does not lead to a fixed-key object (records such as `modelMap` take any key).
 */
export function keysAt(path: ConfigPath, root: z.ZodType = configSchema): string[] {
  let schema: z.ZodType | undefined = root;
  for (const part of path) {
    schema = schema && child(schema, part);
    if (!schema) return [];
  }
  const inner = unwrap(schema);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

/** One documented key of the schema. */
export interface SchemaKey {
  /** Dotted path with `[]` for array elements: `endpoints[].url`, `health.active.rise`. */
  readonly path: string;
  /** Whether the key has a default (otherwise it is required or optional-without-default). */
  readonly hasDefault: boolean;
  /** The default value, when it has one and it is a scalar or a short list. */
  readonly defaultValue: unknown;
  /** Whether the key may be omitted. */
  readonly optional: boolean;
}

/**
 * Every leaf key of the schema, depth first in declaration order. Nested objects (listen, health.active…)
 * are expanded; records (`modelMap`, `strategy.options`) and arrays of scalars are leaves.
 */
export function schemaKeys(root: z.ZodType = configSchema): SchemaKey[] {
  const out: SchemaKey[] = [];
  const walk = (schema: z.ZodType, prefix: string): void => {
    const inner = unwrap(schema);
    if (!(inner instanceof z.ZodObject)) return;
    for (const [key, field] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      const fieldInner = unwrap(field);
      if (fieldInner instanceof z.ZodObject) {
        walk(field, path);
        continue;
      }
      if (
        fieldInner instanceof z.ZodArray &&
        unwrap(fieldInner.element as z.ZodType) instanceof z.ZodObject
      ) {
        walk(fieldInner.element as z.ZodType, `${path}[]`);
        continue;
      }
      const hasDefault = field instanceof z.ZodDefault;
      out.push({
        path,
        hasDefault,
        defaultValue: hasDefault ? field.parse(undefined) : undefined,
        optional: field.safeParse(undefined).success,
      });
    }
  };
  walk(root, '');
  return out;
}

/**
 * The scalar type the schema wants at `path`, when it is a number or a boolean. Environment substitution
 * uses it to turn `port: ${PORT}` into a number without guessing from the value's looks.
 */
export function scalarTypeAt(
  path: ConfigPath,
  root: z.ZodType = configSchema,
): 'number' | 'boolean' | undefined {
  let schema: z.ZodType | undefined = root;
  for (const part of path) {
    schema = schema && child(schema, part);
    if (!schema) return undefined;
  }
  const inner = unwrap(schema);
  if (inner instanceof z.ZodNumber) return 'number';
  if (inner instanceof z.ZodBoolean) return 'boolean';
  return undefined;
}

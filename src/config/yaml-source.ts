/**
 * Reads a YAML config file into a `yaml` Document, keeping node positions so that every later problem
 * (schema, semantic, environment) can point at `file:line:column`. Parsing is strict on purpose: duplicate
 * keys, several documents, unknown tags and a root that is not a mapping are all errors, because each of
 * them means the operator's intent and what we would run differ.
 */
import { open } from 'node:fs/promises';
import { type Document, isMap, isNode, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { ConfigPath, ConfigProblem, ProblemSource } from './errors.js';

/** Config files larger than this are refused (1 MiB): a real config is a few KiB; more is a mistake. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** A parsed config file with what is needed to locate its nodes. */
export interface YamlSource {
  /** The path as the operator gave it, used verbatim in messages. */
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
}

/** Position of a byte offset as a problem source. */
export function sourceAt(src: YamlSource, offset: number): ProblemSource {
  const { line, col } = src.lines.linePos(offset);
  // linePos reports line 0 before the first newline is known (a one-line file); that is line 1.
  return { kind: 'file', file: src.file, line: Math.max(1, line), column: Math.max(1, col) };
}

/**
 * Reads at most `limit` bytes; undefined when the file is longer. Reading (rather than trusting `stat`)
 * also bounds pipes such as `fulcrum validate <(envsubst < tmpl.yaml)`.
 */
async function readBounded(file: string, limit: number): Promise<Uint8Array | undefined> {
  const handle = await open(file, 'r');
  try {
    const buffer = new Uint8Array(limit + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled > limit ? undefined : buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** Reads and parses `file`. Returns problems instead of throwing so they can be reported together. */
export async function readYamlSource(
  file: string,
): Promise<{ source: YamlSource; problems: [] } | { source: undefined; problems: ConfigProblem[] }> {
  const whole = (message: string) => ({
    source: undefined,
    problems: [{ path: [], message, source: { kind: 'file-only', file } } as ConfigProblem],
  });
  let text: string;
  try {
    const bytes = await readBounded(file, MAX_CONFIG_BYTES);
    if (bytes === undefined) return whole(`file is larger than ${MAX_CONFIG_BYTES} bytes (1 MiB), the limit`);
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : err instanceof TypeError
              ? 'not UTF-8 text'
              : String(err);
    return whole(`cannot read config file: ${reason}`);
  }
  return parseYamlSource(file, text);
}

/** Parses YAML text (exposed for tests and for configs that do not come from disk). */
export function parseYamlSource(
  file: string,
  text: string,
): { source: YamlSource; problems: [] } | { source: undefined; problems: ConfigProblem[] } {
  const lines = new LineCounter();
  // prettyErrors would quote the offending source line into the message, which could contain a secret.
  const doc = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
    strict: true,
  });
  const src: YamlSource = { file, doc, lines };
  const problems: ConfigProblem[] = [];
  for (const e of [...doc.errors, ...doc.warnings]) {
    const message =
      e.code === 'DUPLICATE_KEY' ? 'duplicate key (each key may appear once per mapping)' : e.message;
    problems.push({ path: [], message: `invalid YAML: ${message}`, source: sourceAt(src, e.pos[0]) });
  }
  if (problems.length === 0 && doc.contents !== null && !isMap(doc.contents)) {
    const got = isSeq(doc.contents) ? 'a list' : 'a single value';
    problems.push({
      path: [],
      message: `the top level must be a mapping of keys (listen, endpoints, strategy…), got ${got}`,
      source: sourceAt(src, doc.contents.range?.[0] ?? 0),
    });
  }
  return problems.length > 0 ? { source: undefined, problems } : { source: src, problems: [] };
}

/** The node at `path`, walking maps by key and sequences by index; undefined when absent. */
export function nodeAt(doc: Document.Parsed, path: ConfigPath): Node | undefined {
  let node: unknown = doc.contents;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
      node = pair?.value;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
    } else {
      return undefined;
    }
  }
  return isNode(node) ? node : undefined;
}

/** Position of the key (not the value) `key` inside the mapping at `path`: where an unknown key is written. */
export function locateKey(src: YamlSource, path: ConfigPath, key: string): ProblemSource | undefined {
  const map = nodeAt(src.doc, path);
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
  const range = isNode(pair?.key) ? pair.key.range : undefined;
  return range ? sourceAt(src, range[0]) : undefined;
}

/**
 * Position of the value at `path`. When the exact node is absent: with `nearest`, the closest ancestor
 * that exists (for a missing required key, its mapping; for the `strategy: name` shorthand, the scalar);
 * otherwise undefined (the value is a default, and pointing at an unrelated line would mislead).
 */
export function locate(src: YamlSource, path: ConfigPath, nearest = false): ProblemSource | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = nodeAt(src.doc, path.slice(0, n));
    if (node?.range) {
      if (n === path.length || nearest || isScalar(node)) return sourceAt(src, node.range[0]);
      return undefined;
    }
  }
  return undefined;
}

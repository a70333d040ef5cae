/**
 * Keeps docs/configuration.md and examples/fulcrum.yaml true: every schema key is documented with its real
 * default, and every YAML example in the doc (and the example file) validates.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { keysAt, schemaKeys } from '../../src/config/schema-keys.js';
import { load } from './support.js';

const root = new URL('../../', import.meta.url);
const doc = readFileSync(new URL('docs/configuration.md', root), 'utf8');
/** Environment the documented examples expect. */
const exampleEnv = { OPENAI_API_KEY: 'sk-test', FULCRUM_ADMIN_TOKEN: 'a-token-of-24-characters' };

/** The table row documenting `key`, or undefined. */
function row(key: string): string | undefined {
  return doc.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
}

describe('docs/configuration.md', () => {
  it('documents every key of the schema, with its default', () => {
    const keys = schemaKeys();
    assert.ok(keys.length > 40, `schema walk found only ${keys.length} keys`);
    for (const key of keys) {
      const line = row(key.path);
      assert.ok(line, `docs/configuration.md has no table row for \`${key.path}\``);
      const cells = line.split(' | ');
      const defaultCell = cells[2] ?? '';
      if (key.hasDefault) {
        const expected = `\`${JSON.stringify(key.defaultValue)}\``;
        assert.ok(
          defaultCell.includes(expected),
          `${key.path}: default cell "${defaultCell}" lacks ${expected}`,
        );
      } else {
        assert.ok(defaultCell.startsWith('—'), `${key.path}: has no default, the doc says "${defaultCell}"`);
        assert.equal(defaultCell.includes('required'), !key.optional, `${key.path}: required marker`);
      }
    }
  });

  it('documents no key the schema does not have', () => {
    const known = new Set(schemaKeys().map((k) => k.path));
    const documented = [...doc.matchAll(/^\| `([a-zA-Z[\].]+)` \|/gm)].map((m) => m[1]!);
    const keyRows = documented.filter((k) => k.includes('.'));
    assert.ok(keyRows.length >= known.size);
    for (const k of keyRows) assert.ok(known.has(k), `documented key ${k} is not in the schema`);
  });

  it('has a section for every top-level key', () => {
    for (const key of keysAt([])) assert.ok(doc.includes(`\`${key}\``), key);
  });

  it('has YAML examples that validate', async () => {
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(blocks.length >= 3, `found ${blocks.length} yaml blocks`);
    for (const block of blocks) {
      // The ${VAR} illustration block is checked with the variables it names set.
      const config = await load(block, { env: { ...exampleEnv, PORT: '8081' } });
      assert.ok(config.endpoints.length > 0, block);
    }
  });
});

describe('examples/fulcrum.yaml', () => {
  const path = new URL('examples/fulcrum.yaml', root).pathname;

  it('validates', async () => {
    const warnings: string[] = [];
    const config = await loadConfig({ path, env: exampleEnv, onWarning: (w) => warnings.push(w) });
    assert.equal(config.endpoints.length, 4);
    assert.deepEqual(warnings, []);
  });

  it('sets every key of the schema, so it shows them all', () => {
    const raw: unknown = parse(readFileSync(path, 'utf8'));
    for (const key of schemaKeys()) {
      if (key.path === 'admin.token') continue; // deliberately left to FULCRUM_ADMIN_TOKEN
      let node: unknown = raw;
      for (const part of key.path.split('.')) {
        if (part.endsWith('[]')) {
          const list = (node as Record<string, unknown>)[part.slice(0, -2)] as unknown[];
          node = Object.assign({}, ...list);
        } else {
          node = (node as Record<string, unknown>)?.[part];
        }
      }
      assert.notEqual(node, undefined, `examples/fulcrum.yaml does not show ${key.path}`);
    }
  });
});

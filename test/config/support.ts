/** Helpers for config tests: write YAML to a private temp dir, load it, and get the error lines. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { type LoadConfigOptions, loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'fulcrum-config-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

/** Writes `text` to a fresh file and returns its path. */
export function yamlFile(text: string, name = `c${++counter}.yaml`): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Loads `text` as a config file with an empty environment unless one is given. */
export function load(text: string, options: Omit<LoadConfigOptions, 'path'> = {}): Promise<Config> {
  return loadConfig({ env: {}, ...options, path: yamlFile(text) });
}

/** Loads `text` expecting a ConfigError; returns the file path and the message lines with it stripped. */
export async function problems(
  text: string,
  options: Omit<LoadConfigOptions, 'path'> = {},
): Promise<{ lines: string[]; error: ConfigError }> {
  const file = yamlFile(text);
  try {
    await loadConfig({ env: {}, ...options, path: file });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    // Use a stable name in assertions, as an operator running `fulcrum validate fulcrum.yaml` would see.
    const lines = err.message.split('\n').map((l) => l.split(file).join('fulcrum.yaml'));
    return { lines, error: err };
  }
  assert.fail('expected loadConfig to throw a ConfigError');
}

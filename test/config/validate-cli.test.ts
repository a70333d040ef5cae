/** `fulcrum validate` through the real CLI dispatcher, capturing its output; it must not open sockets. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { main } from '../../src/cli/main.js';
import { yamlFile } from './support.js';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `fulcrum …args`, returning the exit code and what went to console.log / console.error. */
async function fulcrum(...args: string[]): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const log = mock.method(console, 'log', (...a: unknown[]) => {
    out.push(a.join(' '));
  });
  const error = mock.method(console, 'error', (...a: unknown[]) => {
    err.push(a.join(' '));
  });
  try {
    const code = await main(args);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mock.restore();
    error.mock.restore();
  }
}

describe('fulcrum validate', () => {
  // Any listen() or connect() during validation is a bug: validate must not start anything.
  const opened: string[] = [];
  beforeEach(() => {
    opened.length = 0;
    mock.method(net.Server.prototype, 'listen', function (this: net.Server) {
      opened.push('listen');
      return this;
    });
    mock.method(net.Socket.prototype, 'connect', function (this: net.Socket) {
      opened.push('connect');
      return this;
    });
  });
  afterEach(() => {
    mock.restoreAll();
    assert.deepEqual(opened, [], 'validate opened a socket');
  });

  it('prints OK with the endpoint count and strategy, exit 0', async () => {
    const file = yamlFile(
      'strategy: round-robin\nendpoints:\n  - { name: a, url: "http://127.0.0.1:8001" }\n  - { name: b, url: "http://127.0.0.1:8002" }\n',
    );
    const r = await fulcrum('validate', file);
    assert.deepEqual(r, { code: 0, stdout: `${file}: OK (2 endpoints, strategy round-robin)`, stderr: '' });
  });

  it('prints every problem and exits 1', async () => {
    const file = yamlFile('stratgy: round-robin\nendpoints:\n  - { name: a, url: "ftp://x" }\n');
    const r = await fulcrum('validate', file);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      [
        `${file}:1:1 unknown key "stratgy" (did you mean "strategy"?)`,
        `${file}:3:21 endpoints[0].url: must be an http:// or https:// URL (got "ftp://x")`,
      ].join('\n'),
    );
  });

  it('prints warnings to stderr without failing', async () => {
    const file = yamlFile(
      'endpoints:\n  - { name: a, url: "http://h:1" }\n  - { name: b, url: "http://h:1" }\n',
    );
    const r = await fulcrum('validate', file);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${file}: OK (2 endpoints, strategy round-robin)`);
    assert.equal(
      r.stderr,
      `warning: ${file}:3:21 endpoints[1].url: same URL as endpoints[0]; traffic to that server is counted twice`,
    );
  });

  it('checks several files and fails if any is invalid', async () => {
    const good = yamlFile('{}\n');
    const bad = yamlFile('listen: 1\n');
    const r = await fulcrum('validate', good, bad);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `${good}: OK (0 endpoints, strategy round-robin)`);
    assert.equal(r.stderr, `${bad}:1:9 listen: expected a mapping, got 1 (a number)`);
  });

  it('reports a missing file', async () => {
    const r = await fulcrum('validate', '/nonexistent/f.yaml');
    assert.deepEqual(r, {
      code: 1,
      stdout: '',
      stderr: '/nonexistent/f.yaml cannot read config file: no such file',
    });
  });

  it('has --help (exit 0) and rejects no file or unknown options (exit 2)', async () => {
    const help = await fulcrum('validate', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: fulcrum validate FILE/);
    assert.equal((await fulcrum('validate')).code, 2);
    const unknown = await fulcrum('validate', '--strict', 'x.yaml');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option "--strict"/);
  });
});

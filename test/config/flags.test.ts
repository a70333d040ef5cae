import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { strategyNames } from '../../src/balancer/registry.js';
import { ConfigError } from '../../src/config/errors.js';
import { parseServeArgs, SERVE_HELP } from '../../src/config/flags.js';
import { loadConfig } from '../../src/config/load.js';
import { problems, yamlFile } from './support.js';

/** The ConfigError message lines for `argv`. */
function flagErrors(argv: string[]): string[] {
  try {
    parseServeArgs(argv);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message.split('\n');
  }
  assert.fail(`expected ${argv.join(' ')} to be rejected`);
}

describe('parseServeArgs', () => {
  it('parses every flag', () => {
    const { flags, help } = parseServeArgs([
      '--config',
      'f.yaml',
      '--backend',
      'http://a:1',
      '--backend=http://b:2,weight=3,name=big,model=llama,model=qwen',
      '--strategy',
      'round-robin',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--admin-port',
      '9999',
      '--admin-host',
      '::1',
      '--admin-token',
      'x'.repeat(16),
      '--log-level',
      'debug',
    ]);
    assert.equal(help, false);
    assert.deepEqual(flags, {
      config: 'f.yaml',
      backends: [
        { url: 'http://a:1', name: 'backend-1' },
        { url: 'http://b:2', name: 'big', weight: 3, models: ['llama', 'qwen'] },
      ],
      strategy: 'round-robin',
      port: 0,
      host: '127.0.0.1',
      adminPort: 9999,
      adminHost: '::1',
      adminToken: 'x'.repeat(16),
      logLevel: 'debug',
    });
  });

  it('numbers unnamed backends by position', () => {
    const { flags } = parseServeArgs(['--backend', 'http://a:1,name=x', '--backend', 'http://b:1']);
    assert.deepEqual(
      flags.backends?.map((b) => b.name),
      ['x', 'backend-2'],
    );
  });

  it('returns help without checking other flags', () => {
    assert.deepEqual(parseServeArgs(['--port', 'nope', '--help']), { flags: {}, help: true });
    assert.equal(parseServeArgs(['-h']).help, true);
  });

  it('rejects bad ports with the flag and the value', () => {
    assert.deepEqual(flagErrors(['--port', '80a', '--admin-port', '70000']), [
      '--port must be an integer from 0 to 65535 (got "80a")',
      '--admin-port must be an integer from 0 to 65535 (got "70000")',
    ]);
  });

  it('rejects malformed --backend values, naming which one', () => {
    assert.deepEqual(
      flagErrors([
        '--backend',
        'http://a:1',
        '--backend',
        'ftp://b',
        '--backend',
        'http://c:1,wieght=2,weight=0,name=',
      ]),
      [
        '--backend #2 must start with an http:// or https:// URL (got "ftp://b")',
        '--backend #3 expected weight=N, name=X or model=M after the URL, got "wieght=2" (did you mean "weight"?)',
        '--backend #3 weight must be a positive integer (got "0")',
        '--backend #3 name= needs a value',
      ],
    );
    assert.deepEqual(flagErrors(['--backend', 'not a url']), [
      '--backend #1 must start with an http:// or https:// URL (got "not a url")',
    ]);
  });

  it('rejects unknown flags with a suggestion, missing values and stray arguments', () => {
    assert.deepEqual(flagErrors(['--prot', '80']), [
      '--prot unknown flag (did you mean "--port"?); see fulcrum serve --help',
    ]);
    assert.deepEqual(flagErrors(['--strategy']), ['--strategy needs a value']);
    assert.deepEqual(flagErrors(['fulcrum.yaml']), [
      'unexpected argument "fulcrum.yaml" (config files are given with --config FILE)',
    ]);
    assert.deepEqual(flagErrors(['--log-level', 'verbose']), [
      '--log-level must be one of debug, info, warn, error, silent (got "verbose")',
    ]);
    assert.deepEqual(flagErrors(['--host', '']), ['--host needs a non-empty value']);
  });

  it('never echoes the admin token', () => {
    const lines = flagErrors(['--admin-token', '   ']);
    assert.deepEqual(lines, ['--admin-token needs a non-empty value']);
  });

  it('lists every flag and every registered strategy in the help', () => {
    for (const flag of [
      '--config',
      '--backend',
      '--strategy',
      '--port',
      '--host',
      '--admin-port',
      '--admin-host',
    ]) {
      assert.ok(SERVE_HELP.includes(flag), flag);
    }
    for (const flag of ['--admin-token', '--log-level', '--help', 'FULCRUM_ADMIN_TOKEN']) {
      assert.ok(SERVE_HELP.includes(flag), flag);
    }
    for (const name of strategyNames()) assert.match(SERVE_HELP, new RegExp(`^  ${name} `, 'm'));
  });
});

describe('loadConfig with flags', () => {
  const file = () =>
    yamlFile(
      [
        'listen: { port: 8000, host: 127.0.0.1 }',
        'strategy:',
        '  name: round-robin',
        '  options: {}',
        'endpoints:',
        '  - { name: file-a, url: "http://a:1", weight: 5 }',
        'admin: { token: file-token-0123456789 }',
      ].join('\n'),
    );

  it('lets flags win over the file and --backend replace its endpoints', async () => {
    const { flags } = parseServeArgs([
      '--port',
      '9000',
      '--backend',
      'http://x:1',
      '--backend',
      'http://y:2,weight=2',
    ]);
    const config = await loadConfig({ path: file(), flags, env: {} });
    assert.equal(config.listen.port, 9000);
    assert.equal(config.listen.host, '127.0.0.1', 'keys without a flag keep the file value');
    assert.deepEqual(
      config.endpoints.map((e) => [e.name, e.url, e.weight]),
      [
        ['backend-1', 'http://x:1', 1],
        ['backend-2', 'http://y:2', 2],
      ],
    );
  });

  it('reads the file named by --config', async () => {
    const { flags } = parseServeArgs(['--config', file()]);
    const config = await loadConfig({ flags, env: {} });
    assert.equal(config.endpoints[0]!.name, 'file-a');
  });

  it('works from flags alone', async () => {
    const { flags } = parseServeArgs(['--backend', 'http://127.0.0.1:8001', '--strategy', 'round-robin']);
    const config = await loadConfig({ flags, env: {} });
    assert.equal(config.endpoints.length, 1);
    assert.equal(config.listen.port, 8080);
  });

  it('takes the admin token from --admin-token, then FULCRUM_ADMIN_TOKEN, then the file', async () => {
    const env = { FULCRUM_ADMIN_TOKEN: 'env-token-0123456789' };
    const fromFile = await loadConfig({ path: file(), env: {} });
    assert.equal(fromFile.admin.token, 'file-token-0123456789');
    const fromEnv = await loadConfig({ path: file(), env });
    assert.equal(fromEnv.admin.token, 'env-token-0123456789');
    const { flags } = parseServeArgs(['--admin-token', 'flag-token-0123456789']);
    const fromFlag = await loadConfig({ path: file(), flags, env });
    assert.equal(fromFlag.admin.token, 'flag-token-0123456789');
  });

  it("drops the file's strategy options when --strategy names another strategy", async () => {
    const other = strategyNames().find((n) => n !== 'round-robin');
    const text = 'strategy:\n  name: round-robin\n  options: { foo: 1 }\n';
    const { lines } = await problems(text);
    assert.match(lines[0]!, /takes no options/, 'the options really are invalid for round-robin');
    if (other === undefined) return; // only round-robin registered: nothing else to switch to
    const config = await loadConfig({ path: yamlFile(text), flags: { strategy: other }, env: {} });
    assert.deepEqual(config.strategy, { name: other, options: {} });
  });

  it('attributes problems to the flag that set the key, not to a file line', async () => {
    const { flags } = parseServeArgs([
      '--backend',
      'http://x:1',
      '--backend',
      'http://y:1,weight=5000,name=x y',
      '--strategy',
      'nope',
      '--admin-host',
      '0.0.0.0',
      '--admin-port',
      '8000',
    ]);
    const err = await loadConfig({ path: file(), flags, env: {} }).catch((e: unknown) => e);
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.message.split('\n'), [
      '--backend #2 endpoints[1].name: use letters, digits, ".", "_" or "-" (got "x y")',
      '--backend #2 endpoints[1].weight: must be at most 1000 (got 5000)',
      `--strategy strategy.name: unknown strategy "nope"; valid strategies: ${strategyNames().join(', ')}`,
    ]);
    const second = await loadConfig({
      path: file(),
      flags: { adminHost: '0.0.0.0', adminPort: 8000 },
      env: {},
    })
      .then(() => 'loaded')
      .catch((e: unknown) => (e as Error).message);
    assert.equal(
      second,
      '--admin-port admin.port: must differ from listen.port (both are 8000); use 0 for any free port',
    );
  });

  it('reports a short FULCRUM_ADMIN_TOKEN by name without echoing it', async () => {
    const err = await loadConfig({ env: { FULCRUM_ADMIN_TOKEN: 'short-secret' } }).catch((e: unknown) => e);
    assert.ok(err instanceof ConfigError);
    assert.equal(err.message, '$FULCRUM_ADMIN_TOKEN admin.token: admin token must be at least 16 characters');
  });
});

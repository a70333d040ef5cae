import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { strategyNames } from '../../src/balancer/registry.js';
import { loadConfig } from '../../src/config/load.js';
import { MAX_CONFIG_BYTES } from '../../src/config/yaml-source.js';
import { load, problems, yamlFile } from './support.js';

describe('loadConfig: the file', () => {
  it('fills every default from an empty (or comment-only) file', async () => {
    const config = await load('# nothing yet\n');
    assert.equal(config.listen.port, 8080);
    assert.equal(config.strategy.name, 'round-robin');
    assert.deepEqual(config.endpoints, []);
  });

  it('loads a valid file with the values given', async () => {
    const config = await load(
      [
        'listen:',
        '  port: 8000',
        'endpoints:',
        '  - name: a',
        '    url: http://127.0.0.1:8001',
        '    weight: 3',
        '  - { name: b, url: "https://api.example.com" }',
      ].join('\n'),
    );
    assert.equal(config.listen.port, 8000);
    assert.deepEqual(
      config.endpoints.map((e) => [e.name, e.url, e.weight]),
      [
        ['a', 'http://127.0.0.1:8001', 3],
        ['b', 'https://api.example.com', 1],
      ],
    );
  });

  it('reports a missing file without a stack trace', async () => {
    await assert.rejects(loadConfig({ path: '/nonexistent/fulcrum.yaml', env: {} }), {
      name: 'ConfigError',
      message: '/nonexistent/fulcrum.yaml cannot read config file: no such file',
    });
  });

  it('refuses files over 1 MiB before parsing them', async () => {
    const file = yamlFile('');
    writeFileSync(file, `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    await assert.rejects(loadConfig({ path: file, env: {} }), /larger than 1048576 bytes \(1 MiB\)/);
  });

  it('reports directories and non-UTF-8 files', async () => {
    await assert.rejects(loadConfig({ path: tmpdir(), env: {} }), {
      message: `${tmpdir()} cannot read config file: is a directory`,
    });
    const file = yamlFile('');
    writeFileSync(file, Buffer.from([0x6c, 0x69, 0xff, 0xfe, 0x3a]));
    await assert.rejects(loadConfig({ path: file, env: {} }), /cannot read config file: not UTF-8 text$/);
  });

  it('treats a section whose keys are all commented out as all defaults', async () => {
    const config = await load('health:\n  active:\n  # intervalMs: 1000\nlisten:\n  # port: 1\n');
    assert.equal(config.health.active.intervalMs, 5000);
    assert.equal(config.listen.port, 8080);
    const { lines } = await problems('endpoints:\n  - name: a\n    url: http://h:1\n    apiKey:\n');
    assert.deepEqual(
      lines,
      ['fulcrum.yaml:4:12 endpoints[0].apiKey: expected a string, got null'],
      'not for values',
    );
  });

  it('rejects duplicate keys at the line of the second one', async () => {
    const { lines } = await problems('listen:\n  port: 1\n  host: a\n  port: 2\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^fulcrum\.yaml:4:3 invalid YAML: duplicate key/);
  });

  it('rejects a root that is not a mapping', async () => {
    const list = await problems('- a\n- b\n');
    assert.deepEqual(list.lines, [
      'fulcrum.yaml:1:1 the top level must be a mapping of keys (listen, endpoints, strategy…), got a list',
    ]);
    const scalar = await problems('hello\n');
    assert.match(scalar.lines[0]!, /^fulcrum\.yaml:1:1 the top level must be a mapping.*got a single value$/);
  });

  it('rejects several YAML documents in one file', async () => {
    const { lines } = await problems('listen: {}\n---\nlisten: {}\n');
    assert.match(lines[0]!, /^fulcrum\.yaml:2:1 invalid YAML: /);
  });

  it('refuses alias bombs instead of expanding them', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const { lines } = await problems(`${levels.join('\n')}\n`);
    assert.match(lines.join('\n'), /alias/i);
  });
});

describe('loadConfig: schema problems carry path and line:column', () => {
  it('names an unknown top-level key, with a did-you-mean', async () => {
    const { lines } = await problems('# fulcrum\n\nstratgy: round-robin\n');
    assert.deepEqual(lines, ['fulcrum.yaml:3:1 unknown key "stratgy" (did you mean "strategy"?)']);
  });

  it('names an unknown nested key at the key itself', async () => {
    const { lines } = await problems('listen:\n  host: 0.0.0.0\n  prot: 80\n');
    assert.deepEqual(lines, ['fulcrum.yaml:3:3 listen: unknown key "prot" (did you mean "port"?)']);
  });

  it('suggests keys inside list items, ignoring case and separators', async () => {
    const { lines } = await problems(
      'endpoints:\n  - name: a\n    url: http://h:1\n    api_key: x\n    Weight: 2\n',
    );
    assert.deepEqual(lines, [
      'fulcrum.yaml:4:5 endpoints[0]: unknown key "api_key" (did you mean "apiKey"?)',
      'fulcrum.yaml:5:5 endpoints[0]: unknown key "Weight" (did you mean "weight"?)',
    ]);
  });

  it('gives no suggestion when nothing is close', async () => {
    const { lines } = await problems('zzzzzz: 1\n');
    assert.deepEqual(lines, ['fulcrum.yaml:1:1 unknown key "zzzzzz"']);
  });

  it('reports a bad URL with the endpoint index and the value', async () => {
    const text = [
      'endpoints:',
      '  - name: a',
      '    url: http://127.0.0.1:8001',
      '  - name: b',
      '    url: ftp://x',
    ].join('\n');
    const { lines } = await problems(text);
    assert.deepEqual(lines, [
      'fulcrum.yaml:5:10 endpoints[1].url: must be an http:// or https:// URL (got "ftp://x")',
    ]);
  });

  it('points a missing required key at its mapping', async () => {
    const { lines } = await problems('endpoints:\n  - url: http://a:1\n');
    assert.deepEqual(lines, ['fulcrum.yaml:2:5 endpoints[0].name: is required']);
  });

  it('rewrites bounds and types in plain words', async () => {
    const { lines } = await problems(
      'listen:\n  port: 70000\nretry:\n  maxAttempts: 2.5\nlogging:\n  level: inf\n  requests: "yes"\n',
    );
    assert.deepEqual(lines, [
      'fulcrum.yaml:2:9 listen.port: must be at most 65535 (got 70000)',
      'fulcrum.yaml:4:16 retry.maxAttempts: must be a whole number (got 2.5)',
      'fulcrum.yaml:6:10 logging.level: must be one of "debug", "info", "warn", "error", "silent" (got "inf") (did you mean "info"?)',
      'fulcrum.yaml:7:13 logging.requests: expected true or false, got "yes" (a string)',
    ]);
  });

  it('lists every problem, one per line, in file order', async () => {
    const text = 'logging:\n  level: loud\nlisten:\n  port: -1\nbogus: 1\n';
    const { lines, error } = await problems(text);
    assert.equal(lines.length, 3);
    assert.equal(error.problems.length, 3);
    assert.deepEqual(
      lines.map((l) => l.split(' ')[0]),
      ['fulcrum.yaml:2:10', 'fulcrum.yaml:4:9', 'fulcrum.yaml:5:1'],
    );
  });
});

describe('loadConfig: strategy', () => {
  it('accepts the `strategy: NAME` shorthand for every registered strategy', async () => {
    for (const name of strategyNames()) {
      const config = await load(`strategy: ${name}\n`);
      assert.deepEqual(config.strategy, { name, options: {} });
    }
  });

  it('rejects an unknown strategy, listing the valid names from the registry', async () => {
    const { lines } = await problems('\nstrategy: round-robbin\n');
    assert.deepEqual(lines, [
      `fulcrum.yaml:2:11 strategy.name: unknown strategy "round-robbin" (did you mean "round-robin"?); valid strategies: ${strategyNames().join(', ')}`,
    ]);
  });

  it('reports an unknown strategy even alongside other problems', async () => {
    const { lines } = await problems('strategy:\n  name: nope\nlisten:\n  port: x\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^fulcrum\.yaml:2:9 strategy\.name: unknown strategy "nope"; valid strategies: /);
  });

  it("wraps the strategy's own option error", async () => {
    const { lines } = await problems('strategy:\n  name: round-robin\n  options:\n    foo: 1\n');
    assert.deepEqual(lines, [
      'fulcrum.yaml:4:5 strategy.options: invalid options for "round-robin": strategy "round-robin" takes no options (got: foo)',
    ]);
  });
});

describe('loadConfig: semantic checks', () => {
  it('requires an admin token when the admin API is not on loopback', async () => {
    const { lines } = await problems('admin:\n  host: 0.0.0.0\n');
    assert.equal(lines.length, 1);
    // admin.token is absent from the file: no line is given rather than an unrelated one.
    assert.match(
      lines[0]!,
      /^admin\.token: required because admin\.host "0\.0\.0\.0" is not a loopback address/,
    );
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]']) {
      const config = await load(`admin:\n  host: "${host}"\n`);
      assert.equal(config.admin.host, host);
    }
    const withToken = await load('admin:\n  host: 0.0.0.0\n  token: 0123456789abcdef\n');
    assert.equal(withToken.admin.token, '0123456789abcdef');
    const disabled = await load('admin:\n  enabled: false\n  host: 0.0.0.0\n');
    assert.equal(disabled.admin.enabled, false);
  });

  it('rejects duplicate endpoint names, naming both', async () => {
    const text = 'endpoints:\n  - { name: a, url: "http://h:1" }\n  - { name: a, url: "http://h:2" }\n';
    const { lines } = await problems(text);
    assert.deepEqual(lines, [
      'fulcrum.yaml:3:13 endpoints[1].name: duplicate endpoint name "a" (also endpoints[0].name)',
    ]);
  });

  it('checks trusted proxies are IPs or CIDRs', async () => {
    const text =
      'listen:\n  trustedProxies:\n    - 10.0.0.0/8\n    - ::1\n    - 10.0.0.0/33\n    - proxy.local\n';
    const { lines } = await problems(text);
    assert.deepEqual(lines, [
      'fulcrum.yaml:5:7 listen.trustedProxies[2]: "10.0.0.0/33" has an invalid prefix length (0–32)',
      'fulcrum.yaml:6:7 listen.trustedProxies[3]: "proxy.local" is not an IP address or CIDR (e.g. "10.0.0.0/8", "::1")',
    ]);
    const ok = await load('listen:\n  trustedProxies: [10.0.0.0/8, "fd00::/8", 192.168.1.1]\n');
    assert.equal(ok.listen.trustedProxies.length, 3);
  });

  it('rejects the same data and admin port, except 0', async () => {
    const { lines } = await problems('listen:\n  port: 9000\nadmin:\n  port: 9000\n');
    assert.deepEqual(lines, [
      'fulcrum.yaml:4:9 admin.port: must differ from listen.port (both are 9000); use 0 for any free port',
    ]);
    const zero = await load('listen:\n  port: 0\nadmin:\n  port: 0\n');
    assert.equal(zero.admin.port, 0);
  });

  it('rejects probe timeouts not shorter than the interval', async () => {
    const { lines } = await problems('health:\n  active:\n    intervalMs: 1000\n    timeoutMs: 1000\n');
    assert.deepEqual(lines, [
      'fulcrum.yaml:4:16 health.active.timeoutMs: must be less than health.active.intervalMs (1000), or probes overlap',
    ]);
  });

  it('points cross-key problems at the key the file set', async () => {
    const { lines } = await problems('admin:\n  port: 8080\n');
    assert.deepEqual(lines, [
      'fulcrum.yaml:2:9 admin.port: must differ from listen.port (both are 8080); use 0 for any free port',
    ]);
    const passive = await problems('health:\n  passive:\n    maxEjectionMs: 1000\n');
    assert.equal(
      passive.lines[0],
      'fulcrum.yaml:3:20 health.passive.maxEjectionMs: must be at least health.passive.baseEjectionMs (30000)',
    );
  });

  it('warns (without failing) about more attempts than endpoints when set explicitly', async () => {
    const warnings: string[] = [];
    const text =
      'retry:\n  maxAttempts: 5\nendpoints:\n  - { name: a, url: "http://h:1" }\n  - { name: b, url: "http://h:2" }\n';
    const config = await load(text, { onWarning: (w) => warnings.push(w) });
    assert.equal(config.retry.maxAttempts, 5);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /^warning: .*:2:16 retry\.maxAttempts: 5 attempts but only 2 endpoints; at most 2 will be made$/,
    );
    const quiet: string[] = [];
    await load('endpoints:\n  - { name: a, url: "http://h:1" }\n', { onWarning: (w) => quiet.push(w) });
    assert.deepEqual(quiet, [], 'the default maxAttempts is not worth a warning');
  });
});

describe('loadConfig: secrets are never echoed', () => {
  it('hides apiKey and token values whatever the error', async () => {
    const text =
      'admin:\n  token: hunter2-short\nendpoints:\n  - name: a\n    url: http://h:1\n    apiKey: 424242424242\n';
    const { lines } = await problems(text);
    const all = lines.join('\n');
    assert.match(all, /admin\.token: admin token must be at least 16 characters/);
    assert.match(all, /endpoints\[0\]\.apiKey: expected a string, got a number/);
    assert.ok(!all.includes('hunter2'), all);
    assert.ok(!all.includes('424242'), all);
  });

  it('masks credentials embedded in URLs', async () => {
    const { lines } = await problems('endpoints:\n  - name: a\n    url: "ftp://user:s3cret@host/x"\n');
    assert.ok(!lines.join('\n').includes('s3cret'), lines.join('\n'));
    assert.match(lines[0]!, /\(got "ftp:\/\/\*\*\*@host\/x"\)/);
  });
});

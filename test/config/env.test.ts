// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file is about the literal ${VAR} syntax
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandString } from '../../src/config/env.js';
import { load, problems } from './support.js';

describe('expandString', () => {
  const env = { A: 'alpha', EMPTY: '' };
  const ok = (text: string) => {
    const r = expandString(text, env);
    assert.ok(r.ok, `expected ${text} to expand`);
    return r.value;
  };

  it('substitutes set variables anywhere in the string', () => {
    assert.equal(ok('${A}'), 'alpha');
    assert.equal(ok('x-${A}-${A}-y'), 'x-alpha-alpha-y');
  });

  it('uses the default when the variable is unset or empty', () => {
    assert.equal(ok('${NOPE:-fallback}'), 'fallback');
    assert.equal(ok('${EMPTY:-fallback}'), 'fallback');
    assert.equal(ok('${A:-fallback}'), 'alpha');
    assert.equal(ok('${NOPE:-}'), '');
    assert.equal(ok('${EMPTY}'), '', 'set-but-empty without a default is the empty string');
  });

  it('keeps lone dollars and turns $${ into a literal ${', () => {
    assert.equal(ok('price $5'), 'price $5');
    assert.equal(ok('$${A}'), '${A}');
  });

  it('rejects malformed references precisely', () => {
    assert.deepEqual(expandString('${A', env), {
      ok: false,
      message: 'unterminated "${" (write "$${" for a literal "${")',
    });
    const bad = expandString('${1A}', env);
    assert.ok(!bad.ok && bad.message.startsWith('invalid variable reference "${1A}"'));
    const unset = expandString('${NOPE}', env);
    assert.ok(
      !unset.ok &&
        unset.message === 'environment variable NOPE is not set (set it, or write ${NOPE:-default})',
    );
  });
});

describe('loadConfig: ${VAR} substitution', () => {
  const endpoint = (url: string, extra = '') => `endpoints:\n  - name: a\n    url: ${url}\n${extra}`;

  it('substitutes string values, quoted or not', async () => {
    const config = await load(endpoint('${UPSTREAM}', '    apiKey: "${KEY}"\n'), {
      env: { UPSTREAM: 'http://10.0.0.5:8000', KEY: 'sk-test' },
    });
    assert.equal(config.endpoints[0]!.url, 'http://10.0.0.5:8000');
    assert.equal(config.endpoints[0]!.apiKey, 'sk-test');
  });

  it('names the key, line and variable when a variable is unset', async () => {
    const { lines } = await problems(endpoint('http://h:1', '    apiKey: ${OPENAI_API_KEY}\n'));
    assert.deepEqual(lines, [
      'fulcrum.yaml:4:13 endpoints[0].apiKey: environment variable OPENAI_API_KEY is not set (set it, or write ${OPENAI_API_KEY:-default})',
    ]);
  });

  it("never prints a variable's value, even when it makes the key invalid", async () => {
    const secret = 'ftp://user:tok3n@internal.example/x';
    const { lines } = await problems(endpoint('${UPSTREAM}'), { env: { UPSTREAM: secret } });
    assert.deepEqual(lines, [
      'fulcrum.yaml:3:10 endpoints[0].url: must be an http:// or https:// URL (from ${UPSTREAM})',
    ]);
  });

  it('cannot inject structure: the value stays one string', async () => {
    const injected = 'x\nlisten:\n  port: 1\n{a: 1}, [b]: c # not a comment';
    const config = await load(endpoint('http://h:1', '    apiKey: ${KEY}\n'), { env: { KEY: injected } });
    assert.equal(config.endpoints[0]!.apiKey, injected);
    assert.equal(config.listen.port, 8080);
  });

  it('converts to a number or boolean where the schema wants one', async () => {
    const config = await load('listen:\n  port: ${PORT}\nlogging:\n  requests: ${LOG_REQ:-true}\n', {
      env: { PORT: '8081' },
    });
    assert.equal(config.listen.port, 8081);
    assert.equal(config.logging.requests, true);
    const { lines } = await problems('listen:\n  port: ${PORT}\n', { env: { PORT: 'eighty' } });
    assert.deepEqual(lines, ['fulcrum.yaml:2:9 listen.port: expected a number, got a string (from ${PORT})']);
  });

  it('keeps a string where the schema wants a string, even if it looks numeric', async () => {
    const config = await load(endpoint('http://h:1', '    apiKey: ${KEY}\n'), { env: { KEY: '12345' } });
    assert.equal(config.endpoints[0]!.apiKey, '12345');
  });

  it('does not substitute keys', async () => {
    const { lines } = await problems('${SECTION}:\n  port: 1\n', { env: { SECTION: 'listen' } });
    assert.deepEqual(lines, ['fulcrum.yaml:1:1 unknown key "${SECTION}"']);
  });

  it('substitutes inside lists', async () => {
    const config = await load(
      'listen:\n  trustedProxies: ["${PROXY}"]\nendpoints:\n  - name: a\n    url: http://h:1\n    models: ["${MODEL:-llama}"]\n',
      { env: { PROXY: '10.1.0.0/16' } },
    );
    assert.deepEqual(config.listen.trustedProxies, ['10.1.0.0/16']);
    assert.deepEqual(config.endpoints[0]!.models, ['llama']);
  });
});

/** Unit tests for src/pool/endpoint.ts: URL normalisation, model sets and aliases, secret hygiene. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Endpoint } from '../../src/pool/endpoint.js';

describe('Endpoint', () => {
  it('normalises the URL: origin, base path without /v1 or trailing slash, no query', () => {
    const e = new Endpoint({ name: 'a', url: 'https://api.example.com/prefix/v1/?x=1#f' });
    assert.equal(e.origin, 'https://api.example.com');
    assert.equal(e.basePath, '/prefix');
    assert.equal(e.url, 'https://api.example.com/prefix');
    const bare = new Endpoint({ name: 'b', url: 'http://127.0.0.1:8000/' });
    assert.equal(bare.basePath, '');
    assert.equal(bare.url, 'http://127.0.0.1:8000');
  });

  it('rejects non-HTTP URLs', () => {
    assert.throws(() => new Endpoint({ name: 'x', url: 'ftp://host/' }), /http or https/);
  });

  it('applies defaults', () => {
    const e = new Endpoint({ name: 'a', url: 'http://h:1' });
    assert.equal(e.weight, 1);
    assert.equal(e.maxConnections, undefined, 'no connection cap unless configured');
    assert.equal(e.state.healthy, true, 'starts healthy, as NGINX and HAProxy do');
    assert.equal(e.state.enabled, true);
  });

  it('serves any model until models are known, then only declared/discovered ones plus aliases', () => {
    const e = new Endpoint({ name: 'a', url: 'http://h:1' });
    assert.equal(e.models(), undefined);
    assert.equal(e.serves('anything'), true);
    e.state.discoveredModels = new Set(['llama']);
    assert.equal(e.serves('llama'), true);
    assert.equal(e.serves('anything'), false);

    const mapped = new Endpoint({ name: 'm', url: 'http://h:1', modelMap: { 'gpt-4o-mini': 'llama' } });
    assert.deepEqual([...(mapped.models() ?? [])], ['gpt-4o-mini'], 'aliases alone make a known list');
    mapped.state.discoveredModels = new Set(['llama']);
    assert.deepEqual([...(mapped.models() ?? [])].sort(), ['gpt-4o-mini', 'llama']);
    assert.equal(mapped.upstreamModel('gpt-4o-mini'), 'llama');
    assert.equal(mapped.upstreamModel('llama'), 'llama');

    const declared = new Endpoint({ name: 'd', url: 'http://h:1', models: ['x'] });
    declared.state.discoveredModels = new Set(['y']);
    assert.equal(declared.serves('x'), true, 'declared models win over discovered ones');
    assert.equal(declared.serves('y'), false);
  });

  it('a weight change shares the live state', () => {
    const e = new Endpoint({ name: 'a', url: 'http://h:1', apiKey: 'sk-1' });
    const heavier = e.withWeight(5);
    assert.equal(heavier.weight, 5);
    assert.equal(heavier.state, e.state);
    assert.equal(heavier.apiKey, 'sk-1');
  });

  it('never puts the api key in JSON', () => {
    const e = new Endpoint({ name: 'a', url: 'http://h:1', apiKey: 'sk-very-secret' });
    const json = JSON.stringify(e);
    assert.ok(!json.includes('sk-very-secret'));
    assert.equal((JSON.parse(json) as { hasApiKey: boolean }).hasApiKey, true);
  });
});

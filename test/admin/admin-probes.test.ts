import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { METRICS_CONTENT_TYPE } from '../../src/server/admin.js';
import { parseExposition, sampleValue } from '../telemetry/exposition.js';
import { type Harness, startHarness, TOKEN } from './harness.js';

describe('admin probes, metrics and info', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      token: TOKEN,
      describe: () => ({
        strategy: 'round-robin',
        config: { admin: { token: TOKEN } },
        note: `Bearer ${TOKEN}`,
      }),
    });
  });
  after(() => h.close());

  it('/healthz is 200 {"status":"ok"} while the process lives', async () => {
    const res = await h.call('/healthz', { auth: false });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('/readyz follows isReady()', async () => {
    h.ready.value = true;
    const up = await h.call('/readyz', { auth: false });
    assert.equal(up.status, 200);
    await up.arrayBuffer();
    h.ready.value = false;
    const down = await h.call('/readyz', { auth: false });
    assert.equal(down.status, 503);
    assert.deepEqual(await down.json(), { status: 'not ready' });
    h.ready.value = true;
  });

  it('HEAD works where GET does, with no body', async () => {
    const res = await h.call('/healthz', { method: 'HEAD', auth: false });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
  });

  it('/metrics serves valid Prometheus text reflecting bus events', async () => {
    h.bus.emit('request.start', { id: 'a', model: 'llama', stream: false, path: '/v1/chat/completions' });
    h.bus.emit('request.end', {
      id: 'a',
      model: 'llama',
      path: '/v1/chat/completions',
      stream: false,
      status: 200,
      endpoint: 'gpu-1',
      attempts: 1,
      durationMs: 700,
      ttfbMs: 120,
      errorCode: undefined,
      clientAborted: false,
    });
    const res = await h.call('/metrics');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), METRICS_CONTENT_TYPE);
    const families = parseExposition(await res.text());
    assert.equal(
      sampleValue(families, 'fulcrum_requests_total', { model: 'llama', endpoint: 'gpu-1', status: '200' }),
      1,
    );
    assert.equal(
      sampleValue(families, 'fulcrum_request_duration_seconds_bucket', { model: 'llama', le: '1' }),
      1,
    );
    assert.equal(sampleValue(families, 'fulcrum_requests_in_flight'), 0);
    assert.equal(sampleValue(families, 'fulcrum_endpoint_up', { endpoint: 'gpu-2' }), 1);
    for (const name of [
      'fulcrum_upstream_attempts_total',
      'fulcrum_retries_total',
      'fulcrum_retry_budget_exhausted_total',
      'fulcrum_ejections_total',
      'fulcrum_health_transitions_total',
      'fulcrum_client_aborts_total',
      'fulcrum_uncaught_errors_total',
      'fulcrum_time_to_first_byte_seconds',
      'fulcrum_endpoint_enabled',
      'fulcrum_endpoint_weight',
      'fulcrum_endpoint_in_flight',
      'fulcrum_endpoint_ejected',
    ]) {
      assert.ok(families.has(name), `${name} is declared`);
    }
  });

  it('/metrics stays bounded and parseable after 10k distinct unknown models', async () => {
    for (let i = 0; i < 10_000; i++) {
      h.bus.emit('request.end', {
        id: `u${i}`,
        model: `made-up-model-${i}`,
        path: '/v1/chat/completions',
        stream: false,
        status: 404,
        endpoint: undefined,
        attempts: 0,
        durationMs: 1,
        ttfbMs: 1,
        errorCode: 'model_not_found',
        clientAborted: false,
      });
    }
    const text = await (await h.call('/metrics')).text();
    const families = parseExposition(text);
    assert.ok(!text.includes('made-up-model-'));
    assert.equal(
      sampleValue(families, 'fulcrum_requests_total', { model: 'unknown', status: '404' }),
      10_000,
    );
    assert.ok((families.get('fulcrum_requests_total')?.samples.length ?? 0) <= 5);
    assert.ok(text.length < 30_000, `${text.length} bytes`);
  });

  it('/admin/info returns describe() with secrets redacted', async () => {
    const res = await h.call('/admin/info');
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(!text.includes(TOKEN));
    const body = JSON.parse(text);
    assert.equal(body.strategy, 'round-robin');
    assert.equal(body.config.admin.token, '[REDACTED]');
  });
});

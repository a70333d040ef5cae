import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { Pool } from '../../src/pool/pool.js';
import { type RequestEndEvent, TelemetryBus } from '../../src/telemetry/events.js';
import { FulcrumMetrics } from '../../src/telemetry/metrics.js';
import { parseExposition, sampleValue } from './exposition.js';

function setup(opts: { processMetrics?: boolean } = {}) {
  const clock = new ManualClock(1_000);
  const bus = new TelemetryBus();
  const pool = new Pool(
    [
      { name: 'a', url: 'http://127.0.0.1:1', models: ['llama'], weight: 3 },
      { name: 'b', url: 'http://127.0.0.1:2', models: ['llama', 'qwen'] },
    ],
    clock,
    bus,
  );
  const metrics = new FulcrumMetrics(bus, pool, { clock, processMetrics: opts.processMetrics ?? false });
  return { clock, bus, pool, metrics, scrape: () => parseExposition(metrics.render()) };
}

function end(partial: Partial<RequestEndEvent> & { id: string }): RequestEndEvent {
  return {
    model: 'llama',
    path: '/v1/chat/completions',
    stream: false,
    status: 200,
    endpoint: 'a',
    attempts: 1,
    durationMs: 1500,
    ttfbMs: 300,
    errorCode: undefined,
    clientAborted: false,
    ...partial,
  };
}

describe('FulcrumMetrics', () => {
  it('counts requests by model, endpoint and status, with duration and TTFB histograms', () => {
    const { bus, metrics, scrape } = setup();
    bus.emit('request.end', end({ id: '1' }));
    bus.emit('request.end', end({ id: '2', status: 502, endpoint: 'b', ttfbMs: undefined, durationMs: 40 }));
    bus.emit('request.end', end({ id: '3', status: 404, model: 'gpt-nonexistent', endpoint: undefined }));
    bus.emit(
      'request.end',
      end({ id: '4', status: 200, model: '', path: '/v1/models', endpoint: undefined }),
    );
    const m = scrape();
    assert.equal(
      sampleValue(m, 'fulcrum_requests_total', { model: 'llama', endpoint: 'a', status: '200' }),
      1,
    );
    assert.equal(
      sampleValue(m, 'fulcrum_requests_total', { model: 'llama', endpoint: 'b', status: '502' }),
      1,
    );
    assert.equal(
      sampleValue(m, 'fulcrum_requests_total', { model: 'unknown', endpoint: '', status: '404' }),
      1,
    );
    assert.equal(sampleValue(m, 'fulcrum_requests_total', { model: '', endpoint: '', status: '200' }), 1);
    assert.equal(sampleValue(m, 'fulcrum_request_duration_seconds_count', { model: 'llama' }), 2);
    assert.equal(
      sampleValue(m, 'fulcrum_request_duration_seconds_bucket', { model: 'llama', le: '0.05' }),
      1,
    );
    assert.equal(sampleValue(m, 'fulcrum_request_duration_seconds_bucket', { model: 'llama', le: '2.5' }), 2);
    assert.ok(
      Math.abs(sampleValue(m, 'fulcrum_request_duration_seconds_sum', { model: 'llama' }) - 1.54) < 1e-9,
    );
    // The stream without a first byte is not observed in the TTFB histogram.
    assert.equal(sampleValue(m, 'fulcrum_time_to_first_byte_seconds_count', { model: 'llama' }), 1);
    assert.equal(
      sampleValue(m, 'fulcrum_time_to_first_byte_seconds_bucket', { model: 'llama', le: '0.25' }),
      0,
    );
    assert.equal(
      sampleValue(m, 'fulcrum_time_to_first_byte_seconds_bucket', { model: 'llama', le: '0.5' }),
      1,
    );
    assert.ok(!m.get('fulcrum_requests_total')?.samples.some((s) => s.labels.model === 'gpt-nonexistent'));
    metrics.dispose();
  });

  it('tracks requests in flight from request.start/end and counts client aborts', () => {
    const { bus, scrape } = setup();
    for (const id of ['1', '2', '3'])
      bus.emit('request.start', { id, model: 'llama', stream: true, path: '/' });
    assert.equal(sampleValue(scrape(), 'fulcrum_requests_in_flight'), 3);
    bus.emit('request.end', end({ id: '2', clientAborted: true }));
    const m = scrape();
    assert.equal(sampleValue(m, 'fulcrum_requests_in_flight'), 2);
    assert.equal(sampleValue(m, 'fulcrum_client_aborts_total'), 1);
    // Stray ends (a bug upstream of the bus) must not drive the gauge negative.
    for (let i = 0; i < 5; i++) bus.emit('request.end', end({ id: 'never-started' }));
    assert.equal(sampleValue(scrape(), 'fulcrum_requests_in_flight'), 0);
  });

  it('counts attempts, retries, budget exhaustion, ejections and health transitions', () => {
    const { bus, pool, clock, scrape } = setup();
    bus.emit('attempt.end', {
      id: '1',
      endpoint: 'a',
      outcome: 'failure',
      status: 503,
      reason: 'status_503',
      durationMs: 5,
    });
    bus.emit('attempt.end', {
      id: '1',
      endpoint: 'b',
      outcome: 'success',
      status: 200,
      reason: undefined,
      durationMs: 5,
    });
    bus.emit('retry', { id: '1', endpoint: 'a', reason: 'status_503' });
    bus.emit('retry.budget_exhausted', { id: '2', endpoint: 'a' });
    // Real pool transitions publish the health events.
    pool.updateHealth('a', { ejectedUntil: clock.now() + 30_000, reason: 'consecutive failures' });
    pool.updateHealth('b', { healthy: false, reason: 'probe timeout' });
    const m = scrape();
    assert.equal(sampleValue(m, 'fulcrum_upstream_attempts_total', { endpoint: 'a', outcome: 'failure' }), 1);
    assert.equal(sampleValue(m, 'fulcrum_upstream_attempts_total', { endpoint: 'b', outcome: 'success' }), 1);
    assert.equal(sampleValue(m, 'fulcrum_retries_total', { reason: 'status_503' }), 1);
    assert.equal(sampleValue(m, 'fulcrum_retry_budget_exhausted_total'), 1);
    assert.equal(sampleValue(m, 'fulcrum_ejections_total', { endpoint: 'a' }), 1);
    assert.equal(sampleValue(m, 'fulcrum_health_transitions_total', { endpoint: 'a', kind: 'ejected' }), 1);
    assert.equal(sampleValue(m, 'fulcrum_health_transitions_total', { endpoint: 'b', kind: 'active' }), 1);
    assert.equal(sampleValue(m, 'fulcrum_endpoint_ejected', { endpoint: 'a' }), 1);
    assert.equal(sampleValue(m, 'fulcrum_endpoint_up', { endpoint: 'b' }), 0);
    clock.advance(30_001);
    assert.equal(sampleValue(scrape(), 'fulcrum_endpoint_ejected', { endpoint: 'a' }), 0, 'ejection expired');
  });

  it('reads per-endpoint gauges from the live pool at scrape time', () => {
    const { pool, scrape } = setup();
    let m = scrape();
    assert.equal(sampleValue(m, 'fulcrum_endpoint_weight', { endpoint: 'a' }), 3);
    assert.equal(sampleValue(m, 'fulcrum_endpoint_enabled', { endpoint: 'a' }), 1);
    assert.equal(sampleValue(m, 'fulcrum_endpoint_up', { endpoint: 'a' }), 1);
    pool.track(pool.get('a')!);
    pool.setEnabled('a', false);
    pool.setWeight('b', 7);
    pool.add({ name: 'c', url: 'http://127.0.0.1:3' });
    m = scrape();
    assert.equal(sampleValue(m, 'fulcrum_endpoint_in_flight', { endpoint: 'a' }), 1);
    assert.equal(sampleValue(m, 'fulcrum_endpoint_enabled', { endpoint: 'a' }), 0);
    assert.equal(sampleValue(m, 'fulcrum_endpoint_weight', { endpoint: 'b' }), 7);
    assert.equal(sampleValue(m, 'fulcrum_endpoint_weight', { endpoint: 'c' }), 1);
    pool.untrack(pool.get('a')!);
    pool.remove('c');
    m = scrape();
    assert.equal(sampleValue(m, 'fulcrum_endpoint_in_flight', { endpoint: 'a' }), 0);
    assert.equal(m.get('fulcrum_endpoint_weight')?.samples.length, 2, 'removed endpoint disappears');
  });

  it('keeps the model label bounded with 10k distinct unknown models', () => {
    const { bus, scrape, metrics } = setup();
    for (let i = 0; i < 10_000; i++) {
      bus.emit(
        'request.end',
        end({ id: String(i), model: `invented-${i}`, status: 404, endpoint: undefined }),
      );
    }
    const text = metrics.render();
    const m = scrape();
    assert.equal(sampleValue(m, 'fulcrum_requests_total', { model: 'unknown', status: '404' }), 10_000);
    assert.equal(m.get('fulcrum_requests_total')?.samples.length, 1);
    assert.equal(m.get('fulcrum_request_duration_seconds')?.samples.length, 15 + 1 + 2);
    assert.ok(!text.includes('invented-'), 'no unknown model name leaks into the exposition');
    assert.ok(text.length < 20_000, `exposition stays small (${text.length} bytes)`);
  });

  it('caps series even when every model is "known" (endpoints without model lists serve anything)', () => {
    const clock = new ManualClock();
    const bus = new TelemetryBus();
    const pool = new Pool([{ name: 'any', url: 'http://127.0.0.1:1' }], clock, bus);
    const metrics = new FulcrumMetrics(bus, pool, { clock, processMetrics: false, maxSeries: 50 });
    for (let i = 0; i < 10_000; i++)
      bus.emit('request.end', end({ id: String(i), model: `m${i}`, endpoint: 'any' }));
    const m = parseExposition(metrics.render());
    assert.equal(m.get('fulcrum_requests_total')?.samples.length, 51);
    assert.equal(sampleValue(m, 'fulcrum_requests_total', { model: 'other' }), 10_000 - 50);
    assert.equal(
      sampleValue(m, 'fulcrum_metric_series_folded_total', { metric: 'fulcrum_requests_total' }),
      9_950,
    );
    metrics.dispose();
  });

  it('exposes process metrics and the uncaught-error counter', () => {
    const { metrics, scrape } = setup({ processMetrics: true });
    metrics.countUncaughtError();
    const m = scrape();
    assert.equal(sampleValue(m, 'fulcrum_uncaught_errors_total'), 1);
    assert.ok(sampleValue(m, 'process_resident_memory_bytes') > 1_000_000);
    assert.ok(sampleValue(m, 'process_cpu_seconds_total') > 0);
    assert.equal(m.get('process_cpu_seconds_total')?.type, 'counter');
    const lag = sampleValue(m, 'nodejs_eventloop_lag_seconds');
    assert.ok(lag >= 0 && lag < 60, `lag ${lag}`);
    assert.ok(sampleValue(m, 'nodejs_eventloop_lag_max_seconds') >= 0);
    metrics.dispose();
  });

  it('stops counting after dispose()', () => {
    const { bus, metrics, scrape } = setup();
    bus.emit('request.end', end({ id: '1' }));
    metrics.dispose();
    bus.emit('request.end', end({ id: '2' }));
    assert.equal(sampleValue(scrape(), 'fulcrum_requests_total', { model: 'llama' }), 1);
  });
});

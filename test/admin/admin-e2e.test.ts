/**
 * The exporter, the request log and the admin API wired into a real Fulcrum in front of two simulators,
 * driven by the official OpenAI SDK: what an operator scrapes must match what clients did.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type FulcrumHandle, startFulcrum } from '../../src/server/fulcrum.js';
import { type SimHandle, startSim } from '../../src/sim/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { parseExposition, sampleValue } from '../telemetry/exposition.js';

const MODEL = 'sim-model';
const TOKEN = 'e2e-admin-token-0123456789';

describe('metrics, logs and admin API end to end', () => {
  let sims: SimHandle[];
  let fulcrum: FulcrumHandle;
  let client: OpenAI;
  const logs: string[] = [];

  const admin = async (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(fulcrum.adminUrl + path, {
      ...init,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
    });
  const scrape = async () => parseExposition(await (await admin('/metrics')).text());

  before(async () => {
    sims = await Promise.all(
      ['s1', 's2'].map((name) =>
        startSim({ profile: 'fixed', params: { ttftMs: 20, itlMs: 2 }, model: MODEL, name }),
      ),
    );
    fulcrum = await startFulcrum(
      {
        listen: { host: '127.0.0.1', port: 0 },
        admin: { host: '127.0.0.1', port: 0, token: TOKEN },
        endpoints: sims.map((s, i) => ({ name: `sim-${i + 1}`, url: s.url, models: [MODEL] })),
        health: { active: { enabled: false } },
        logging: { requests: true },
      },
      { logger: createLogger({ level: 'info' }, { write: (s: string) => logs.push(s) }) },
    );
    client = new OpenAI({
      baseURL: `${fulcrum.url}/v1`,
      apiKey: 'sk-client-CANARY-0123456789',
      maxRetries: 0,
    });
  });
  after(async () => {
    await fulcrum?.close();
    await Promise.all((sims ?? []).map((s) => s.close()));
  });

  it('counts completed, streamed, aborted and unknown-model requests', async () => {
    for (let i = 0; i < 4; i++) {
      await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 4,
      });
    }
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'stream please' }],
      max_tokens: 8,
      stream: true,
    });
    for await (const _ of stream) {
      // drain
    }
    // A client that gives up mid-stream.
    const controller = new AbortController();
    const aborted = await client.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: 'long' }], max_tokens: 2000, stream: true },
      { signal: controller.signal },
    );
    try {
      for await (const _ of aborted) controller.abort();
    } catch {
      // The SDK either ends the iteration quietly or throws an abort error; both mean we hung up.
    }
    await assert.rejects(
      client.chat.completions.create({
        model: 'no-such-model-xyz',
        messages: [{ role: 'user', content: 'x' }],
      }),
      (err: unknown) => err instanceof OpenAI.NotFoundError,
    );

    // request.end for the aborted stream is published when Fulcrum notices the disconnect.
    let m = await scrape();
    for (let i = 0; i < 250 && sampleValue(m, 'fulcrum_client_aborts_total') < 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
      m = await scrape();
    }
    assert.equal(sampleValue(m, 'fulcrum_client_aborts_total'), 1);
    const ok = m
      .get('fulcrum_requests_total')!
      .samples.filter((s) => s.labels.model === MODEL && s.labels.status === '200');
    assert.equal(
      ok.reduce((sum, s) => sum + s.value, 0),
      6,
      '4 completions + 1 stream + 1 aborted stream (200 already sent)',
    );
    assert.ok(ok.every((s) => s.labels.endpoint === 'sim-1' || s.labels.endpoint === 'sim-2'));
    assert.equal(sampleValue(m, 'fulcrum_requests_total', { model: 'unknown', status: '404' }), 1);
    assert.ok(!m.get('fulcrum_requests_total')!.samples.some((s) => s.labels.model === 'no-such-model-xyz'));
    assert.equal(sampleValue(m, 'fulcrum_requests_in_flight'), 0);
    assert.equal(sampleValue(m, 'fulcrum_time_to_first_byte_seconds_count', { model: MODEL }), 6);
    // TTFB is measured at the commit point (response headers sent). The fixed simulator cannot answer a
    // non-streamed request before its 20 ms TTFT, so at most the two streams (whose headers come first)
    // can fall in the 10 ms bucket.
    assert.ok(sampleValue(m, 'fulcrum_time_to_first_byte_seconds_bucket', { model: MODEL, le: '0.01' }) <= 2);
    const attempts = m.get('fulcrum_upstream_attempts_total')!.samples;
    assert.equal(
      attempts.filter((s) => s.labels.outcome === 'success').reduce((sum, s) => sum + s.value, 0),
      5,
      'five attempts completed normally',
    );
    assert.equal(sampleValue(m, 'fulcrum_endpoint_in_flight', { endpoint: 'sim-1' }), 0);

    const requestLines = logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    assert.equal(requestLines.length, 7, 'one log line per request');
    assert.equal(requestLines.filter((l) => l.clientAborted === true).length, 1);
    assert.ok(!logs.join('').includes('sk-client-CANARY'), 'client key never logged');
    assert.ok(!logs.join('').includes(TOKEN), 'admin token never logged');
  });

  it('drain through the admin API moves traffic and shows in metrics', async () => {
    const res = await admin('/admin/endpoints/sim-1/drain', { method: 'POST' });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const sim1Before = sims[0]!.requests().length;
    for (let i = 0; i < 4; i++) {
      const raw = await client.chat.completions
        .create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 })
        .withResponse();
      assert.equal(raw.response.headers.get('x-fulcrum-backend'), 'sim-2');
    }
    assert.equal(sims[0]!.requests().length, sim1Before, 'drained sim-1 got nothing');
    const m = await scrape();
    assert.equal(sampleValue(m, 'fulcrum_endpoint_enabled', { endpoint: 'sim-1' }), 0);
    assert.equal(sampleValue(m, 'fulcrum_endpoint_enabled', { endpoint: 'sim-2' }), 1);
    await (await admin('/admin/endpoints/sim-1/enable', { method: 'POST' })).arrayBuffer();
  });
});

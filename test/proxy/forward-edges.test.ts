/**
 * The forwarder's edges that no real server can provoke: a bug that throws while an attempt starts, and a
 * strategy whose `onResult` throws. Neither may leak the endpoint's in-flight count, blame the endpoint, or
 * escape as an uncaught exception; the request ends with the error (which the data plane answers as a 500).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Router } from '../../src/balancer/router.js';
import type { Strategy } from '../../src/balancer/strategy.js';
import { FulcrumError } from '../../src/core/errors.js';
import type { RequestContext } from '../../src/pipeline/context.js';
import { Endpoint } from '../../src/pool/endpoint.js';
import type { Pool } from '../../src/pool/pool.js';
import { createForwarder, type ForwardDeps } from '../../src/proxy/forward.js';
import { LiveResponses } from '../../src/proxy/live-responses.js';
import { RetryBudget } from '../../src/proxy/retry-budget.js';
import type { UpstreamPools } from '../../src/proxy/upstream-pools.js';
import type { DataPlaneResponse } from '../../src/server/h1/response.js';
import { TelemetryBus } from '../../src/telemetry/events.js';
import type { UpstreamHandler } from '../../src/upstream/types.js';

/** A response nobody writes to in these tests: only the listener calls are used. */
const res = {
  closed: false,
  writableFinished: false,
  headersSent: false,
  on() {
    return this;
  },
  once() {
    return this;
  },
  off() {
    return this;
  },
} as unknown as DataPlaneResponse;

function context(): RequestContext {
  return {
    id: 'req-1',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    res,
    path: '/v1/chat/completions',
    search: '',
    peerIp: '127.0.0.1',
    clientIp: '127.0.0.1',
    startedAt: 0,
    clientAborted: false,
    model: 'm',
    stream: false,
    body: Buffer.from('{"model":"m"}'),
    parsed: undefined,
    releaseBody() {},
    attempts: 0,
    endpoint: undefined,
    status: 0,
    firstByteAt: undefined,
    errorCode: undefined,
  };
}

function setup(strategy: Strategy, dispatch: (handler: UpstreamHandler) => void) {
  const endpoint = new Endpoint({ name: 'a', url: 'http://127.0.0.1:1', models: ['m'] });
  const failures: string[] = [];
  const pool = {
    track: (e: Endpoint) => {
      e.state.inflight += 1;
    },
    untrack: (e: Endpoint) => {
      e.state.inflight -= 1;
    },
    eligible: () => [],
  } as unknown as Pool;
  const deps: ForwardDeps = {
    router: { strategy, pick: () => endpoint } as unknown as Router,
    pool,
    budget: new RetryBudget(20, 3),
    maxAttempts: 3,
    pools: {
      get: () => ({ dispatch: (_req: unknown, h: UpstreamHandler) => dispatch(h) }),
    } as unknown as UpstreamPools,
    health: {
      recordSuccess: () => {},
      recordFailure: (_e, reason) => failures.push(reason),
      recordRateLimited: () => {},
    },
    telemetry: new TelemetryBus(),
    clock: { now: () => 0 },
    retryOnStatus: new Set([429, 503]),
    retryAfterSend: false,
    sendTimeoutMs: 0,
    firstByteDeadlines: undefined,
    idleDeadlines: undefined,
    live: new LiveResponses(),
    isShuttingDown: () => false,
  };
  return { endpoint, failures, deps };
}

const quiet: Strategy = { name: 'quiet', pick: (c) => c[0] };

describe('forwarder edges', () => {
  it('a throw while handing the request to the upstream client is an internal error, not the endpoint’s', async () => {
    const { endpoint, failures, deps } = setup(quiet, () => {
      throw new TypeError('bug in the upstream client');
    });
    const ctx = context();
    await assert.rejects(createForwarder(deps)(ctx), (err: unknown) => {
      assert.ok(err instanceof FulcrumError);
      assert.equal(err.code, 'internal_error');
      return true;
    });
    assert.equal(endpoint.state.inflight, 0);
    assert.deepEqual(failures, [], 'the endpoint was blamed for our bug');
    assert.equal(deps.live.size, 0, 'the attempt stayed registered for shutdown');
    assert.equal(deps.budget.retrying, 0);
  });

  it('a strategy whose onResult throws ends the request with that error, without leaking or crashing', async () => {
    const broken: Strategy = {
      name: 'broken',
      pick: (c) => c[0],
      onResult: () => {
        throw new Error('onResult bug');
      },
    };
    const { endpoint, deps } = setup(broken, (h) => {
      const controller = { pause() {}, resume() {}, abort() {}, aborted: false, paused: false };
      h.onRequestStart(controller);
      queueMicrotask(() =>
        h.onResponseError(controller, Object.assign(new Error('reset'), { code: 'ECONNRESET' })),
      );
    });
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => {
      uncaught.push(err);
    };
    process.on('uncaughtException', onUncaught);
    try {
      await assert.rejects(createForwarder(deps)(context()), /onResult bug/);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    assert.deepEqual(uncaught, []);
    assert.equal(endpoint.state.inflight, 0);
    assert.equal(deps.live.size, 0);
  });
});

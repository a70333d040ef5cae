// Issue 3: the step engine on a virtual clock (no sockets, no real time).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StepEngine } from '../../src/sim/engine.js';
import type { EngineRequest, FinishReason } from '../../src/sim/engine-types.js';
import { FixedEngine } from '../../src/sim/fixed-engine.js';
import { resolveParams, type StepParams } from '../../src/sim/profiles.js';
import { decodeItlMs, prefillAloneMs } from '../../src/sim/step-model.js';

function params(overrides: Record<string, unknown> = {}): StepParams {
  const p = resolveParams('h100-llama3-8b', { tApiMs: 0, ...overrides });
  assert.equal(p.kind, 'step');
  return p as StepParams;
}

interface Trace {
  req: EngineRequest;
  times: number[];
  finish: FinishReason | undefined;
}

function prompt(len: number, salt = 0): number[] {
  return Array.from({ length: len }, (_, i) => (i * 7919 + salt * 104729) % 128000);
}

function submit(e: StepEngine | FixedEngine, tokens: number[], out: number, at?: number): Trace {
  const t: Trace = { req: undefined as unknown as EngineRequest, times: [], finish: undefined };
  t.req = e.submit(
    { promptTokens: tokens, outputTokens: out, finishReason: 'length', outputTokenId: (i) => 1000 + i },
    {
      onToken: (_i, at2, finish) => {
        t.times.push(at2);
        t.finish = finish;
      },
    },
    at,
  );
  return t;
}

function runIdle(e: StepEngine | FixedEngine): void {
  for (let guard = 0; guard < 1e6; guard++) {
    const next = e.nextEventAt();
    if (next === undefined) return;
    e.advanceTo(next);
  }
  throw new Error('engine did not go idle');
}

const ttft = (t: Trace) => t.times[0]! - t.req.arrival;
const meanItl = (t: Trace) => (t.times.at(-1)! - t.times[1]!) / (t.times.length - 2);

test('a lone request: TTFT is its prefill step, ITL the B=1 decode step', () => {
  const p = params();
  const e = new StepEngine(p);
  const t = submit(e, prompt(1000), 50);
  runIdle(e);
  assert.equal(t.times.length, 50);
  assert.equal(t.finish, 'length');
  assert.ok(Math.abs(ttft(t) - prefillAloneMs(p, 1000)) < 1e-9);
  // Context grows from 1001 to 1049 during decode; the model at the mean context:
  assert.ok(Math.abs(meanItl(t) - decodeItlMs(p, 1, 1025)) < 0.01);
});

test('a cached prefix cuts TTFT and is reported as cached tokens', () => {
  const p = params();
  const e = new StepEngine(p);
  const shared = prompt(4000, 1);
  const a = submit(e, [...shared, ...prompt(100, 2)], 4);
  runIdle(e);
  const b = submit(e, [...shared, ...prompt(100, 3)], 4);
  runIdle(e);
  assert.equal(a.req.cachedTokens, 0);
  assert.equal(b.req.cachedTokens, 4000); // 250 full blocks of 16
  assert.ok(ttft(b) < ttft(a) * 0.3, `cached ${ttft(b)} vs uncached ${ttft(a)}`);
  assert.ok(Math.abs(ttft(b) - prefillAloneMs(p, 4100, 4000)) < 1e-9);
  assert.equal(e.recorder.prefixHits, 4000);
  assert.equal(e.recorder.prefixQueries, 8200);
});

test('a full hit still recomputes the last block', () => {
  const e = new StepEngine(params());
  const x = prompt(64, 4);
  submit(e, x, 1);
  runIdle(e);
  const b = submit(e, x, 1);
  runIdle(e);
  assert.equal(b.req.cachedTokens, 48);
});

test('load raises inter-token latency', () => {
  const p = params();
  const itlAt = (batch: number) => {
    const e = new StepEngine(p);
    const traces = Array.from({ length: batch }, (_, i) => submit(e, prompt(2000, 10 + i), 40));
    runIdle(e);
    return traces.reduce((s, t) => s + meanItl(t), 0) / batch;
  };
  const one = itlAt(1);
  const many = itlAt(128);
  assert.ok(many > one * 2, `ITL at 128: ${many} ms vs at 1: ${one} ms`);
});

test('chunked prefill: a prompt above the token budget takes several steps', () => {
  const p = params({ maxNumBatchedTokens: 2048 });
  const e = new StepEngine(p);
  const t = submit(e, prompt(5000, 5), 1);
  runIdle(e);
  assert.equal(e.recorder.steps, 3);
  assert.ok(ttft(t) > prefillAloneMs(p, 5000));
});

test('max_num_seqs bounds the batch; the rest wait FCFS', () => {
  const e = new StepEngine(params({ maxNumSeqs: 4 }));
  const ts = Array.from({ length: 10 }, (_, i) => submit(e, prompt(100, 20 + i), 20));
  e.advanceTo(e.nextEventAt()!);
  assert.deepEqual([e.load().running, e.load().waiting], [4, 6]);
  runIdle(e);
  for (let i = 1; i < ts.length; i++) assert.ok(ts[i]!.times[0]! >= ts[i - 1]!.times[0]!);
  assert.ok(ts.every((t) => t.times.length === 20));
});

test('a full KV cache preempts the newest request, which later resumes and finishes', () => {
  const e = new StepEngine(params({ kvCapacityTokens: 16 * 40 }));
  // Each needs 10 blocks of prompt and grows by ~8 more: three cannot all fit at their full length.
  const ts = Array.from({ length: 3 }, (_, i) => submit(e, prompt(160, 30 + i), 120));
  runIdle(e);
  assert.ok(e.recorder.preemptions > 0);
  assert.ok(ts.every((t) => t.times.length === 120 && t.finish === 'length'));
  assert.equal(e.load().kvTokens, 0);
});

test('cancel frees the blocks at once and stops the tokens', () => {
  const e = new StepEngine(params());
  const t = submit(e, prompt(500, 6), 1000);
  for (let i = 0; i < 5; i++) e.advanceTo(e.nextEventAt()!);
  assert.ok(e.load().kvTokens > 0);
  const seen = t.times.length;
  e.cancel(t.req);
  assert.equal(e.load().kvTokens, 0);
  assert.equal(e.load().running, 0);
  runIdle(e);
  assert.equal(t.times.length, seen);
  assert.equal(e.recorder.finished.abort, 1);
});

test('overlong prompts are refused at submit', () => {
  const e = new StepEngine(params({ maxModelLen: 1000 }));
  assert.throws(() => submit(e, prompt(990), 20), RangeError);
});

test('noise is seeded and mean-preserving', () => {
  const run = (seed: number) => {
    let s = seed;
    const e = new StepEngine(params({ noiseSigma: 0.1 }), {
      random: () => {
        s = (s * 16807) % 2147483647;
        return s / 2147483647;
      },
    });
    const t = submit(e, prompt(200, 7), 400);
    runIdle(e);
    return meanItl(t);
  };
  assert.equal(run(42), run(42));
  const exact = decodeItlMs(params(), 1, 400);
  assert.ok(Math.abs(run(42) / exact - 1) < 0.03);
});

test('fixed profile: exact TTFT and ITL regardless of load', () => {
  const e = new FixedEngine({ kind: 'fixed', name: 'fixed', ttftMs: 50, itlMs: 5, maxModelLen: 4096 });
  const ts = Array.from({ length: 50 }, (_, i) => submit(e, prompt(100, i), 10, i));
  runIdle(e);
  for (const [i, t] of ts.entries()) {
    assert.equal(t.times[0], i + 50);
    assert.equal(t.times[9], i + 50 + 45);
  }
});

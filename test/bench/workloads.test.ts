import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderText } from '../../src/bench/pseudo-text.js';
import type { Workload } from '../../src/bench/workload.js';
import { chatSessions } from '../../src/bench/workloads/chat-sessions.js';
import { buildWorkload, workloadSpecSchema } from '../../src/bench/workloads/index.js';
import { sharedDocs } from '../../src/bench/workloads/shared-docs.js';
import { shareGpt } from '../../src/bench/workloads/sharegpt.js';

const fingerprint = (w: Workload) =>
  JSON.stringify(
    w.requests.map((r) => [r.atMs, r.inputTokens, r.outputTokens, r.messages.map((m) => m.content.blocks)]),
  );

test('every generator is deterministic per seed and differs across seeds', () => {
  const gens: ((seed: number) => Workload)[] = [
    (seed) => chatSessions({ seed, requests: 200 }),
    (seed) => sharedDocs({ seed, requests: 200 }),
    (seed) => shareGpt({ seed, requests: 200 }),
  ];
  for (const g of gens) {
    assert.equal(fingerprint(g(7)), fingerprint(g(7)));
    assert.notEqual(fingerprint(g(7)), fingerprint(g(8)));
    const w = g(7);
    assert.equal(w.requests.length, 200);
    w.requests.forEach((r, k) => {
      assert.equal(r.index, k);
      if (k > 0) assert.ok(r.atMs >= w.requests[k - 1]!.atMs);
      assert.equal(
        r.inputTokens,
        r.messages.reduce((s, m) => s + m.content.tokens, 0),
      );
    });
  }
});

test('chat sessions: shared system prompt, and each turn extends the previous turn exactly', () => {
  const w = chatSessions({ seed: 2, requests: 300, systemTokens: 1000 });
  const systems = new Set(w.requests.map((r) => renderText(r.messages[0]!.content)));
  assert.equal(systems.size, 1);
  const bySession = new Map<string, typeof w.requests>();
  for (const r of w.requests) bySession.set(r.session!, [...(bySession.get(r.session!) ?? []), r]);
  let multi = 0;
  for (const turns of bySession.values()) {
    for (let t = 1; t < turns.length; t++) {
      const prev = turns[t - 1]!.messages;
      const cur = turns[t]!.messages;
      assert.equal(cur.length, prev.length + 2);
      assert.deepEqual(cur.slice(0, prev.length), prev);
      assert.equal(cur[prev.length]!.role, 'assistant');
      assert.equal(cur[prev.length]!.content.tokens, turns[t - 1]!.outputTokens);
      multi++;
    }
  }
  assert.ok(multi > 100, `only ${multi} follow-up turns`);
  // After the ramp-up (sessions accumulating) the rate is about 4 req/s by default.
  const half = w.requests.slice(150);
  const rate = (half.length - 1) / ((half.at(-1)!.atMs - half[0]!.atMs) / 1000);
  assert.ok(rate > 2.5 && rate < 6, `rate ${rate}`);
});

test('shared docs: requests on a document share its blocks; questions share nothing', () => {
  const w = sharedDocs({ seed: 1, requests: 200, documents: 4, documentTokens: 1024 });
  const byDoc = new Map<string, string[]>();
  for (const r of w.requests) {
    const blocks = r.messages[1]!.content.blocks;
    byDoc.set(r.session!, [...(byDoc.get(r.session!) ?? []), JSON.stringify(blocks.slice(0, 2))]);
  }
  assert.ok(byDoc.size >= 2 && byDoc.size <= 4);
  for (const heads of byDoc.values()) assert.equal(new Set(heads).size, 1);
  const tails = w.requests.map((r) => r.messages[1]!.content.blocks[2]);
  assert.equal(new Set(tails).size, tails.length);
});

test('sharegpt: no two requests share a block', () => {
  const w = shareGpt({ seed: 1, requests: 300 });
  const all = w.requests.flatMap((r) => r.messages[0]!.content.blocks);
  assert.equal(new Set(all).size, all.length);
});

test('workload specs: mix and strict validation', async () => {
  const spec = workloadSpecSchema.parse({
    synthetic: 'mix',
    seed: 3,
    requests: 100,
    rate: 10,
    components: [
      { weight: 3, workload: { synthetic: 'sharegpt' } },
      { weight: 1, workload: { synthetic: 'shared-docs', documents: 2 } },
    ],
  });
  const w = await buildWorkload(spec);
  assert.equal(w.requests.length, 100);
  assert.equal(w.requests.filter((r) => r.messages.length === 2).length, 25);
  assert.equal(fingerprint(w), fingerprint(await buildWorkload(spec)));
  assert.equal(workloadSpecSchema.safeParse({ synthetic: 'sharegpt', reqests: 5 }).success, false);
  await assert.rejects(
    buildWorkload({ trace: '/nonexistent/x.csv' }),
    /cannot read trace \/nonexistent\/x\.csv/,
  );
});

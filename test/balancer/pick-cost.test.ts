/**
 * Hot-path guard: pick runs once per request attempt, so it must stay in the sub-microsecond range. The
 * measured ns/pick is printed as a diagnostic; the assertion is deliberately loose (this machine is shared
 * and CI machines vary) and only catches order-of-magnitude regressions such as rebuilding a ring or
 * sorting candidates on every pick.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { strategyDefinitions } from '../../src/balancer/registry.js';
import { randomInt, seededRandom } from '../../src/core/prng.js';
import { endpoints, routeRequest } from '../support/endpoints.js';

const CANDIDATES = 10;
const PICKS = 200_000;
const LIMIT_NS = 20_000;

describe('pick cost', () => {
  const rnd = seededRandom(3);
  const requests = Array.from({ length: 1024 }, (_, i) =>
    routeRequest({
      id: `r${i}`,
      clientIp: `${randomInt(rnd, 224)}.${randomInt(rnd, 256)}.${randomInt(rnd, 256)}.${randomInt(rnd, 256)}`,
    }),
  );
  const all = endpoints(CANDIDATES, {
    weights: [1, 2, 3, 1, 1, 2, 1, 1, 4, 1],
    inflight: [1, 3, 2, 0, 5, 2, 1, 1, 4, 0],
  });

  for (const def of strategyDefinitions()) {
    it(`${def.name}: under ${LIMIT_NS / 1000} µs per pick with ${CANDIDATES} candidates`, (t) => {
      const s = def.create({}, { random: seededRandom(1), now: () => 0 });
      s.rebuild?.(all);
      let picked = 0;
      for (let i = 0; i < PICKS / 4; i++) if (s.pick(all, requests[i & 1023]!)) picked++; // warm-up (JIT)
      const start = process.hrtime.bigint();
      for (let i = 0; i < PICKS; i++) if (s.pick(all, requests[i & 1023]!)) picked++;
      const ns = Number(process.hrtime.bigint() - start) / PICKS;
      t.diagnostic(`${def.name}: ${ns.toFixed(0)} ns/pick`);
      assert.equal(picked, PICKS + PICKS / 4);
      assert.ok(ns < LIMIT_NS, `${ns.toFixed(0)} ns/pick`);
    });
  }
});

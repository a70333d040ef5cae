/**
 * The Strategy contract, run against every registered strategy: whatever the algorithm, a strategy only
 * ever returns one of its candidates (or undefined), copes with one candidate, never throws on odd inputs,
 * is reproducible for a seed, survives pool changes, and rejects unknown options at creation.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { strategyDefinitions } from '../../src/balancer/registry.js';
import type { Strategy, StrategyDefinition } from '../../src/balancer/strategy.js';
import { type Random, randomInt, seededRandom } from '../../src/core/prng.js';
import type { Endpoint } from '../../src/pool/endpoint.js';
import { endpoint, endpoints, routeRequest } from '../support/endpoints.js';

function make(def: StrategyDefinition, seed = 1): Strategy {
  return def.create({}, { random: seededRandom(seed), now: () => 0 });
}

/** A random non-empty subset of `all`, in pool order. */
function subset(all: readonly Endpoint[], rnd: Random): Endpoint[] {
  const picked = all.filter(() => rnd() < 0.6);
  return picked.length > 0 ? picked : [all[randomInt(rnd, all.length)]!];
}

/** Drives a strategy through a seeded workload the way the router does; returns the picked names. */
function drive(strategy: Strategy, all: readonly Endpoint[], steps: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  strategy.rebuild?.(all);
  const out: string[] = [];
  for (let i = 0; i < steps; i++) {
    for (const e of all) e.state.inflight = randomInt(rnd, 4);
    const candidates = subset(all, rnd);
    const request = routeRequest({
      id: `r${i}`,
      clientIp: `10.0.${randomInt(rnd, 256)}.${randomInt(rnd, 256)}`,
    });
    const chosen = strategy.pick(candidates, request);
    if (chosen) {
      strategy.onStart?.(chosen, request);
      strategy.onResult?.(chosen, request, {
        ok: rnd() < 0.9,
        durationMs: 100 + randomInt(rnd, 900),
        ttfbMs: 50,
      });
    }
    out.push(chosen?.name ?? '-');
  }
  return out;
}

for (const def of strategyDefinitions()) {
  describe(`strategy contract: ${def.name}`, () => {
    it('is registered under its file name and describes itself', () => {
      const file = new URL(`../../src/balancer/strategies/${def.name}.ts`, import.meta.url);
      assert.ok(existsSync(file), `expected src/balancer/strategies/${def.name}.ts`);
      assert.equal(make(def).name, def.name);
      assert.ok(def.summary.length > 10);
    });

    it('only ever returns one of the candidates', () => {
      const all = endpoints(6, { weights: [1, 2, 3, 1, 5, 1] });
      const strategy = make(def);
      strategy.rebuild?.(all);
      const rnd = seededRandom(7);
      for (let i = 0; i < 3000; i++) {
        for (const e of all) e.state.inflight = randomInt(rnd, 5);
        const candidates = subset(all, rnd);
        const chosen = strategy.pick(
          candidates,
          routeRequest({ id: `r${i}`, clientIp: `192.0.2.${i % 256}` }),
        );
        assert.ok(
          chosen === undefined || candidates.includes(chosen),
          `picked ${chosen?.name} outside candidates`,
        );
      }
    });

    it('returns the only candidate when there is one', () => {
      const all = endpoints(4);
      const strategy = make(def);
      strategy.rebuild?.(all);
      for (const only of all) {
        for (let i = 0; i < 20; i++) {
          const chosen = strategy.pick([only], routeRequest({ clientIp: `198.51.100.${i}` }));
          assert.ok(chosen === undefined || chosen === only);
        }
      }
    });

    it('never throws on unusual inputs', () => {
      const odd = [
        endpoint('zero-weight', { weight: 0 }),
        endpoint('huge-weight', { weight: 1e9 }),
        endpoint('nan-weight', { weight: Number.NaN }),
        endpoint('busy', { inflight: 1e6 }),
      ];
      const strategy = make(def);
      // Before any rebuild, with an empty rebuild, and with candidates the ring/table has never seen.
      for (const clientIp of ['', '::1', '2001:db8::42', 'not-an-ip', 'é🌵']) {
        assert.doesNotThrow(() => strategy.pick(odd, routeRequest({ clientIp })));
      }
      strategy.rebuild?.([]);
      assert.doesNotThrow(() => strategy.pick(odd, routeRequest()));
      strategy.rebuild?.(odd.slice(0, 2));
      for (let i = 0; i < 50; i++) {
        const chosen = strategy.pick(odd, routeRequest({ clientIp: `10.1.1.${i}` }));
        assert.ok(chosen === undefined || odd.includes(chosen));
      }
    });

    it('is deterministic for a given seed', () => {
      const a = drive(make(def, 42), endpoints(5, { weights: [1, 2, 1, 3, 1] }), 500, 9);
      const b = drive(make(def, 42), endpoints(5, { weights: [1, 2, 1, 3, 1] }), 500, 9);
      assert.deepEqual(a, b);
    });

    it('survives rebuilds that add and remove endpoints', () => {
      const strategy = make(def);
      const first = endpoints(['a', 'b', 'c']);
      strategy.rebuild?.(first);
      for (let i = 0; i < 50; i++) strategy.pick(first, routeRequest({ clientIp: `10.2.0.${i}` }));

      // b leaves, d arrives.
      const second = [first[0]!, first[2]!, endpoint('d')];
      strategy.rebuild?.(second);
      const seen = new Set<string>();
      for (let i = 0; i < 2000; i++) {
        const chosen = strategy.pick(
          second,
          routeRequest({ id: `r${i}`, clientIp: `10.3.${i >> 8}.${i & 255}` }),
        );
        assert.ok(chosen && second.includes(chosen), `picked ${chosen?.name}`);
        seen.add(chosen.name);
      }
      // A newcomer is not starved (all endpoints idle here).
      assert.deepEqual([...seen].sort(), ['a', 'c', 'd']);
    });

    it('rejects an unknown option with its name', () => {
      assert.throws(
        () => def.create({ definitelyNotAnOption: 1 }, { random: seededRandom(1), now: () => 0 }),
        (err: Error) => err.message.includes(def.name) && err.message.includes('definitelyNotAnOption'),
      );
    });
  });
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ipHash } from '../../src/balancer/strategies/ip-hash.js';
import { HashRing, MAX_RING_POINTS } from '../../src/balancer/strategies/support/hash-ring.js';
import type { Strategy } from '../../src/balancer/strategy.js';
import { randomInt, seededRandom } from '../../src/core/prng.js';
import type { Endpoint } from '../../src/pool/endpoint.js';
import { endpoint, endpoints, routeRequest } from '../support/endpoints.js';
import { assertShares } from './shares.js';

const deps = { random: seededRandom(1), now: () => 0 };

function make(all?: readonly Endpoint[], options = {}): Strategy {
  const s = ipHash.create(options, deps);
  if (all) s.rebuild?.(all);
  return s;
}

/** `n` distinct-ish synthetic client addresses, IPv4 and a few IPv6, from a seed. */
function clientIps(n: number, seed = 1): string[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, (_, i) =>
    i % 10 === 9
      ? `2001:db8:${randomInt(rnd, 65536).toString(16)}::${randomInt(rnd, 65536).toString(16)}`
      : `${1 + randomInt(rnd, 223)}.${randomInt(rnd, 256)}.${randomInt(rnd, 256)}.${randomInt(rnd, 256)}`,
  );
}

/** Which endpoint each IP goes to. */
function assign(s: Strategy, candidates: readonly Endpoint[], ips: readonly string[]): string[] {
  return ips.map((clientIp) => s.pick(candidates, routeRequest({ clientIp }))!.name);
}

function shares(names: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of names) m.set(n, (m.get(n) ?? 0) + 1 / names.length);
  return m;
}

describe('ip-hash', () => {
  it('sends the same IP to the same endpoint, across instances and endpoint order', () => {
    const all = endpoints(5);
    const ips = clientIps(2000);
    const first = assign(make(all), all, ips);
    assert.deepEqual(assign(make(all), all, ips), first, 'a second instance (another replica) agrees');
    const reversed = [...all].reverse();
    assert.deepEqual(assign(make(reversed), reversed, ips), first, 'pool order does not matter');
    const s = make(all);
    for (let i = 0; i < 3; i++) assert.deepEqual(assign(s, all, ips), first, 'repeat picks are stable');
  });

  it('spreads many clients evenly over equal endpoints', (t) => {
    // Expected 1/10 each. With 160 points per endpoint a share fluctuates by ~1/√160 ≈ 8 % of itself per σ
    // (measured below); ±0.03 allows ~3σ but fails if, e.g., every client landed on a few endpoints.
    const all = endpoints(10);
    const got = shares(assign(make(all), all, clientIps(100_000)));
    t.diagnostic(`shares: ${[...got.values()].map((v) => v.toFixed(3)).join(' ')}`);
    assertShares(got, Object.fromEntries(all.map((e) => [e.name, 0.1])), 0.03);
  });

  it('spreads clients in proportion to weight', () => {
    // Weights 1, 1, 2, 4 → 1/8, 1/8, 1/4, 1/2 (ignoring weights would give 1/4 each).
    const all = endpoints(4, { weights: [1, 1, 2, 4] });
    const got = shares(assign(make(all), all, clientIps(100_000)));
    assertShares(got, { a: 0.125, b: 0.125, c: 0.25, d: 0.5 }, 0.03);
  });

  it('removing one endpoint of N moves only its own ~1/N clients', () => {
    const all = endpoints(10);
    const ips = clientIps(10_000);
    const before = assign(make(all), all, ips);
    const rest = all.filter((e) => e.name !== 'd');
    const after = assign(make(rest), rest, ips);
    let moved = 0;
    for (let i = 0; i < ips.length; i++) {
      if (before[i] === 'd') moved++;
      else assert.equal(after[i], before[i], `${ips[i]} moved from ${before[i]} to ${after[i]}`);
    }
    // Modulo hashing would move ~90 % here.
    assert.ok(Math.abs(moved / ips.length - 1 / 10) < 0.03, `moved share ${moved / ips.length}`);
  });

  it('adding one endpoint to N moves ~1/(N+1) of clients, all of them to the newcomer', () => {
    const all = endpoints(10);
    const ips = clientIps(10_000, 2);
    const before = assign(make(all), all, ips);
    const grown = [...all, endpoint('k')];
    const after = assign(make(grown), grown, ips);
    let moved = 0;
    for (let i = 0; i < ips.length; i++) {
      if (after[i] === before[i]) continue;
      moved++;
      assert.equal(after[i], 'k', `${ips[i]} moved between old endpoints`);
    }
    assert.ok(Math.abs(moved / ips.length - 1 / 11) < 0.03, `moved share ${moved / ips.length}`);
  });

  it('raising one weight moves clients only towards that endpoint', () => {
    const all = endpoints(5);
    const ips = clientIps(10_000, 3);
    const before = assign(make(all), all, ips);
    const heavier = all.map((e) => (e.name === 'c' ? e.withWeight(2) : e));
    const after = assign(make(heavier), heavier, ips);
    let gained = 0;
    for (let i = 0; i < ips.length; i++) {
      if (after[i] === before[i]) continue;
      assert.equal(after[i], 'c');
      gained++;
    }
    // c goes from 1/5 to 2/6 of the weight: it gains ~2/15 of all clients.
    assert.ok(Math.abs(gained / ips.length - 2 / 15) < 0.04, `gained ${gained / ips.length}`);
  });

  it('spills an unhealthy endpoint clients over the others, and takes them back when it recovers', () => {
    const all = endpoints(10);
    const ips = clientIps(10_000, 4);
    const s = make(all);
    const healthy = assign(s, all, ips);
    // The pool drops e from the candidates; the ring (built from all endpoints) is unchanged.
    const withoutE = all.filter((x) => x.name !== 'e');
    const during = assign(s, withoutE, ips);
    const fallbacks = new Map<string, number>();
    for (let i = 0; i < ips.length; i++) {
      if (healthy[i] !== 'e') assert.equal(during[i], healthy[i], 'clients of healthy endpoints stay');
      else fallbacks.set(during[i]!, (fallbacks.get(during[i]!) ?? 0) + 1);
    }
    // e's 160 points each fall back to their own successor, so its clients spread over many endpoints
    // rather than doubling the load of a single neighbour.
    const spilled = [...fallbacks.values()].reduce((a, b) => a + b, 0);
    assert.ok(fallbacks.size >= 7, `fallbacks: ${[...fallbacks.keys()]}`);
    assert.ok(Math.max(...fallbacks.values()) < spilled * 0.3);
    assert.deepEqual(assign(s, all, ips), healthy, 'recovery restores the original mapping');
  });

  it('gives the same answers when pick comes before any rebuild (lazy ring from candidates)', () => {
    const all = endpoints(6);
    const ips = clientIps(1000, 5);
    assert.deepEqual(assign(make(), all, ips), assign(make(all), all, ips));
  });

  it('answers candidates the ring has not seen yet, stably', () => {
    const s = make(endpoints(['a', 'b']));
    const unknown = [endpoint('x'), endpoint('y'), endpoint('z')];
    const ips = clientIps(300, 6);
    const first = assign(s, unknown, ips);
    assert.deepEqual(assign(s, unknown, ips), first);
    assert.equal(new Set(first).size, 3);
  });

  it('caps the ring size for extreme weights, keeping proportions', () => {
    const all = endpoints(4, { weights: [1000, 1000, 1000, 1000] });
    assert.ok(new HashRing(all, 160).size <= MAX_RING_POINTS);
    const got = shares(assign(make(all), all, clientIps(20_000, 7)));
    assertShares(got, { a: 0.25, b: 0.25, c: 0.25, d: 0.25 }, 0.03);
  });

  it('validates virtualNodes', () => {
    assert.equal(new HashRing(endpoints(3), 7).size, 21);
    assert.doesNotThrow(() => make(endpoints(3), { virtualNodes: 1 }));
    for (const bad of [0, 1001, 2.5, '160']) {
      assert.throws(
        () => ipHash.create({ virtualNodes: bad }, deps),
        /strategy "ip-hash": option "virtualNodes" must be an integer from 1 to 1000/,
      );
    }
  });
});

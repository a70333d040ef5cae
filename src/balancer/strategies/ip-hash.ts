/**
 * ip-hash — sticks each client to one endpoint by consistent hashing of its IP address.
 *
 * Rule: a hash ring holds `virtualNodes × weight` points per endpoint (MurmurHash3 of `name#i`); a request
 * goes to the first point clockwise from MurmurHash3(`request.clientIp`) whose endpoint is among the
 * candidates. The ring is built in `rebuild()` from *all* endpoints, not just the eligible ones, so when an
 * endpoint is unhealthy (or already tried by this request) its clients spill over to the next endpoint on
 * the ring, each client to its own fallback, and come back when it recovers; everybody else stays put.
 * Adding or removing one endpoint out of N moves only the ≈1/N of clients that it gains or loses. If `pick`
 * is called before any `rebuild`, the ring is built from the candidates it was given.
 *
 * Why 160 points per unit of weight: it is ketama's figure (memcached clients, NGINX's `hash … consistent`
 * and Pingora use the same construction). An endpoint's share fluctuates by roughly 1/√points around its
 * fair share, so 160 keeps it within about ±8 % (one standard deviation) while the ring for 10 endpoints
 * is 1 600 points: an 11-step binary search per pick and ~13 KB of typed arrays. Weights are points, so
 * weight 2 gets twice the clients; the ring is capped at 2^18 points (see support/hash-ring.ts).
 *
 * Use when: a client should keep hitting the same server, e.g. to reuse that server's prefix (KV) cache for
 * a multi-turn conversation, or for session state. Load is ignored: one very busy client stays on one
 * endpoint. Behind a proxy, configure `listen.trustedProxies` so that `clientIp` is the real client.
 * Clients with no known address (empty `clientIp`) all hash to the same point.
 *
 * Options:
 * - `virtualNodes` (integer 1–1000, default 160): ring points per unit of weight.
 */
import type { StrategyDefinition } from '../strategy.js';
import { murmur3 } from './support/hash.js';
import { HashRing } from './support/hash-ring.js';
import { checkOptionKeys, integerOption } from './support/options.js';

export const ipHash: StrategyDefinition = {
  name: 'ip-hash',
  summary: 'consistent hash of the client IP (sticky; ~1/N clients move when an endpoint comes or goes)',
  create(options) {
    checkOptionKeys('ip-hash', options, ['virtualNodes']);
    const virtualNodes = integerOption('ip-hash', options, 'virtualNodes', 160, 1, 1000);
    let ring: HashRing | undefined;
    return {
      name: 'ip-hash',
      pick(candidates, request) {
        if (candidates.length === 1) return candidates[0];
        ring ??= new HashRing(candidates, virtualNodes);
        const hash = murmur3(request.clientIp);
        // Candidates unknown to the ring (a pool change not yet rebuilt) still get a stable answer.
        return ring.lookup(hash, candidates) ?? candidates[hash % candidates.length];
      },
      rebuild(endpoints) {
        ring = new HashRing(endpoints, virtualNodes);
      },
    };
  },
};

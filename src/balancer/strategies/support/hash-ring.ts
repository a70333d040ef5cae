/**
 * A consistent-hash ring over endpoints (Karger et al.; the ketama construction without its weight
 * rescaling). Each endpoint owns `round(pointsPerWeight × weight)` points, the MurmurHash3 of `name#i` for
 * i = 0, 1, …; a key is served by the owner of the first point at or after the key's hash, wrapping round.
 *
 * An endpoint's points depend only on its own name and weight, never on the rest of the set. That gives the
 * minimal-disruption property exactly: adding, removing or re-weighting one endpoint moves only keys to or
 * from that endpoint, and the ring is the same whatever order endpoints are listed in (so every Fulcrum
 * replica maps a client to the same endpoint). Ketama instead spreads ~160 points per server *on average*
 * scaled by weight share, which keeps the ring small but moves every server's points whenever total weight
 * changes.
 *
 * The ring is immutable once built; `lookup` uses per-call scratch arrays owned by the ring, so a lookup
 * allocates nothing and costs one Map lookup per candidate plus a binary search.
 */
import type { Endpoint } from '../../../pool/endpoint.js';
import { murmur3 } from './hash.js';
import { weightOf } from './weight.js';

/**
 * Upper bound on ring points. Above it the points per unit of weight are scaled down uniformly (so extreme
 * weights cannot make a rebuild slow or the ring huge); while the cap is active, changing the total weight
 * moves slightly more than the minimal share of keys.
 */
export const MAX_RING_POINTS = 1 << 18;

/** Sort key = point × OWNER_SPACE + owner index: exact in a double since 2^32 × 2^20 < 2^53. */
const OWNER_SPACE = 1 << 20;

export class HashRing {
  /** Sorted point hashes. */
  readonly #points: Uint32Array;
  /** `#owners[j]` is the index in `#names` of the endpoint owning `#points[j]`. */
  readonly #owners: Uint32Array;
  readonly #names: readonly string[];
  readonly #indexByName: Map<string, number>;
  /** Per-lookup marks: `#mark[i] === #generation` when endpoint i is among this lookup's candidates. */
  readonly #mark: Uint32Array;
  readonly #candidateAt: (Endpoint | undefined)[];
  #generation = 0;

  /**
   * Builds the ring from `endpoints` (duplicate names after the first are ignored) with `pointsPerWeight`
   * points per unit of weight (see MAX_RING_POINTS for the cap).
   */
  constructor(endpoints: readonly Endpoint[], pointsPerWeight: number) {
    const byName = new Map<string, Endpoint>();
    for (const e of endpoints) if (!byName.has(e.name)) byName.set(e.name, e);
    // Owner indices follow name order, so equal point hashes tie-break by name whatever the input order.
    const names = [...byName.keys()].sort();
    let totalWeight = 0;
    for (const e of byName.values()) totalWeight += weightOf(e);
    const perWeight = Math.max(1e-9, Math.min(pointsPerWeight, MAX_RING_POINTS / Math.max(1, totalWeight)));
    const counts = names.map((n) => Math.max(1, Math.round(perWeight * weightOf(byName.get(n)!))));
    const total = counts.reduce((a, b) => a + b, 0);

    const keys = new Float64Array(total);
    let k = 0;
    for (let owner = 0; owner < names.length; owner++) {
      const name = names[owner]!;
      for (let i = 0; i < counts[owner]!; i++) keys[k++] = murmur3(`${name}#${i}`) * OWNER_SPACE + owner;
    }
    keys.sort();
    this.#points = new Uint32Array(total);
    this.#owners = new Uint32Array(total);
    for (let j = 0; j < total; j++) {
      const key = keys[j]!;
      this.#owners[j] = key % OWNER_SPACE;
      this.#points[j] = (key - this.#owners[j]!) / OWNER_SPACE;
    }
    this.#names = names;
    this.#indexByName = new Map(names.map((n, i) => [n, i]));
    this.#mark = new Uint32Array(names.length);
    this.#candidateAt = new Array<Endpoint | undefined>(names.length).fill(undefined);
  }

  /** Number of points on the ring. */
  get size(): number {
    return this.#points.length;
  }

  /** Whether `name` owns points on this ring. */
  has(name: string): boolean {
    return this.#indexByName.has(name);
  }

  /** Name of the endpoint owning the first point at or after `hash` (no candidate filtering). */
  ownerOf(hash: number): string | undefined {
    if (this.#points.length === 0) return undefined;
    return this.#names[this.#owners[this.#firstAtOrAfter(hash)]!];
  }

  /**
   * Walks clockwise from `hash` and returns the first candidate met (the candidate object itself, which may be
   * a newer snapshot's Endpoint than the one the ring was built from). `undefined` when no candidate is on the
   * ring.
   */
  lookup(hash: number, candidates: readonly Endpoint[]): Endpoint | undefined {
    const generation = this.#nextGeneration();
    let known = 0;
    for (const c of candidates) {
      const index = this.#indexByName.get(c.name);
      if (index === undefined) continue;
      this.#mark[index] = generation;
      this.#candidateAt[index] = c;
      known++;
    }
    if (known === 0) return undefined;
    const n = this.#points.length;
    let j = this.#firstAtOrAfter(hash);
    // Terminates within one turn: at least one marked endpoint owns at least one point.
    for (let step = 0; step < n; step++) {
      const owner = this.#owners[j]!;
      if (this.#mark[owner] === generation) return this.#candidateAt[owner];
      j = j + 1 === n ? 0 : j + 1;
    }
    return undefined;
  }

  /** Index of the first point ≥ hash, wrapping to 0 past the last point. */
  #firstAtOrAfter(hash: number): number {
    const points = this.#points;
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === points.length ? 0 : lo;
  }

  #nextGeneration(): number {
    if (this.#generation === 0xffffffff) {
      this.#mark.fill(0);
      this.#generation = 0;
    }
    return ++this.#generation;
  }
}

/**
 * The paged KV cache of sim-model.md §4, after vLLM's prefix caching: fixed-size blocks with reference counts,
 * a map from chained prefix hash to block, and one free queue holding both empty blocks and cached-free ones
 * (ref = 0 but still hashed, so still reusable). Allocation takes from the head of the free queue and evicts
 * whatever hash that block carried; released blocks go to the tail in reverse order, which gives LRU with the
 * tail of a long prefix evicted before its shared head. Running requests and reusable prefixes share the pool.
 *
 * Everything is typed arrays and one Map, so a 27k-block cache costs a few hundred KiB and O(1) per block.
 */

const NONE = -1;

/** Chained 53-bit prefix hash of one block: covers the parent block's hash and this block's token ids. */
export function chainHash(parent: number, tokens: ArrayLike<number>, start: number, end: number): number {
  // Two independent 32-bit FNV-1a style lanes combined, so collisions across a million blocks are negligible.
  let h1 = (0x811c9dc5 ^ (parent % 4294967296)) >>> 0;
  let h2 = (0x01000193 ^ Math.floor(parent / 4294967296)) >>> 0;
  for (let i = start; i < end; i++) {
    const t = tokens[i]! >>> 0;
    h1 = Math.imul(h1 ^ t, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ ((t * 0x9e3779b1) >>> 0), 0x85ebca6b) >>> 0;
    h2 ^= h2 >>> 13;
  }
  return (h1 >>> 0) * 2097152 + (h2 >>> 11);
}

/** Counts returned by `KvCache.snapshot()`. */
export interface KvSnapshot {
  /** Total blocks. */
  blocks: number;
  /** Blocks with ref > 0 (held by running requests). */
  used: number;
  /** Blocks with ref = 0 that still hold a reusable prefix. */
  cachedFree: number;
  /** Fraction of blocks in use, 0–1 (vLLM's `kv_cache_usage_perc`). */
  usage: number;
}

/** A block pool with prefix hashes, reference counts and an LRU free queue. */
export class KvCache {
  readonly numBlocks: number;
  private readonly ref: Int32Array;
  private readonly hashOf: Float64Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly byHash = new Map<number, number>();
  private head = NONE;
  private tail = NONE;
  private free = 0;
  private used = 0;

  constructor(numBlocks: number) {
    this.numBlocks = numBlocks;
    this.ref = new Int32Array(numBlocks);
    this.hashOf = new Float64Array(numBlocks).fill(Number.NaN);
    this.prev = new Int32Array(numBlocks).fill(NONE);
    this.next = new Int32Array(numBlocks).fill(NONE);
    for (let b = 0; b < numBlocks; b++) this.pushTail(b);
  }

  /** Blocks that can be handed out now (empty or cached-free). */
  get freeBlocks(): number {
    return this.free;
  }

  /** Blocks with ref > 0. */
  get usedBlocks(): number {
    return this.used;
  }

  /** Counts for metrics. */
  snapshot(): KvSnapshot {
    return {
      blocks: this.numBlocks,
      used: this.used,
      cachedFree: this.byHash.size - this.hashedInUse(),
      usage: this.used / this.numBlocks,
    };
  }

  private hashedInUse(): number {
    let n = 0;
    for (const b of this.byHash.values()) if (this.ref[b]! > 0) n++;
    return n;
  }

  /**
   * The blocks holding the longest run of leading hashes present in the cache, at most `limit` of them.
   * A request's prefix hit is exactly these blocks.
   */
  match(hashes: readonly number[], limit: number): number[] {
    const out: number[] = [];
    const n = Math.min(limit, hashes.length);
    for (let i = 0; i < n; i++) {
      const b = this.byHash.get(hashes[i]!);
      if (b === undefined) break;
      out.push(b);
    }
    return out;
  }

  /** Whether `reuse` (matched blocks) plus `fresh` new blocks can be acquired together. */
  canAcquire(reuse: readonly number[], fresh: number): boolean {
    let freeAmongReuse = 0;
    for (const b of reuse) if (this.ref[b] === 0) freeAmongReuse++;
    return this.free - freeAmongReuse >= fresh;
  }

  /** Takes a reference on matched blocks (a cached-free block leaves the free queue). */
  retain(blocks: readonly number[]): void {
    for (const b of blocks) {
      if (this.ref[b] === 0) {
        this.unlink(b);
        this.used++;
      }
      this.ref[b]!++;
    }
  }

  /**
   * Allocates `n` blocks from the head of the free queue, evicting the prefixes they cached; undefined (and
   * nothing allocated) when fewer than `n` are free.
   */
  allocate(n: number): number[] | undefined {
    if (n > this.free) return undefined;
    const out: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const b = this.head;
      this.unlink(b);
      const h = this.hashOf[b]!;
      if (!Number.isNaN(h)) {
        if (this.byHash.get(h) === b) this.byHash.delete(h);
        this.hashOf[b] = Number.NaN;
      }
      this.ref[b] = 1;
      this.used++;
      out[i] = b;
    }
    return out;
  }

  /**
   * Records that a full block now holds the prefix `hash`, so later requests can reuse it. A hash already
   * cached in another block is left pointing there (the duplicate block just isn't shared), as in vLLM.
   */
  register(block: number, hash: number): void {
    if (!Number.isNaN(this.hashOf[block]!) || this.byHash.has(hash)) return;
    this.hashOf[block] = hash;
    this.byHash.set(hash, block);
  }

  /**
   * Drops one reference on each block, last block first. Blocks reaching ref 0 stay cached and join the tail of
   * the free queue; unhashed ones go to the head, since nothing is lost by reusing them first.
   */
  release(blocks: readonly number[]): void {
    for (let i = blocks.length - 1; i >= 0; i--) {
      const b = blocks[i]!;
      if (--this.ref[b]! > 0) continue;
      this.used--;
      if (Number.isNaN(this.hashOf[b]!)) this.pushHead(b);
      else this.pushTail(b);
    }
  }

  private unlink(b: number): void {
    const p = this.prev[b]!;
    const n = this.next[b]!;
    if (p === NONE) this.head = n;
    else this.next[p] = n;
    if (n === NONE) this.tail = p;
    else this.prev[n] = p;
    this.prev[b] = NONE;
    this.next[b] = NONE;
    this.free--;
  }

  private pushTail(b: number): void {
    this.prev[b] = this.tail;
    this.next[b] = NONE;
    if (this.tail === NONE) this.head = b;
    else this.next[this.tail] = b;
    this.tail = b;
    this.free++;
  }

  private pushHead(b: number): void {
    this.next[b] = this.head;
    this.prev[b] = NONE;
    if (this.head === NONE) this.tail = b;
    else this.prev[this.head] = b;
    this.head = b;
    this.free++;
  }
}

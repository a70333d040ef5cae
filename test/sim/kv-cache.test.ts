// Issue 3: the KV block pool — prefix matching, reference counts, LRU eviction order (sim-model §4).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chainHash, KvCache } from '../../src/sim/kv-cache.js';

/** Chained hashes of `blocks` blocks of 16 tokens from `tokens`. */
function hashes(tokens: number[], blocks: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < blocks; i++)
    out.push(chainHash(i === 0 ? 0 : out[i - 1]!, tokens, i * 16, (i + 1) * 16));
  return out;
}

const seq = (n: number, salt: number) => Array.from({ length: n }, (_, i) => i + salt * 1000);

test('chained hashes: a block’s hash depends on everything before it', () => {
  const a = hashes(seq(64, 1), 4);
  const b = hashes([...seq(16, 1), ...seq(48, 2)], 4);
  assert.equal(a[0], b[0]);
  assert.notEqual(a[1], b[1]);
  const c = hashes([99, ...seq(63, 1)], 4);
  // Same tokens in block 2..3 positions but a different first block: nothing matches.
  assert.ok(a.every((h, i) => h !== c[i]));
});

/** Allocates and registers a "request" of `n` blocks; returns its blocks. */
function put(kv: KvCache, hs: number[]): number[] {
  const hit = kv.match(hs, hs.length);
  assert.ok(kv.canAcquire(hit, hs.length - hit.length));
  kv.retain(hit);
  const fresh = kv.allocate(hs.length - hit.length)!;
  const blocks = [...hit, ...fresh];
  for (const [i, b] of blocks.entries()) kv.register(b, hs[i]!);
  return blocks;
}

test('matching returns the leading run only, and retained blocks are shared by reference', () => {
  const kv = new KvCache(16);
  const h = hashes(seq(64, 1), 4);
  const a = put(kv, h);
  assert.equal(kv.usedBlocks, 4);
  const other = [h[0]!, h[1]!, 12345, h[3]!];
  assert.deepEqual(kv.match(other, 4), a.slice(0, 2));
  const b = put(kv, h);
  assert.deepEqual(b, a);
  assert.equal(kv.usedBlocks, 4);
  kv.release(a);
  assert.equal(kv.usedBlocks, 4); // still held by b
  kv.release(b);
  assert.equal(kv.usedBlocks, 0);
  assert.equal(kv.snapshot().cachedFree, 4);
  assert.deepEqual(kv.match(h, 4), a); // released blocks stay reusable
});

test('eviction: least recently released first, and the tail of a prefix before its head', () => {
  const kv = new KvCache(8);
  const old = hashes(seq(64, 1), 4);
  const recent = hashes(seq(64, 2), 4);
  const a = put(kv, old);
  const b = put(kv, recent);
  kv.release(a);
  kv.release(b);
  assert.equal(kv.freeBlocks, 8);
  // Two new blocks evict the two oldest entries of the free queue: the last two blocks of `old`.
  const fresh = kv.allocate(2)!;
  assert.deepEqual(new Set(fresh), new Set([a[3], a[2]]));
  assert.equal(kv.match(old, 4).length, 2); // its head survives
  assert.equal(kv.match(recent, 4).length, 4);
});

test('unhashed (partial) blocks are reused before any cached prefix is evicted', () => {
  const kv = new KvCache(4);
  const h = hashes(seq(32, 3), 2);
  const cached = put(kv, h);
  const partial = kv.allocate(1)!;
  kv.release(cached);
  kv.release(partial);
  assert.deepEqual(kv.allocate(1), partial);
  assert.equal(kv.match(h, 2).length, 2);
});

test('allocation fails cleanly when the pool is exhausted; matched free blocks count against it', () => {
  const kv = new KvCache(4);
  const h = hashes(seq(64, 4), 4);
  const a = put(kv, h);
  assert.equal(kv.allocate(1), undefined);
  kv.release(a);
  const hit = kv.match(h, 2);
  assert.equal(kv.canAcquire(hit, 2), true);
  assert.equal(kv.canAcquire(hit, 3), false);
});

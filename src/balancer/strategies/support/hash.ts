/**
 * MurmurHash3 (x86, 32-bit) of a string's UTF-8 bytes: the hash behind consistent hashing. Chosen over
 * FNV-1a because its final avalanche mixes short, similar keys (IP addresses, `name#17`-style ring labels)
 * into well-spread values, so ring points do not cluster; and over a crypto hash because it runs on the
 * hot path (one call per ip-hash pick) and needs no dependency. Not for anything security-related.
 */

const encoder = new TextEncoder();
/** Reused UTF-8 buffer so hashing a string allocates nothing once it has grown to fit. */
let scratch = new Uint8Array(256);

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** MurmurHash3_x86_32 of `key` encoded as UTF-8, as an unsigned 32-bit integer. `seed` defaults to 0. */
export function murmur3(key: string, seed = 0): number {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit (4 per surrogate pair = 2 units).
  const need = key.length * 3;
  if (need > scratch.length) scratch = new Uint8Array(Math.max(need, scratch.length * 2));
  // ASCII fast path (IP addresses, ring labels): the code units are the UTF-8 bytes; copying them directly
  // is several times cheaper than TextEncoder for short strings.
  const n = key.length;
  let i = 0;
  for (; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x80) break;
    scratch[i] = c;
  }
  if (i === n) return murmur3Bytes(scratch, n, seed);
  const { written } = encoder.encodeInto(key, scratch);
  return murmur3Bytes(scratch, written, seed);
}

/** MurmurHash3_x86_32 of the first `length` bytes of `data`. */
export function murmur3Bytes(data: Uint8Array, length: number, seed = 0): number {
  let h = seed >>> 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= data[blocks + 2]! << 16;
    if (tail >= 2) k ^= data[blocks + 1]! << 8;
    k ^= data[blocks]!;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

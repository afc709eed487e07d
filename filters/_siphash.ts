// SipHash-2-4 (Aumasson and Bernstein), the keyed hash BIP 158 maps filter elements with.
//
// Written here rather than taken from npm: the npm packages (`siphash`, `@posthog/siphash`,
// `siphash24`) allocate per call (an object per 64-bit word and per round, or a copy into
// WebAssembly memory) and were 3 to 6 times slower on the filter hot path in
// `bench/filters_bench.ts` (see the README's figures). This one keeps the four 64-bit state
// words as eight int32 locals, allocates nothing, and leaves its result in two module-level
// int32s that the caller reads at once (`sipHi`, `sipLo`), so no object is made per hash.

/** A SipHash key as four int32 words: k0 low, k0 high, k1 low, k1 high. */
export type SipKey = Int32Array;

/**
 * The key in the form `sipHash24Halves` takes.
 *
 * @param key 16 bytes: k0 and k1, each little-endian (BIP 158: the first 16 bytes of the block
 *   hash in wire order).
 * @returns The four words.
 */
export function sipKey(key: Uint8Array): SipKey {
  if (key.length < 16) {
    throw new RangeError(`Cannot make a SipHash key: ${key.length} bytes, at least 16 needed`);
  }
  const k = new Int32Array(4);
  for (let i = 0; i < 4; i++) {
    const o = i * 4;
    k[i] = key[o] | (key[o + 1] << 8) | (key[o + 2] << 16) | (key[o + 3] << 24);
  }
  return k;
}

/** High 32 bits of the last `sipHash24Halves` result (int32; `>>> 0` for unsigned). */
export let sipHi = 0;
/** Low 32 bits of the last `sipHash24Halves` result (int32; `>>> 0` for unsigned). */
export let sipLo = 0;

/**
 * SipHash-2-4 of `data[start, end)`, left in `sipHi`/`sipLo`.
 *
 * @param k The key, from `sipKey`.
 * @param data The input.
 * @param start First byte.
 * @param end One past the last byte.
 */
export function sipHash24Halves(k: SipKey, data: Uint8Array, start: number, end: number): void {
  // v0..v3 as (high, low) int32 pairs; "somepseudorandomlygeneratedbytes".
  let v0h = k[1] ^ 0x736f6d65, v0l = k[0] ^ 0x70736575;
  let v1h = k[3] ^ 0x646f7261, v1l = k[2] ^ 0x6e646f6d;
  let v2h = k[1] ^ 0x6c796765, v2l = k[0] ^ 0x6e657261;
  let v3h = k[3] ^ 0x74656462, v3l = k[2] ^ 0x79746573;
  const length = end - start;
  const blocksEnd = start + (length & ~7);
  // `t` is the low word of a sum; the carry out of `a + b` is the top bit of
  // (a & b) | ((a | b) & ~sum), which keeps the additions in int32 (a comparison of the
  // unsigned words made V8 use doubles and ran twice as slow).
  let t = 0, mh = 0, ml = 0;
  for (let p = start;; p += 8) {
    if (p < blocksEnd) {
      ml = data[p] | (data[p + 1] << 8) | (data[p + 2] << 16) | (data[p + 3] << 24);
      mh = data[p + 4] | (data[p + 5] << 8) | (data[p + 6] << 16) | (data[p + 7] << 24);
    } else {
      // The last block: the remaining 0..7 bytes, then the length's low byte at the top.
      ml = 0;
      mh = (length & 0xff) << 24;
      for (let i = end - p - 1; i >= 4; i--) mh |= data[p + i] << ((i - 4) * 8);
      for (let i = Math.min(end - p, 4) - 1; i >= 0; i--) ml |= data[p + i] << (i * 8);
    }
    v3h ^= mh;
    v3l ^= ml;
    // Two SipRounds (c = 2).
    for (let r = 0; r < 2; r++) {
      // v0 += v1; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
      t = (v0l + v1l) | 0;
      v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~t)) >>> 31)) | 0;
      v0l = t;
      t = (v1h << 13) | (v1l >>> 19);
      v1l = ((v1l << 13) | (v1h >>> 19)) ^ v0l;
      v1h = t ^ v0h;
      t = v0h;
      v0h = v0l;
      v0l = t;
      // v2 += v3; v3 = rotl(v3, 16) ^ v2
      t = (v2l + v3l) | 0;
      v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~t)) >>> 31)) | 0;
      v2l = t;
      t = (v3h << 16) | (v3l >>> 16);
      v3l = ((v3l << 16) | (v3h >>> 16)) ^ v2l;
      v3h = t ^ v2h;
      // v0 += v3; v3 = rotl(v3, 21) ^ v0
      t = (v0l + v3l) | 0;
      v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~t)) >>> 31)) | 0;
      v0l = t;
      t = (v3h << 21) | (v3l >>> 11);
      v3l = ((v3l << 21) | (v3h >>> 11)) ^ v0l;
      v3h = t ^ v0h;
      // v2 += v1; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
      t = (v2l + v1l) | 0;
      v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~t)) >>> 31)) | 0;
      v2l = t;
      t = (v1h << 17) | (v1l >>> 15);
      v1l = ((v1l << 17) | (v1h >>> 15)) ^ v2l;
      v1h = t ^ v2h;
      t = v2h;
      v2h = v2l;
      v2l = t;
    }
    v0h ^= mh;
    v0l ^= ml;
    if (p >= blocksEnd) break;
  }
  v2l ^= 0xff;
  // Four SipRounds (d = 4).
  for (let r = 0; r < 4; r++) {
    t = (v0l + v1l) | 0;
    v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~t)) >>> 31)) | 0;
    v0l = t;
    t = (v1h << 13) | (v1l >>> 19);
    v1l = ((v1l << 13) | (v1h >>> 19)) ^ v0l;
    v1h = t ^ v0h;
    t = v0h;
    v0h = v0l;
    v0l = t;
    t = (v2l + v3l) | 0;
    v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~t)) >>> 31)) | 0;
    v2l = t;
    t = (v3h << 16) | (v3l >>> 16);
    v3l = ((v3l << 16) | (v3h >>> 16)) ^ v2l;
    v3h = t ^ v2h;
    t = (v0l + v3l) | 0;
    v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~t)) >>> 31)) | 0;
    v0l = t;
    t = (v3h << 21) | (v3l >>> 11);
    v3l = ((v3l << 21) | (v3h >>> 11)) ^ v0l;
    v3h = t ^ v0h;
    t = (v2l + v1l) | 0;
    v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~t)) >>> 31)) | 0;
    v2l = t;
    t = (v1h << 17) | (v1l >>> 15);
    v1l = ((v1l << 17) | (v1h >>> 15)) ^ v2l;
    v1h = t ^ v2h;
    t = v2h;
    v2h = v2l;
    v2l = t;
  }
  sipHi = v0h ^ v1h ^ v2h ^ v3h;
  sipLo = v0l ^ v1l ^ v2l ^ v3l;
}

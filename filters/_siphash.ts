// SipHash-2-4 (Aumasson and Bernstein), the keyed hash BIP 158 maps filter elements with, from
// npm's `siphash24` (WebAssembly, with a JavaScript fallback where WebAssembly is missing).
//
// Chosen by measurement (`bench/filters_bench.ts`, 10,000 scripts of 22 to 34 bytes): it runs
// at 80-110 ns a hash here (best of 40 runs), 5 to 16 times the pure-JavaScript packages
// (`siphash`, `@posthog/siphash`, which allocate an object per 64-bit operation). A hand-written
// allocation-free version on int32 halves was measured too: no faster (82-93 ns a hash, best
// of 40 runs each), nor in the filter hot paths (building the 1.2 MB block's filter, matching
// 1,000 scripts), so the library is used. `tests/filters/siphash_test.ts` checks it against the
// SipHash paper's vectors and a BigInt reference.
//
// The result is left in two module-level int32s (`sipHi`, `sipLo`) that the caller reads at
// once, so no object is made per hash.
import siphash24Untyped from "siphash24";

const siphash24 = siphash24Untyped as (
  data: Uint8Array,
  key: Uint8Array,
  out: Uint8Array,
  noAssert: boolean,
) => Uint8Array;

/** A SipHash key: 16 bytes, k0 and k1 little-endian. */
export type SipKey = Uint8Array;

/**
 * The key in the form `sipHash24Halves` takes.
 *
 * @param key At least 16 bytes; the first 16 are the key (BIP 158: the block hash's first 16
 *   bytes, in wire order).
 * @returns A copy of the 16 key bytes.
 */
export function sipKey(key: Uint8Array): SipKey {
  if (key.length < 16) {
    throw new RangeError(`Cannot make a SipHash key: ${key.length} bytes, at least 16 needed`);
  }
  return key.slice(0, 16);
}

/** High 32 bits of the last `sipHash24Halves` result (int32; `>>> 0` for unsigned). */
export let sipHi = 0;
/** Low 32 bits of the last `sipHash24Halves` result (int32; `>>> 0` for unsigned). */
export let sipLo = 0;

const out = new Uint8Array(8);

/**
 * SipHash-2-4 of `data[start, end)`, left in `sipHi`/`sipLo`.
 *
 * @param k The key, from `sipKey`.
 * @param data The input.
 * @param start First byte.
 * @param end One past the last byte.
 */
export function sipHash24Halves(k: SipKey, data: Uint8Array, start: number, end: number): void {
  siphash24(start === 0 && end === data.length ? data : data.subarray(start, end), k, out, true);
  // The hash is a little-endian uint64.
  sipLo = out[0] | (out[1] << 8) | (out[2] << 16) | (out[3] << 24);
  sipHi = out[4] | (out[5] << 8) | (out[6] << 16) | (out[7] << 24);
}

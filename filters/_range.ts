// BIP 158's hash to range: an element's SipHash-2-4, a uint64, mapped into [0, F) with
// floor(hash * F / 2^64), the 64x64→128-bit multiply of Bitcoin Core's `MapIntoRange`.
//
// F = N * M stays below 2^53 (N < 2^32 as Core requires, M = 784,931 < 2^20), so the result is
// an exact JavaScript number. The product is worked in 32-bit and 16-bit limbs whose partial
// products stay below 2^53, so no BigInt is made per element; `tests/filters/range_test.ts`
// checks it against a BigInt reference.
import { sipHash24Halves, sipHi, type SipKey, sipKey, sipLo } from "./_siphash.ts";

const TWO_32 = 0x1_0000_0000;

/**
 * floor(x * f / 2^64) for x = hi * 2^32 + lo (uint64 halves) and f = fHi * 2^32 + fLo < 2^53.
 *
 * @param hi High 32 bits of x (int32 or uint32).
 * @param lo Low 32 bits of x (int32 or uint32).
 * @param fHi High bits of f, below 2^21.
 * @param fLo Low 32 bits of f (uint32).
 * @returns A number in [0, f) (0 when f is 0).
 */
export function mapIntoRange(hi: number, lo: number, fHi: number, fLo: number): number {
  const xh = hi >>> 0, xl = lo >>> 0;
  // x * f = xh*fHi * 2^64 + (xh*fLo + xl*fHi) * 2^32 + xl*fLo.
  const fLoL = fLo & 0xffff, fLoH = fLo >>> 16;
  // a = xl * fLo: only its high word carries into the 2^32 column.
  let p1 = xl * fLoL, p2 = xl * fLoH; // each < 2^48
  const aHi = Math.floor((p2 + Math.floor(p1 / 65536)) / 65536);
  // b = xh * fLo, both words.
  p1 = xh * fLoL;
  p2 = xh * fLoH;
  const bHi = Math.floor((p2 + Math.floor(p1 / 65536)) / 65536);
  const bLo = ((p2 % 65536) * 65536 + p1) % TWO_32;
  // c = xl * fHi < 2^53 (fHi < 2^21).
  const c = xl * fHi;
  const cHi = Math.floor(c / TWO_32);
  const cLo = c - cHi * TWO_32;
  return xh * fHi + bHi + cHi + Math.floor((aHi + bLo + cLo) / TWO_32);
}

/** Hashes elements into [0, F) for one filter: one key (block) and one F (N * M). */
export class RangeHasher {
  readonly #key: SipKey;
  readonly #fHi: number;
  readonly #fLo: number;

  /**
   * @param key The SipHash key: the first 16 bytes of the block hash, in wire order.
   * @param f The range, N * M; below 2^53.
   */
  constructor(key: Uint8Array, f: number) {
    if (!Number.isSafeInteger(f) || f < 0) {
      throw new RangeError(`Cannot hash to range: F = ${f} is not an integer in 0..2^53-1`);
    }
    this.#key = sipKey(key);
    this.#fHi = Math.floor(f / TWO_32);
    this.#fLo = f % TWO_32;
  }

  /**
   * The range value of `data[start, end)`.
   *
   * @param data The bytes.
   * @param start First byte (default 0).
   * @param end One past the last byte (default `data.length`).
   * @returns floor(SipHash(data) * F / 2^64).
   */
  hash(data: Uint8Array, start = 0, end: number = data.length): number {
    sipHash24Halves(this.#key, data, start, end);
    return mapIntoRange(sipHi, sipLo, this.#fHi, this.#fLo);
  }
}

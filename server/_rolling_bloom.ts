// Bitcoin Core's `CRollingBloomFilter` (`src/common/bloom.cpp`): a bloom filter that
// remembers roughly the last N keys inserted and forgets older ones by itself, in fixed
// memory. It backs discouragement (Core's `BanMan::m_discouraged`, 50,000 entries at a
// false-positive rate of one in a million).
//
// Entries are inserted in generations of N/2. Each of the filter's positions holds two bits:
// 0 (unset) or the generation (1, 2 or 3) of the last key that set it. When a new generation
// starts it takes the number of the oldest one and first clears every position holding that
// number, so between N and 1.5·N of the latest keys are remembered. The false-positive rate
// is computed for 1.5·N keys, the most the filter ever holds.
//
// The layout is Core's with 32-bit words instead of 64-bit ones: positions come in blocks of
// 32, each block two adjacent words, the low bits of the generation in the first and the high
// bits in the second. Core's hash functions too: MurmurHash3 (x86, 32-bit) seeded with
// `i * 0xFBA4C795 + tweak`, the tweak random per filter and per reset, so that a remote cannot
// choose keys that collide.

/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby's, as Bitcoin Core's `MurmurHash3`).
 *
 * @param seed The seed, a uint32.
 * @param data The bytes.
 * @returns The hash, a uint32.
 */
export function murmurHash3(seed: number, data: Uint8Array): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const n = data.length;
  const blocks = n & ~3;
  let h = seed | 0;
  let k: number;
  for (let i = 0; i < blocks; i += 4) {
    k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, c2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = n & 3;
  if (tail > 0) {
    k = data[blocks];
    if (tail > 1) k |= data[blocks + 1] << 8;
    if (tail > 2) k |= data[blocks + 2] << 16;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, c2);
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Core's seed stride between the filter's hash functions (from `CBloomFilter::Hash`). */
const SEED_STRIDE = 0xfba4c795;

function randomUint32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/**
 * A rolling bloom filter, as Bitcoin Core's `CRollingBloomFilter`: the latest `entries` keys
 * inserted (up to 1.5 times as many) are remembered; a key never inserted, or forgotten, is
 * reported present with probability at most `fpRate`.
 *
 * Memory is a fixed `Uint32Array` of {@linkcode RollingBloomFilter.byteLength} bytes: for
 * 50,000 entries at 1e-6 (discouragement) that is 20 hash functions over 2,156,646 positions
 * of two bits, 539,168 bytes (527 KiB), the same as Core's.
 *
 * @example
 * ```ts
 * import { RollingBloomFilter } from "./_rolling_bloom.ts";
 * import { assert, assertEquals } from "@std/assert";
 *
 * const filter = new RollingBloomFilter(50_000, 0.000001);
 * assertEquals(filter.byteLength, 539_168);
 * filter.insert(Uint8Array.of(1, 2, 3, 4));
 * assert(filter.contains(Uint8Array.of(1, 2, 3, 4)));
 * filter.reset();
 * assert(!filter.contains(Uint8Array.of(1, 2, 3, 4)));
 * ```
 */
export class RollingBloomFilter {
  readonly #hashFunctions: number;
  readonly #entriesPerGeneration: number;
  /** Blocks of 32 positions, two words each: low and high bits of the generation. */
  readonly #data: Uint32Array;
  #entriesThisGeneration = 0;
  #generation = 1;
  #tweak = 0;

  /**
   * Makes an empty filter.
   *
   * @param entries How many of the latest keys it must remember (at least 1).
   * @param fpRate The false-positive rate when full, between 0 and 1 exclusive.
   * @throws {RangeError} When either is out of range, or the table would exceed 2^32 bits.
   */
  constructor(entries: number, fpRate: number) {
    if (!Number.isInteger(entries) || entries < 1) {
      throw new RangeError(
        `Invalid rolling bloom filter size ${entries}: expected an integer >= 1`,
      );
    }
    if (!(fpRate > 0 && fpRate < 1)) {
      throw new RangeError(
        `Invalid rolling bloom filter false-positive rate ${fpRate}: expected 0 < rate < 1`,
      );
    }
    const logFpRate = Math.log(fpRate);
    // As Core: the optimal count, log(fpRate) / log(0.5), kept within 1..50.
    this.#hashFunctions = Math.max(1, Math.min(Math.round(logFpRate / Math.log(0.5)), 50));
    this.#entriesPerGeneration = Math.floor((entries + 1) / 2);
    const maxEntries = this.#entriesPerGeneration * 3;
    // fpRate = (1 - e^(-k·n/m))^k solved for the bit count m, with n = maxEntries.
    const bits = Math.ceil(
      (-this.#hashFunctions * maxEntries) /
        Math.log(1 - Math.exp(logFpRate / this.#hashFunctions)),
    );
    if (!(bits <= 0xffffffff)) {
      throw new RangeError(
        `Invalid rolling bloom filter: ${entries} entries at ${fpRate} need ${bits} bits, ` +
          `more than 2^32`,
      );
    }
    this.#data = new Uint32Array(Math.ceil(bits / 32) * 2);
    this.reset();
  }

  /** Hash functions per key. */
  get hashFunctions(): number {
    return this.#hashFunctions;
  }

  /** Bytes of the filter's table (its memory, but for a few fields). */
  get byteLength(): number {
    return this.#data.byteLength;
  }

  /**
   * Inserts a key; when the current generation is full, the oldest one is forgotten first.
   *
   * @param key The key's bytes.
   */
  insert(key: Uint8Array): void {
    const data = this.#data;
    if (this.#entriesThisGeneration === this.#entriesPerGeneration) {
      this.#entriesThisGeneration = 0;
      this.#generation = this.#generation === 3 ? 1 : this.#generation + 1;
      // Clear the positions that hold the generation number about to be reused.
      const mask1 = -(this.#generation & 1);
      const mask2 = -(this.#generation >> 1);
      for (let p = 0; p < data.length; p += 2) {
        const p1 = data[p];
        const p2 = data[p + 1];
        const keep = (p1 ^ mask1) | (p2 ^ mask2);
        data[p] = p1 & keep;
        data[p + 1] = p2 & keep;
      }
    }
    this.#entriesThisGeneration++;
    const low = this.#generation & 1;
    const high = this.#generation >> 1;
    for (let n = 0; n < this.#hashFunctions; n++) {
      const h = this.#hash(n, key);
      const bit = h & 31;
      const pos = this.#position(h);
      data[pos] = (data[pos] & ~(1 << bit)) | (low << bit);
      data[pos + 1] = (data[pos + 1] & ~(1 << bit)) | (high << bit);
    }
  }

  /**
   * Whether the key may have been inserted among the latest ones.
   *
   * @param key The key's bytes.
   * @returns False when it surely was not (or was forgotten); true when it was, or, with
   * probability up to the false-positive rate, when it was not.
   */
  contains(key: Uint8Array): boolean {
    const data = this.#data;
    for (let n = 0; n < this.#hashFunctions; n++) {
      const h = this.#hash(n, key);
      const pos = this.#position(h);
      if ((((data[pos] | data[pos + 1]) >>> (h & 31)) & 1) === 0) return false;
    }
    return true;
  }

  /** Forgets every key, and draws a new hash tweak. */
  reset(): void {
    this.#tweak = randomUint32();
    this.#entriesThisGeneration = 0;
    this.#generation = 1;
    this.#data.fill(0);
  }

  #hash(n: number, key: Uint8Array): number {
    return murmurHash3((Math.imul(n, SEED_STRIDE) + this.#tweak) >>> 0, key);
  }

  /**
   * The first word of the position's block. As Core's `FastRange32`, from the hash's high
   * bits (its low five pick the bit): `h · words / 2^32`, exact in a double for tables under
   * 2^21 words, then even.
   */
  #position(h: number): number {
    return Math.floor((h * this.#data.length) / 0x100000000) & ~1;
  }
}

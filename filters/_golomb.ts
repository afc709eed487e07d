// BIP 158's Golomb-Rice coded sets: the serialization (CompactSize N, then the sorted values'
// deltas, each as a unary quotient `delta >> P` and a P-bit remainder, bits most significant
// first, the last byte padded with zeros) and its bounded reader.
//
// The reader trusts nothing it is given: N is checked against what the bytes could hold before
// anything is walked, every read is checked against the end, a running value must stay below
// F, and the bytes must end with the N-th element (as Bitcoin Core's `GCSFilter` constructor:
// "encoded_filter contains excess data"). It allocates nothing.
import { FilterError } from "./errors.ts";

const TWO_32 = 0x1_0000_0000;

/** The filter's element count and where its bit stream starts. */
export interface FilterCount {
  /** N, the number of elements. */
  readonly n: number;
  /** Byte offset of the Golomb-Rice bit stream (after the CompactSize). */
  readonly offset: number;
}

/**
 * Reads a filter's CompactSize N and checks it against the bytes that follow.
 *
 * @param filter The serialized filter.
 * @param p The Golomb-Rice parameter (every element takes at least `p + 1` bits).
 * @returns N and the offset of the bit stream.
 * @throws {FilterError} `truncated`, `non-canonical-varint` or `limit-exceeded`.
 */
export function readFilterCount(filter: Uint8Array, p: number): FilterCount {
  const length = filter.length;
  if (length === 0) throw new FilterError("truncated", "Cannot decode filter: it is empty");
  const first = filter[0];
  let n: number, offset: number;
  if (first < 0xfd) {
    n = first;
    offset = 1;
  } else {
    offset = first === 0xfd ? 3 : first === 0xfe ? 5 : 9;
    if (length < offset) {
      throw new FilterError(
        "truncated",
        `Cannot decode filter: its element count needs ${offset} bytes, the filter has ${length}`,
      );
    }
    // Little-endian: 2, 4 or 8 bytes after the marker.
    const high16 = offset > 3 ? filter[3] | (filter[4] << 8) : 0;
    const lo = (filter[1] | (filter[2] << 8) | (high16 << 16)) >>> 0;
    const hi = offset === 9
      ? (filter[5] | (filter[6] << 8) | (filter[7] << 16) | (filter[8] << 24)) >>> 0
      : 0;
    // As Bitcoin Core's ReadCompactSize: the shortest form only.
    const min = first === 0xfd ? 0xfd : first === 0xfe ? 0x1_0000 : TWO_32;
    if (hi === 0 && lo < min) {
      throw new FilterError(
        "non-canonical-varint",
        `Cannot decode filter: its element count ${lo} uses ${offset} bytes`,
      );
    }
    // As Bitcoin Core's GCSFilter: "N must be <2^32".
    if (hi !== 0) {
      throw new FilterError(
        "limit-exceeded",
        `Cannot decode filter: ${hi * TWO_32 + lo} elements exceed the limit of 2^32 - 1`,
      );
    }
    n = lo;
  }
  // Each element is at least a 0 bit and P remainder bits: a bound on N from the bytes alone,
  // before any walk (Core's "N larger than the data" shows only as a failed read).
  const bits = (length - offset) * 8;
  if (n * (p + 1) > bits) {
    throw new FilterError(
      "truncated",
      `Cannot decode filter: ${n} elements need at least ${n * (p + 1)} bits, ` +
        `the filter has ${bits}`,
    );
  }
  return { n, offset };
}

/**
 * Walks a filter's values in increasing order, checking each read against the end of the
 * bytes and each value against F.
 */
export class GolombRiceReader {
  readonly #bytes: Uint8Array;
  readonly #endBit: number;
  readonly #p: number;
  readonly #pow: number;
  readonly #f: number;
  readonly #n: number;
  #bit: number;
  #value = 0;
  #left: number;

  /**
   * Checks the filter's N against its bytes (`readFilterCount`) and starts at its first value.
   *
   * @param filter The serialized filter.
   * @param p The Golomb-Rice parameter, 1 to 24.
   * @param m The false-positive parameter (F = N * M).
   * @throws {FilterError} `truncated`, `non-canonical-varint` or `limit-exceeded`.
   */
  constructor(filter: Uint8Array, p: number, m: number) {
    const count = readFilterCount(filter, p);
    this.#bytes = filter;
    this.#bit = count.offset * 8;
    this.#endBit = filter.length * 8;
    this.#p = p;
    this.#pow = 2 ** p;
    this.#f = count.n * m;
    this.#n = count.n;
    this.#left = count.n;
  }

  /** N, the number of values. */
  get n(): number {
    return this.#n;
  }

  /** How many values are left. */
  get left(): number {
    return this.#left;
  }

  /**
   * The next value (the running sum of the deltas).
   *
   * @returns A value in [0, F).
   * @throws {FilterError} `truncated` or `value-out-of-range`.
   */
  next(): number {
    const b = this.#bytes, p = this.#p;
    let bit = this.#bit;
    // Bytes past the end read as zeros (undefined in a bitwise operation), so a run of ones
    // stops there and the check below sees the overrun.
    let at = bit >>> 3, off = bit & 7;
    let w = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) << off;
    let ones = Math.clz32(~w);
    let q: number, r: number;
    if (ones + 1 + p <= 32 - off) {
      // The common case: quotient, stop bit and remainder in one 32-bit window.
      q = ones;
      r = (w << (ones + 1)) >>> (32 - p);
      bit += ones + 1 + p;
    } else {
      // A quotient that runs past the window: count whole windows of ones.
      q = 0;
      while (ones === 32 - off) {
        q += ones;
        bit += ones;
        if (bit >= this.#endBit) this.#truncated();
        at = bit >>> 3;
        off = bit & 7;
        w = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) << off;
        ones = Math.clz32(~w);
      }
      q += ones;
      bit += ones + 1;
      at = bit >>> 3;
      off = bit & 7;
      w = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) << off;
      r = w >>> (32 - p);
      bit += p;
    }
    if (bit > this.#endBit) this.#truncated();
    this.#bit = bit;
    // q is below 2^31 (the bits it spans), so the sum stays exact until it passes F < 2^53.
    const value = this.#value + q * this.#pow + r;
    if (value >= this.#f) {
      throw new FilterError(
        "value-out-of-range",
        `Cannot decode filter: element ${this.#n - this.#left} of ${this.#n} is ${value}, ` +
          `past the range F = ${this.#f}`,
      );
    }
    this.#left--;
    this.#value = value;
    return value;
  }

  /**
   * Reads the values left, then checks that the bytes end with the last one, as Bitcoin Core
   * does: after it, a filter has been checked whole whatever was looked for.
   *
   * @throws {FilterError} `truncated`, `value-out-of-range` or `trailing-bytes`.
   */
  finish(): void {
    while (this.#left > 0) this.next();
    const used = Math.ceil(this.#bit / 8);
    const length = this.#bytes.length;
    if (used !== length) {
      throw new FilterError(
        "trailing-bytes",
        `Cannot decode filter: ${length - used} bytes after the last element`,
      );
    }
  }

  #truncated(): never {
    throw new FilterError(
      "truncated",
      `Cannot decode filter: the bits end within element ${this.#n - this.#left} of ${this.#n}`,
    );
  }
}

/**
 * Serializes sorted values as a Golomb-Rice coded set: CompactSize N, then the deltas.
 *
 * @param values The values, sorted ascending, each below 2^53.
 * @param p The Golomb-Rice parameter, 1 to 24.
 * @returns The filter bytes.
 */
export function encodeGolombRice(values: Float64Array, p: number): Uint8Array {
  const n = values.length;
  if (n >= TWO_32) throw new RangeError(`Cannot encode filter: ${n} elements, at most 2^32 - 1`);
  const pow = 2 ** p;
  // First pass: the exact size in bits.
  let bits = 0, last = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    bits += Math.floor((v - last) / pow) + 1 + p;
    last = v;
  }
  const head = n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
  const out = new Uint8Array(head + Math.ceil(bits / 8));
  if (head === 1) {
    out[0] = n;
  } else {
    out[0] = head === 3 ? 0xfd : 0xfe;
    for (let i = 1; i < head; i++) out[i] = Math.floor(n / 2 ** (8 * (i - 1))) & 0xff;
  }
  // Second pass: bits into `acc` (fewer than 8 pending bits between writes, so a write of up to
  // 24 bits fits in 31).
  let pos = head, acc = 0, pending = 0;
  last = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const delta = v - last;
    last = v;
    let q = Math.floor(delta / pow);
    const r = delta - q * pow;
    while (q > 0) {
      const k = q < 24 ? q : 24;
      acc = (acc << k) | ((1 << k) - 1);
      pending += k;
      q -= k;
      while (pending >= 8) {
        pending -= 8;
        out[pos++] = acc >>> pending;
      }
      acc &= (1 << pending) - 1;
    }
    // The stop bit, then the remainder.
    acc = acc << 1;
    pending += 1;
    if (pending >= 8) {
      pending -= 8;
      out[pos++] = acc >>> pending;
      acc &= (1 << pending) - 1;
    }
    acc = (acc << p) | r;
    pending += p;
    while (pending >= 8) {
      pending -= 8;
      out[pos++] = acc >>> pending;
    }
    acc &= (1 << pending) - 1;
  }
  if (pending > 0) out[pos++] = acc << (8 - pending);
  return out;
}

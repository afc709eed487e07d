// The best chain in memory: its 80-byte headers in height order, in fixed-size chunks (the
// file's layout too), and an open-addressing index from hash to height. No object per header:
// a header's hash is the next header's `prevBlock` field (only the tip's is kept apart), so
// a million headers cost 80 MB of chunks and 8 MB of index.
import { BLOCK_HEADER_SIZE } from "../wire/mod.ts";

/** Headers per chunk: 1.3 MB, so that growth never copies the chain. */
const CHUNK_BITS = 14;
const CHUNK_HEADERS = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_HEADERS - 1;
const INITIAL_INDEX_BITS = 10;

/** Reads a little-endian uint32. */
export function u32le(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) |
    (bytes[offset + 3] << 24)) >>> 0;
}

/** Writes a little-endian uint32. */
export function setU32le(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value;
  bytes[offset + 1] = value >>> 8;
  bytes[offset + 2] = value >>> 16;
  bytes[offset + 3] = value >>> 24;
}

/** Whether `a[ao, ao+32)` equals `b[bo, bo+32)`. */
export function hashEquals(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < 32; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/** The best chain's headers, heights 0 to `count - 1`, and a hash index over them. */
export class HeaderStore {
  readonly #chunks: Uint8Array[] = [];
  #count = 0;
  #tipHash: Uint8Array = new Uint8Array(32);
  #slots: Int32Array = new Int32Array(1 << INITIAL_INDEX_BITS);
  #shift = 32 - INITIAL_INDEX_BITS;

  /** Headers stored: the tip's height plus one. */
  get count(): number {
    return this.#count;
  }

  /** The chunk holding height `h` (which may be `count`: the slot for the next header). */
  chunk(h: number): Uint8Array {
    const c = h >>> CHUNK_BITS;
    while (c >= this.#chunks.length) {
      this.#chunks.push(new Uint8Array(CHUNK_HEADERS * BLOCK_HEADER_SIZE));
    }
    return this.#chunks[c];
  }

  /** Offset of height `h` in its chunk. */
  offset(h: number): number {
    return (h & CHUNK_MASK) * BLOCK_HEADER_SIZE;
  }

  version(h: number): number {
    return u32le(this.#chunks[h >>> CHUNK_BITS], (h & CHUNK_MASK) * BLOCK_HEADER_SIZE) | 0;
  }

  time(h: number): number {
    return u32le(this.#chunks[h >>> CHUNK_BITS], (h & CHUNK_MASK) * BLOCK_HEADER_SIZE + 68);
  }

  bits(h: number): number {
    return u32le(this.#chunks[h >>> CHUNK_BITS], (h & CHUNK_MASK) * BLOCK_HEADER_SIZE + 72);
  }

  /** A copy of the 80 bytes at height `h`. */
  raw(h: number): Uint8Array {
    const off = (h & CHUNK_MASK) * BLOCK_HEADER_SIZE;
    return this.#chunks[h >>> CHUNK_BITS].slice(off, off + BLOCK_HEADER_SIZE);
  }

  /** Copies headers `[from, to)` into one buffer (for the file). */
  rawRange(from: number, to: number): Uint8Array {
    const out = new Uint8Array((to - from) * BLOCK_HEADER_SIZE);
    let h = from;
    while (h < to) {
      const off = (h & CHUNK_MASK) * BLOCK_HEADER_SIZE;
      const n = Math.min(to - h, CHUNK_HEADERS - (h & CHUNK_MASK));
      out.set(
        this.#chunks[h >>> CHUNK_BITS].subarray(off, off + n * BLOCK_HEADER_SIZE),
        (h - from) * BLOCK_HEADER_SIZE,
      );
      h += n;
    }
    return out;
  }

  // Where the hash of a height lives, set by #locate (no tuple per lookup on the hot path).
  #locBytes: Uint8Array = this.#tipHash;
  #locOffset = 0;

  /** Points #locBytes/#locOffset at the hash of height `h`: the next header's prevBlock, or the tip's copy. */
  #locate(h: number): void {
    if (h === this.#count - 1) {
      this.#locBytes = this.#tipHash;
      this.#locOffset = 0;
    } else {
      const n = h + 1;
      this.#locBytes = this.#chunks[n >>> CHUNK_BITS];
      this.#locOffset = (n & CHUNK_MASK) * BLOCK_HEADER_SIZE + 4;
    }
  }

  /** A copy of the hash at height `h` (wire order). */
  hash(h: number): Uint8Array {
    this.#locate(h);
    return this.#locBytes.slice(this.#locOffset, this.#locOffset + 32);
  }

  /** The tip's hash (not a copy: do not modify). */
  get tipHash(): Uint8Array {
    return this.#tipHash;
  }

  /** Whether the hash at height `h` equals `hash[offset, offset+32)`. */
  hashIs(h: number, hash: Uint8Array, offset: number): boolean {
    this.#locate(h);
    return hashEquals(this.#locBytes, this.#locOffset, hash, offset);
  }

  /**
   * Makes the header already written at `chunk(count)`/`offset(count)` the new tip.
   *
   * @param hash Its hash (kept: the caller must not change it).
   */
  push(hash: Uint8Array): void {
    this.#tipHash = hash;
    const h = this.#count++;
    if (this.#count * 2 > this.#slots.length) this.#grow();
    else this.#insert(h);
  }

  /** Drops heights `count - 1` down to `newCount` from the chain and the index. */
  truncate(newCount: number): void {
    for (let h = this.#count - 1; h >= newCount; h--) this.#remove(h);
    if (newCount < this.#count) {
      // The new tip's hash is the prevBlock of the first header dropped.
      const c = this.#chunks[newCount >>> CHUNK_BITS];
      const off = (newCount & CHUNK_MASK) * BLOCK_HEADER_SIZE + 4;
      this.#tipHash = c.slice(off, off + 32);
      this.#count = newCount;
      // Release whole chunks past the end (a deep reorg, or a file cut short on load).
      const keep = (newCount >>> CHUNK_BITS) + 1;
      if (this.#chunks.length > keep) this.#chunks.length = keep;
    }
  }

  /**
   * The height of a hash in the chain.
   *
   * @param hash 32 bytes in wire order at `offset`.
   * @returns The height, or -1.
   */
  find(hash: Uint8Array, offset = 0): number {
    const slots = this.#slots;
    const mask = slots.length - 1;
    for (let i = this.#slotOf(hash, offset);; i = (i + 1) & mask) {
      const v = slots[i];
      if (v === 0) return -1;
      if (this.hashIs(v - 1, hash, offset)) return v - 1;
    }
  }

  #slotOf(hash: Uint8Array, offset: number): number {
    // Hash bytes are uniform; the multiply spreads them anyway.
    return Math.imul(u32le(hash, offset), 0x9e3779b1) >>> this.#shift;
  }

  #slotOfHeight(h: number): number {
    this.#locate(h);
    return this.#slotOf(this.#locBytes, this.#locOffset);
  }

  #insert(h: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let i = this.#slotOfHeight(h);
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = h + 1;
  }

  #remove(h: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let i = this.#slotOfHeight(h);
    while (slots[i] !== h + 1) {
      if (slots[i] === 0) return;
      i = (i + 1) & mask;
    }
    // Backward-shift deletion keeps every probe sequence unbroken without tombstones.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const v = slots[j];
      if (v === 0) break;
      const home = this.#slotOfHeight(v - 1);
      // Move v into the hole unless its home lies cyclically in (i, j].
      const inRange = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!inRange) {
        slots[i] = v;
        i = j;
      }
    }
    slots[i] = 0;
  }

  #grow(): void {
    const bits = 32 - this.#shift + 1;
    this.#slots = new Int32Array(1 << bits);
    this.#shift = 32 - bits;
    for (let h = 0; h < this.#count; h++) this.#insert(h);
  }
}

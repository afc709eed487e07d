// The verified BIP 157 filter header chain a FilterSync keeps: for each height from `base - 1`
// (the header before the first range fetched: 32 zero bytes before genesis, or an agreed
// checkpoint) to `top`, the block's hash and its filter header, 64 bytes a block in one
// growing buffer (no object per block).

const RECORD = 64;

/** Block hashes and filter headers for a contiguous range of heights. */
export class FilterHeaderStore {
  #base = 0;
  #count = 0;
  #bytes = new Uint8Array(0);
  #previous = new Uint8Array(32);

  /** Whether nothing has been stored since the last reset. */
  get empty(): boolean {
    return this.#count === 0;
  }

  /** The first height whose filter header is stored. */
  get base(): number {
    return this.#base;
  }

  /** The last height stored (`base - 1` when empty). */
  get top(): number {
    return this.#base + this.#count - 1;
  }

  /** Bytes held. */
  get heldBytes(): number {
    return this.#bytes.length;
  }

  /** Starts over at `base`, with `previous` the filter header of the block before it. */
  reset(base: number, previous: Uint8Array): void {
    this.#base = base;
    this.#count = 0;
    this.#previous = previous.slice();
    this.#bytes = new Uint8Array(0);
  }

  /** The filter header at `height` (base − 1 to top), or undefined outside. */
  headerAt(height: number): Uint8Array | undefined {
    if (height === this.#base - 1) return this.#previous;
    const i = height - this.#base;
    if (i < 0 || i >= this.#count) return undefined;
    return this.#bytes.subarray(i * RECORD + 32, i * RECORD + RECORD);
  }

  /** The block hash at `height` (base to top), or undefined outside. */
  hashAt(height: number): Uint8Array | undefined {
    const i = height - this.#base;
    if (i < 0 || i >= this.#count) return undefined;
    return this.#bytes.subarray(i * RECORD, i * RECORD + 32);
  }

  /** Appends the next heights: their block hashes and filter headers. */
  append(blockHashes: readonly Uint8Array[], headers: readonly Uint8Array[]): void {
    const n = headers.length;
    const need = (this.#count + n) * RECORD;
    if (need > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.#bytes.length * 2, 64 * RECORD));
      grown.set(this.#bytes.subarray(0, this.#count * RECORD));
      this.#bytes = grown;
    }
    for (let i = 0; i < n; i++) {
      const at = (this.#count + i) * RECORD;
      this.#bytes.set(blockHashes[i], at);
      this.#bytes.set(headers[i], at + 32);
    }
    this.#count += n;
  }

  /** Forgets the heights above `height`. */
  truncate(height: number): void {
    this.#count = Math.max(0, Math.min(this.#count, height - this.#base + 1));
  }
}

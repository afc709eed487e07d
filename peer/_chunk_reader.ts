// Reads a connection's bytes into buffers sized to the traffic. A runtime's own stream hands
// out (and, while a read is pending, holds) a 64 KiB buffer per read: for a thousand idle peers
// that is 64 MB of buffers waiting for pings. Byte streams are read here with our own buffers
// instead (BYOB): small while the peer is quiet, growing fourfold whenever a read fills one,
// halving after two reads in a row used less than half. Other streams are read as they come.

/** Buffer sizes: an idle peer waits with the smallest, a block download uses the largest. */
export const MIN_READ_BYTES = 2048;
export const MAX_READ_BYTES = 256 * 1024;

/** Reads chunks from a byte stream (BYOB, adaptive size) or from any other stream. */
export class ChunkReader {
  readonly #byob: ReadableStreamBYOBReader | undefined;
  readonly #default: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #size = MIN_READ_BYTES;
  #smallReads = 0;

  constructor(readable: ReadableStream<Uint8Array>) {
    let byob: ReadableStreamBYOBReader | undefined;
    try {
      byob = readable.getReader({ mode: "byob" });
    } catch {
      // Not a byte stream: read its chunks as they are.
    }
    this.#byob = byob;
    this.#default = byob === undefined ? readable.getReader() : undefined;
  }

  /** The buffer size the next read will use. */
  get nextReadBytes(): number {
    return this.#size;
  }

  /** The next chunk, or `undefined` at the end of the stream. */
  async read(): Promise<Uint8Array | undefined> {
    if (this.#default !== undefined) {
      const { done, value } = await this.#default.read();
      return done ? undefined : value;
    }
    const size = this.#size;
    const { done, value } = await this.#byob!.read(new Uint8Array(size));
    if (done || value === undefined) return undefined;
    this.#adapt(value.length, size);
    return value;
  }

  /** Cancels the stream; never throws. */
  async cancel(reason?: unknown): Promise<void> {
    await (this.#byob ?? this.#default)!.cancel(reason).catch(() => {});
  }

  #adapt(got: number, size: number): void {
    if (got === size) {
      this.#size = Math.min(size * 4, MAX_READ_BYTES);
      this.#smallReads = 0;
    } else if (got * 2 < size && size > MIN_READ_BYTES) {
      if (++this.#smallReads >= 2) {
        this.#size = Math.max(size / 2, MIN_READ_BYTES);
        this.#smallReads = 0;
      }
    } else {
      this.#smallReads = 0;
    }
  }
}

// Reading and writing a connection's bytes with as little held per idle peer as possible.
//
// Reading: a runtime's own stream hands out (and, while a read is pending, holds) a 64 KiB
// buffer per read: for a thousand idle peers, 64 MB of buffers waiting for pings. Reads here
// use our own buffers, sized to the traffic: small while the peer is quiet (512 bytes), growing fourfold
// whenever a read fills one, halving after two reads in a row used less than half. A
// connection that also has Deno's `read(buffer)` (a `Deno.TcpConn`) is read through it, which
// skips the stream objects (about 6 KiB per peer here); a byte stream is read with BYOB reads;
// any other stream as its chunks come.
//
// Writing: likewise through Deno's `write(bytes)` when present, else the writable stream.
import type { RawMessage } from "../wire/mod.ts";
import type { PeerTransport } from "./transport.ts";

/** Buffer sizes: an idle peer waits with the smallest, a block download uses the largest. */
export const MIN_READ_BYTES = 512;
export const MAX_READ_BYTES = 256 * 1024;

/** What a `Deno.Conn` offers beside its streams. */
interface DirectIo {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
}

function directIo(connection: object): DirectIo | undefined {
  const c = connection as Partial<DirectIo>;
  return typeof c.read === "function" && typeof c.write === "function"
    ? (c as DirectIo)
    : undefined;
}

/** Reads chunks from a connection (direct or BYOB reads, adaptive size) or any stream. */
export class ChunkReader {
  readonly #direct: DirectIo | undefined;
  readonly #byob: ReadableStreamBYOBReader | undefined;
  readonly #default: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #size = MIN_READ_BYTES;
  #smallReads = 0;
  #cancelled = false;
  #inflight: Promise<unknown> | undefined;

  /**
   * @param source A connection's readable side, or the connection itself (its `read` is used
   * when it has one).
   */
  constructor(source: ReadableStream<Uint8Array> | { readable: ReadableStream<Uint8Array> }) {
    this.#direct = source instanceof ReadableStream ? undefined : directIo(source);
    // Deno creates a connection's streams on first access: touch `readable` only if needed.
    const readable = this.#direct !== undefined
      ? undefined
      : source instanceof ReadableStream
      ? source
      : source.readable;
    let byob: ReadableStreamBYOBReader | undefined;
    if (readable !== undefined) {
      try {
        byob = readable.getReader({ mode: "byob" });
      } catch {
        // Not a byte stream: read its chunks as they are.
      }
    }
    this.#byob = byob;
    this.#default = readable !== undefined && byob === undefined ? readable.getReader() : undefined;
  }

  /** The buffer size the next read will use. */
  get nextReadBytes(): number {
    return this.#size;
  }

  /** The next chunk, or `undefined` at the end of the stream. */
  read(): Promise<Uint8Array | undefined> {
    const read = this.#read();
    this.#inflight = read;
    return read;
  }

  /** Resolves once no read is pending (a pending one settled, however). */
  async idle(): Promise<void> {
    while (this.#inflight !== undefined) {
      const inflight = this.#inflight;
      await inflight.catch(() => {});
      if (this.#inflight === inflight) this.#inflight = undefined;
    }
  }

  async #read(): Promise<Uint8Array | undefined> {
    if (this.#default !== undefined) {
      const { done, value } = await this.#default.read();
      return done ? undefined : value;
    }
    const size = this.#size;
    let chunk: Uint8Array | undefined;
    if (this.#direct !== undefined) {
      if (this.#cancelled) return undefined;
      const buffer = new Uint8Array(size);
      const n = await this.#direct.read(buffer);
      chunk = n === null ? undefined : buffer.subarray(0, n);
    } else {
      const { done, value } = await this.#byob!.read(new Uint8Array(size));
      chunk = done ? undefined : value;
    }
    if (chunk !== undefined) this.#adapt(chunk.length, size);
    return chunk;
  }

  /** Stops reading; never throws. (A direct read pending ends when the connection closes.) */
  async cancel(reason?: unknown): Promise<void> {
    this.#cancelled = true;
    await (this.#byob ?? this.#default)?.cancel(reason).catch(() => {});
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

/** Writes whole buffers to a connection, through `write` when it has one. */
export interface ChunkWriter {
  /** Resolves once all of `bytes` was handed to the connection. */
  write(bytes: Uint8Array): Promise<void>;
}

/** A {@linkcode ChunkWriter} for `connection`. */
export function chunkWriter(
  connection: { writable: WritableStream<Uint8Array> },
): ChunkWriter {
  const direct = directIo(connection);
  if (direct !== undefined) {
    // Writes are chained, so frames written by two callers never interleave.
    let tail: Promise<void> = Promise.resolve();
    return {
      write(bytes) {
        const done = tail.then(async () => {
          for (let at = 0; at < bytes.length;) {
            const n = await direct.write(bytes.subarray(at));
            if (!(n > 0)) throw new Error(`The connection took ${n} bytes of a write`);
            at += n;
          }
        });
        tail = done.catch(() => {});
        return done;
      },
    };
  }
  const writer = connection.writable.getWriter();
  // Nothing else observes the writer's closed promise; a rejected one must not go unhandled.
  writer.closed.catch(() => {});
  return { write: (bytes) => writer.write(bytes) };
}

/** Bytes of a read framed at a time (see `rawMessages`). */
const FRAME_SLICE_BYTES = 16 * 1024;

/**
 * The connection's messages, undecoded, as a pull-based stream: the next chunk is read from the
 * connection only when every message of the previous one was taken, so a busy or paused
 * dispatcher stops the reads, the kernel window fills and the remote slows down (Bitcoin
 * Core's pause-receive). What it holds is bounded by one read buffer's messages plus the
 * transport's message in progress. The reads end when the connection is closed.
 *
 * @param source The connection's reader.
 * @param transport Frames bytes into messages.
 * @param first Bytes read before (during the transport's own handshake), fed first.
 * @param observe `onRead` after each read from the connection; `onMessage` with each
 * message's command and its size on the wire.
 */
export function rawMessages(
  source: ChunkReader,
  transport: PeerTransport,
  first: Uint8Array | undefined,
  observe: { onRead(): void; onMessage(command: string, bytes: number): void },
): ReadableStream<RawMessage> {
  // Bytes read and not yet framed: the rest of the last read (and, first, what the
  // transport's own handshake read past).
  let pending = first;
  // A bad message after good ones in the same read: the good ones are handed over first (as
  // Bitcoin Core processes what came before), and the error on the next pull.
  let failure: { error: unknown } | undefined;
  return new ReadableStream<RawMessage>({
    async pull(controller) {
      if (failure !== undefined) throw failure.error;
      let produced = 0;
      const out = (message: RawMessage, bytes: number) => {
        observe.onMessage(message.command, bytes);
        controller.enqueue(message);
        produced++;
      };
      // At most FRAME_SLICE_BYTES are framed at a time: a 256 KiB read of small messages is
      // thousands of frames, checksums and objects, which would otherwise be made in one go
      // (tens of milliseconds in which no other peer is served) and then queued together.
      const receive = (bytes: Uint8Array) => {
        const slice = bytes.length > FRAME_SLICE_BYTES
          ? bytes.subarray(0, FRAME_SLICE_BYTES)
          : bytes;
        pending = slice === bytes ? undefined : bytes.subarray(FRAME_SLICE_BYTES);
        try {
          transport.receive(slice, out);
        } catch (error) {
          pending = undefined;
          if (produced === 0) throw error;
          failure = { error };
        }
      };
      while (pending !== undefined) {
        receive(pending);
        if (produced > 0 || failure !== undefined) return;
      }
      for (;;) {
        const chunk = await source.read();
        observe.onRead();
        if (chunk === undefined) {
          transport.finish();
          controller.close();
          return;
        }
        receive(chunk);
        while (produced === 0 && failure === undefined && pending !== undefined) receive(pending);
        if (produced > 0 || failure !== undefined) return;
      }
    },
    // Nothing to cancel: the peer ends the reads by closing the connection.
  }, { highWaterMark: 0 });
}

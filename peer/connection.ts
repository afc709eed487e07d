// What a peer runs over: a byte stream in each direction and a way to close both. That is
// the shape of `Deno.connect()`'s `Deno.TcpConn`, and of a Node socket through
// `Duplex.toWeb`, so the peer itself never touches a socket API.

/**
 * A bidirectional byte connection.
 *
 * @example
 * ```ts
 * import { type Connection, memoryConnectionPair } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const [a, b]: [Connection, Connection] = memoryConnectionPair();
 * const reader = b.readable.getReader();
 * a.close(); // ends both directions
 * assertEquals((await reader.read()).done, true);
 * b.close();
 * ```
 */
export interface Connection {
  /** Bytes from the remote side. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the remote side. */
  readonly writable: WritableStream<Uint8Array>;
  /** Closes both directions; the peer calls it once, and tolerates it throwing. */
  close(): void;
}

/** Options for {@linkcode memoryConnectionPair}. */
export interface MemoryConnectionOptions {
  /**
   * Bytes each direction buffers before a writer has to wait, as a socket's send and receive
   * buffers would (default 64 KiB).
   */
  bufferBytes?: number;
}

/**
 * Two connected in-memory {@linkcode Connection}s: what one writes, the other reads, with
 * bounded buffering (so backpressure behaves as over TCP) and TCP-like closing: closing either
 * end ends both readables and makes further writes on both ends fail.
 *
 * @param options Buffer size per direction.
 * @returns The two ends.
 *
 * @example
 * ```ts
 * import { memoryConnectionPair } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const [a, b] = memoryConnectionPair();
 * const writer = a.writable.getWriter();
 * await writer.write(new Uint8Array([1, 2, 3]));
 * const reader = b.readable.getReader();
 * assertEquals((await reader.read()).value, new Uint8Array([1, 2, 3]));
 * a.close();
 * assertEquals((await reader.read()).done, true);
 * ```
 */
export function memoryConnectionPair(
  options: MemoryConnectionOptions = {},
): [Connection, Connection] {
  const bufferBytes = options.bufferBytes ?? 64 * 1024;
  const aToB = pipe(bufferBytes);
  const bToA = pipe(bufferBytes);
  const closeBoth = () => {
    aToB.terminate();
    bToA.terminate();
  };
  return [
    { readable: bToA.readable, writable: aToB.writable, close: closeBoth },
    { readable: aToB.readable, writable: bToA.writable, close: closeBoth },
  ];
}

interface Pipe {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  terminate(): void;
}

/** One direction: an identity transform whose readable side holds up to `bufferBytes`. */
function pipe(bufferBytes: number): Pipe {
  let controller!: TransformStreamDefaultController<Uint8Array>;
  let terminated = false;
  const stream = new TransformStream<Uint8Array, Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      transform(chunk, c) {
        // Copy, as the kernel does: the writer may reuse its buffer once the write resolved.
        c.enqueue(chunk.slice());
      },
    },
    { highWaterMark: 1 },
    new ByteLengthQueuingStrategy({ highWaterMark: bufferBytes }),
  );
  return {
    readable: stream.readable,
    writable: stream.writable,
    terminate() {
      if (terminated) return;
      terminated = true;
      controller.terminate();
    },
  };
}

// The outbound queue as a pull-based ReadableStream: messages wait here until the stages after
// it (send taps, then the socket) ask for the next one, so a slow socket slows the reads
// instead of filling buffers downstream. It counts the bytes of every frame it holds, from
// queueing until the socket took it, and refuses to grow past a cap: btcd's pending list is
// unbounded, Bitcoin Core bounds its send buffer.
import type { Message } from "../wire/mod.ts";

/** One framed message on its way out. */
export interface Outgoing {
  /** The message, for the taps that look at commands. */
  readonly message: Message;
  /** Its encoded frame, header included. */
  readonly frame: Uint8Array;
  /** Settles the sender's promise: `true` once written, `false` if dropped. */
  readonly settle: (written: boolean) => void;
}

/** Options for {@linkcode OutboundMux}. */
export interface OutboundMuxOptions {
  /**
   * The most bytes queued and in flight. A push that would pass it fails, unless nothing is
   * queued (so one message of any size can always go). Default: unlimited.
   */
  capBytes?: number;
}

/**
 * A bounded, pull-based queue of outgoing frames, read through {@linkcode OutboundMux.readable}.
 *
 * @example
 * ```ts
 * import { OutboundMux } from "@btcstream/p2p/peer";
 * import { encodeMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const mux = new OutboundMux({ capBytes: 1000 });
 * const message = { command: "verack" } as const;
 * const settled: boolean[] = [];
 * mux.push({ message, frame: encodeMessage(message), settle: (ok) => settled.push(ok) });
 * assertEquals(mux.queuedBytes, 24);
 * const reader = mux.readable.getReader();
 * const { value } = await reader.read();
 * mux.written(value!); // the socket took it
 * assertEquals(settled, [true]);
 * assertEquals(mux.queuedBytes, 0);
 * mux.close();
 * ```
 */
export class OutboundMux {
  /** Frames waiting to be pulled, from `#head` on. */
  #queue: Outgoing[] = [];
  #head = 0;
  /** Every frame pushed and not yet reported written (queued or pulled), oldest first. */
  #unwritten: Outgoing[] = [];
  #unwrittenHead = 0;
  #queuedBytes = 0;
  #closed = false;
  #cancelled = false;
  readonly #capBytes: number;
  #waiting: ((entry: Outgoing | undefined) => void) | undefined;
  readonly #readable: ReadableStream<Outgoing>;

  /**
   * Creates an empty queue.
   *
   * @param options The byte cap.
   */
  constructor(options: OutboundMuxOptions = {}) {
    this.#capBytes = options.capBytes ?? Infinity;
    this.#readable = new ReadableStream<Outgoing>(
      {
        pull: (controller) => {
          const next = this.#shift();
          if (next !== undefined) {
            controller.enqueue(next);
            return;
          }
          if (this.#closed) {
            controller.close();
            return;
          }
          return new Promise<void>((resolve) => {
            this.#waiting = (entry) => {
              this.#waiting = undefined;
              resolve();
              if (entry !== undefined) {
                controller.enqueue(entry);
              } else if (!this.#cancelled) {
                controller.close();
              }
            };
          });
        },
        cancel: () => {
          // The stream is closed already: a read waiting must not close it again (that
          // throws, and the frames in flight would never settle).
          this.#cancelled = true;
          this.close();
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** The frames, one per read, in the order pushed; only when a reader asks. */
  get readable(): ReadableStream<Outgoing> {
    return this.#readable;
  }

  /** Bytes of the frames queued and in flight. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Number of frames queued and not yet pulled. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Queues a frame.
   *
   * @param entry The frame and its settle callback.
   * @returns `false`, without queueing or settling, when closed or when the cap would be
   * passed; `true` otherwise.
   */
  push(entry: Outgoing): boolean {
    if (this.#closed) return false;
    const size = entry.frame.length;
    if (this.#queuedBytes > 0 && this.#queuedBytes + size > this.#capBytes) return false;
    this.#queuedBytes += size;
    this.#unwritten.push(entry);
    if (this.#waiting !== undefined) {
      this.#waiting(entry);
    } else {
      this.#queue.push(entry);
    }
    return true;
  }

  /**
   * Reports the oldest pulled frame as written to the socket: its bytes leave the count and
   * its sender's promise resolves `true`.
   *
   * @param entry The frame written; frames are written in the order pulled.
   */
  written(entry: Outgoing): void {
    if (this.#unwritten[this.#unwrittenHead] !== entry) return;
    this.#unwritten[this.#unwrittenHead++] = undefined!;
    if (this.#unwrittenHead > 1024 && this.#unwrittenHead * 2 > this.#unwritten.length) {
      this.#unwritten = this.#unwritten.slice(this.#unwrittenHead);
      this.#unwrittenHead = 0;
    }
    this.#queuedBytes -= entry.frame.length;
    entry.settle(true);
  }

  /**
   * Stops the queue: the readable ends, and every frame not yet written is dropped, its
   * sender's promise resolving `false`. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const dropped = this.#unwritten.slice(this.#unwrittenHead);
    this.#queue = [];
    this.#head = 0;
    this.#unwritten = [];
    this.#unwrittenHead = 0;
    this.#queuedBytes = 0;
    this.#waiting?.(undefined);
    for (const entry of dropped) entry.settle(false);
  }

  #shift(): Outgoing | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const entry = this.#queue[this.#head];
    this.#queue[this.#head++] = undefined!;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return entry;
  }
}

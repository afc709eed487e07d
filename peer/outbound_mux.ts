// The outbound queue as a pull-based ReadableStream: messages wait here until the stages after
// it (send taps, the transport's framing, then the socket) ask for the next one, so a slow
// socket slows the reads instead of filling buffers downstream.
//
// It charges every queued message what it costs in memory (its encoded bytes plus the objects
// that carry it), from queueing until the socket took it, and exposes two levels, as Bitcoin
// Core's send buffer does (`fPauseSend` at `-maxsendbuffer`): above the pause level the peer
// stops taking the remote's messages until the queue drains to the resume level, so a remote
// that never reads cannot make us queue answers without end; the hard cap is the backstop
// for what the application queues on its own. btcd's pending list is unbounded.
import type { Message } from "../wire/mod.ts";

/**
 * What one queued message costs beyond its encoded bytes: the entry, the message object, the
 * buffer object and its backing store header, and the sender's promise. Before this charge,
 * 200,000 pongs queued for a remote that never read held 65 MB of heap for 6.4 MB of frames
 * (about 330 bytes each beyond the frame); 400 rounds that up.
 */
export const QUEUE_ENTRY_OVERHEAD_BYTES = 400;

/** One encoded message on its way out. */
export interface Outgoing {
  /** The message, for the taps that look at commands and for `onWrite`. */
  readonly message: Message;
  /**
   * The encoded payload after 24 free bytes (a v1 header's size), which v1 framing
   * fills with its header in place.
   */
  readonly buffer: Uint8Array;
  /** Settles the sender's promise: `true` once written, `false` if dropped. */
  readonly settle: (written: boolean) => void;
}

/** Options for {@linkcode OutboundMux}. */
export interface OutboundMuxOptions {
  /**
   * The most bytes (as charged) queued and in flight. A push that would pass it fails, unless
   * nothing is queued (so one message of any size can always go). Default: unlimited.
   */
  capBytes?: number;
  /** Above this many bytes the queue is {@linkcode OutboundMux.paused}. Default: never. */
  pauseBytes?: number;
  /** Once paused, it resumes at or below this many bytes. Default: half the pause level. */
  resumeBytes?: number;
  /**
   * What each entry is charged beyond its buffer's length (default
   * {@linkcode QUEUE_ENTRY_OVERHEAD_BYTES}).
   */
  entryOverheadBytes?: number;
}

/**
 * A bounded, pull-based queue of outgoing messages, read through
 * {@linkcode OutboundMux.readable}; internal to the peer.
 */
export class OutboundMux {
  /** Entries waiting to be pulled, from `#head` on. */
  #queue: Outgoing[] = [];
  #head = 0;
  /** Every entry pushed and not yet reported written (queued or pulled), oldest first. */
  #unwritten: Outgoing[] = [];
  #unwrittenHead = 0;
  #queuedBytes = 0;
  #closed = false;
  #cancelled = false;
  #paused = false;
  readonly #capBytes: number;
  readonly #pauseBytes: number;
  readonly #resumeBytes: number;
  readonly #overhead: number;
  #waiting: ((entry: Outgoing | undefined) => void) | undefined;
  #resumed: { promise: Promise<void>; resolve: () => void } | undefined;
  readonly #readable: ReadableStream<Outgoing>;

  /**
   * Creates an empty queue.
   *
   * @param options The byte cap and the pause and resume levels.
   */
  constructor(options: OutboundMuxOptions = {}) {
    this.#capBytes = options.capBytes ?? Infinity;
    this.#pauseBytes = options.pauseBytes ?? Infinity;
    this.#resumeBytes = options.resumeBytes ?? this.#pauseBytes / 2;
    this.#overhead = options.entryOverheadBytes ?? QUEUE_ENTRY_OVERHEAD_BYTES;
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
          // throws, and the messages in flight would never settle).
          this.#cancelled = true;
          this.close();
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** The entries, one per read, in the order pushed; only when a reader asks. */
  get readable(): ReadableStream<Outgoing> {
    return this.#readable;
  }

  /** Bytes charged for the entries queued and in flight. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Number of entries queued and not yet pulled. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** Whether the queue went over its pause level and has not yet drained to its resume level. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Resolves once the queue is not paused (at once if it is not), or when it closes. */
  resumed(): Promise<void> {
    if (!this.#paused) return Promise.resolve();
    if (this.#resumed === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#resumed = { promise, resolve };
    }
    return this.#resumed.promise;
  }

  /**
   * Queues an entry.
   *
   * @param entry The message, its encoded buffer and its settle callback.
   * @returns `false`, without queueing or settling, when closed or when the cap would be
   * passed; `true` otherwise.
   */
  push(entry: Outgoing): boolean {
    if (this.#closed) return false;
    const cost = entry.buffer.length + this.#overhead;
    if (this.#queuedBytes > 0 && this.#queuedBytes + cost > this.#capBytes) return false;
    this.#queuedBytes += cost;
    if (this.#queuedBytes > this.#pauseBytes) this.#paused = true;
    this.#unwritten.push(entry);
    if (this.#waiting !== undefined) {
      this.#waiting(entry);
    } else {
      this.#queue.push(entry);
    }
    return true;
  }

  /**
   * Takes the next queued entry now, without waiting, as a read of the readable would (the
   * send loop batches small messages into one write this way).
   *
   * @returns The entry, or `undefined` when none is queued.
   */
  takeQueued(): Outgoing | undefined {
    return this.#shift();
  }

  /**
   * Reports the oldest pulled entry as written to the socket: its bytes leave the count and
   * its sender's promise resolves `true`.
   *
   * @param entry The entry written; entries are written in the order pulled.
   */
  written(entry: Outgoing): void {
    if (this.#unwritten[this.#unwrittenHead] !== entry) return;
    this.#unwritten[this.#unwrittenHead++] = undefined!;
    if (this.#unwrittenHead > 1024 && this.#unwrittenHead * 2 > this.#unwritten.length) {
      this.#unwritten = this.#unwritten.slice(this.#unwrittenHead);
      this.#unwrittenHead = 0;
    }
    this.#queuedBytes -= entry.buffer.length + this.#overhead;
    if (this.#paused && this.#queuedBytes <= this.#resumeBytes) this.#resume();
    entry.settle(true);
  }

  /**
   * Stops the queue: the readable ends, and every entry not yet written is dropped, its
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
    this.#resume();
    this.#waiting?.(undefined);
    for (const entry of dropped) entry.settle(false);
  }

  #resume(): void {
    this.#paused = false;
    const resumed = this.#resumed;
    this.#resumed = undefined;
    resumed?.resolve();
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

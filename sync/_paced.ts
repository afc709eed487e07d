// Streams whose readers pace the producer: events go to every open stream at once, and the
// producer asks `full` / `room()` before it takes more input, so that a reader that stops
// reading stops the sync (and, through Peer.messages(), the peers' sockets) instead of
// growing a queue.

/** One open stream and its reader's state. */
interface Sink<T> {
  readonly controller: ReadableStreamDefaultController<T>;
}

/** Fans events out to streams read at their own pace; the slowest one paces the producer. */
export class PacedStreams<T> {
  readonly #sinks = new Set<Sink<T>>();
  readonly #size: (event: T) => number;
  #waiters: (() => void)[] = [];
  #closed = false;

  /** @param size What an event counts against a stream's high-water mark. */
  constructor(size: (event: T) => number) {
    this.#size = size;
  }

  /** Whether any stream is open. */
  get active(): boolean {
    return this.#sinks.size > 0;
  }

  /** Whether a reader has its high-water mark's worth unread. */
  get full(): boolean {
    for (const sink of this.#sinks) {
      if ((sink.controller.desiredSize ?? 1) <= 0) return true;
    }
    return false;
  }

  /** Resolves once no stream is full (at once when none is), or when closed. */
  room(): Promise<void> {
    if (!this.full || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** A new stream of the events emitted from now on. */
  stream(highWaterMark: number): ReadableStream<T> {
    let sink: Sink<T>;
    const sinks = this.#sinks;
    const closed = this.#closed;
    return new ReadableStream<T>({
      start: (controller) => {
        sink = { controller };
        if (closed) controller.close();
        else sinks.add(sink);
      },
      pull: () => this.#wake(),
      cancel: () => {
        sinks.delete(sink);
        this.#wake();
      },
    }, { highWaterMark, size: this.#size });
  }

  /** Delivers an event to every open stream (never drops: the producer paces itself). */
  emit(event: T): void {
    for (const sink of this.#sinks) sink.controller.enqueue(event);
  }

  /** Ends every stream and releases the producer. */
  close(): void {
    this.#closed = true;
    for (const sink of this.#sinks) {
      try {
        sink.controller.close();
      } catch {
        // Already errored by its reader.
      }
    }
    this.#sinks.clear();
    this.#wake();
  }

  #wake(): void {
    if (this.full && !this.#closed) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

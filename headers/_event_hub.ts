// Fans a chain's events out to its open streams, each bounded in what it may hold unread.
import type { ChainEvent, ChainEventsOptions } from "./events.ts";

/** Default of {@linkcode ChainEventsOptions.maxQueuedHeaders}. */
const DEFAULT_MAX_QUEUED_HEADERS = 100_000;

/** Fans chain events out to every open stream. */
export class EventHub {
  readonly #controllers = new Set<ReadableStreamDefaultController<ChainEvent>>();
  #closed = false;

  /** Whether any stream is open (events are only built when one is). */
  get active(): boolean {
    return this.#controllers.size > 0;
  }

  /** A new stream of the events emitted from now on. */
  stream(options: ChainEventsOptions = {}): ReadableStream<ChainEvent> {
    const max = options.maxQueuedHeaders ?? DEFAULT_MAX_QUEUED_HEADERS;
    if (!(max >= 1)) {
      throw new RangeError(`Cannot open chain events: maxQueuedHeaders ${max} is not positive`);
    }
    const controllers = this.#controllers;
    let controller: ReadableStreamDefaultController<ChainEvent>;
    const closed = this.#closed;
    return new ReadableStream<ChainEvent>({
      start(c) {
        controller = c;
        if (closed) c.close();
        else controllers.add(c);
      },
      cancel() {
        controllers.delete(controller);
      },
    }, {
      highWaterMark: max,
      size: (e) => e.added.length + (e.type === "reorg" ? e.removed.length : 0),
    });
  }

  /** Delivers an event to every stream; a stream over its limit fails. */
  emit(event: ChainEvent): void {
    for (const c of this.#controllers) {
      c.enqueue(event);
      if (c.desiredSize !== null && c.desiredSize < 0) {
        this.#controllers.delete(c);
        c.error(
          new RangeError(
            "Chain events: the reader fell more than maxQueuedHeaders headers behind",
          ),
        );
      }
    }
  }

  /** Ends every stream. */
  close(): void {
    this.#closed = true;
    for (const c of this.#controllers) c.close();
    this.#controllers.clear();
  }
}

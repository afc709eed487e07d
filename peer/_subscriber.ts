// A `Peer.messages()` reader: the dispatcher hands it each message and waits until the reader
// has taken it, so a slow `for await` loop slows reading from the connection, never buffers.
import type { Message, UnknownMessage } from "../wire/mod.ts";

/** One `messages()` reader: a bounded hand-off that waits for the reader to take each one. */
export class Subscriber {
  readonly #controller: ReadableStreamDefaultController<Message | UnknownMessage>;
  #wake: (() => void) | undefined;
  #done = false;

  constructor(controller: ReadableStreamDefaultController<Message | UnknownMessage>) {
    this.#controller = controller;
  }

  async deliver(message: Message | UnknownMessage): Promise<void> {
    if (this.#done) return;
    this.#controller.enqueue(message);
    if ((this.#controller.desiredSize ?? 0) > 0) return;
    await new Promise<void>((resolve) => (this.#wake = resolve));
  }

  pulled(): void {
    this.#wake?.();
    this.#wake = undefined;
  }

  cancelled(): void {
    this.#done = true;
    this.pulled();
  }

  close(): void {
    if (this.#done) return;
    this.#done = true;
    try {
      this.#controller.close();
    } catch {
      // Already closed or errored by its reader.
    }
    this.pulled();
  }
}

// Every message one peer read, in order, with waits for the next one that matches: what the
// interop session uses to talk to bcoin step by step.
import { deadline } from "@std/async/deadline";
import type { MessageListeners, Peer } from "../../peer/mod.ts";
import type { Message, UnknownMessage } from "../../wire/mod.ts";

/** A message read from the remote. */
export type Received = Message | UnknownMessage;

interface Waiter {
  readonly from: number;
  readonly match: (message: Received) => boolean;
  readonly resolve: (index: number) => void;
  readonly reject: (error: Error) => void;
}

/** The messages a peer read (the handshake's included), for `listeners` at its creation. */
export class Inbox {
  readonly #messages: Received[] = [];
  readonly #waiters = new Set<Waiter>();
  #ended: string | undefined;

  /** Give these to the peer: `onRead` records every message. */
  readonly listeners: MessageListeners = {
    onRead: (_peer, _bytes, message) => {
      if (message !== undefined) this.#push(message);
    },
  };

  /** How many messages were read so far: a position to wait from. */
  get length(): number {
    return this.#messages.length;
  }

  /** The commands read, in order. */
  get commands(): string[] {
    return this.#messages.map((m) => m.command === "unknown" ? `unknown:${m.name}` : m.command);
  }

  /**
   * The messages read between two positions.
   *
   * @param start The first position.
   * @param end The position after the last (default: all read so far).
   * @returns The messages.
   */
  slice(start: number, end?: number): Received[] {
    return this.#messages.slice(start, end);
  }

  /**
   * Waits for the first message at or after `from` that `match` accepts.
   *
   * @param what What is awaited, for the error.
   * @param match The test.
   * @param options Where to start and how long to wait.
   * @returns Its position and the message.
   * @throws {Error} When none came in time, or the peer ended first.
   */
  async waitFor<T extends Received>(
    what: string,
    match: (message: Received) => message is T,
    options: { from?: number; timeoutMs: number },
  ): Promise<{ index: number; message: T }> {
    const from = options.from ?? 0;
    let index = this.#messages.findIndex((m, i) => i >= from && match(m));
    if (index === -1) {
      if (this.#ended !== undefined) throw new Error(`No ${what}: ${this.#ended}`);
      let waiter: Waiter | undefined;
      const found = new Promise<number>((resolve, reject) => {
        waiter = { from, match, resolve, reject };
        this.#waiters.add(waiter);
      });
      try {
        index = await deadline(found, options.timeoutMs);
      } catch (error) {
        if (error instanceof DOMException && error.name === "TimeoutError") {
          throw new Error(`No ${what} within ${options.timeoutMs} ms`);
        }
        throw error;
      } finally {
        if (waiter !== undefined) this.#waiters.delete(waiter);
      }
    }
    return { index, message: this.#messages[index] as T };
  }

  /**
   * Fails every wait, now and later, once the peer has ended.
   *
   * @param peer The peer whose messages these are.
   */
  watch(peer: Peer): void {
    peer.closed.then((reason) => {
      this.#ended = `the peer ended (${reason.code}: ${reason.message})`;
      for (const waiter of this.#waiters) waiter.reject(new Error(`Waiting: ${this.#ended}`));
    });
  }

  #push(message: Received): void {
    const index = this.#messages.push(message) - 1;
    for (const waiter of this.#waiters) {
      if (index >= waiter.from && waiter.match(message)) {
        this.#waiters.delete(waiter);
        waiter.resolve(index);
      }
    }
  }
}

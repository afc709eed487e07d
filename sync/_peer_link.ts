// Requests to one peer and their answers, for the BIP 157 client: one request at a time (each
// answer is matched to the request before it), each answer message handed to the request's
// handler as it arrives, and a deadline that restarts with every answer message. The peer's
// own stall detector does not know `getcf*`, so the deadline is ours; time the peer spent held
// by a paced reader of ours (_hold.ts) is added back.
import type { Clock, Timer } from "../peer/clock.ts";
import type { Peer } from "../peer/peer.ts";
import type { Message, UnknownMessage } from "../wire/mod.ts";
import { heldMs } from "./_hold.ts";

/** What a handler says of a message: not for this request, part of the answer, or its end. */
export type Take = "ignore" | "more" | "done";

/** Why a request failed without an answer. */
export class RequestFailed extends Error {
  /** `timeout`: no answer in time; `closed`: the peer or the link ended first. */
  readonly reason: "timeout" | "closed";

  constructor(reason: "timeout" | "closed", message: string) {
    super(message);
    this.name = "RequestFailed";
    this.reason = reason;
  }
}

interface Pending {
  readonly command: string;
  readonly handle: (message: Message | UnknownMessage) => Take;
  readonly settle: (error?: unknown) => void;
}

/** Serialized requests to one peer, answered from its `messages()` stream. */
export class PeerLink {
  readonly peer: Peer;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #reader: ReadableStreamDefaultReader<Message | UnknownMessage>;
  readonly #done: Promise<void>;
  #queue: Promise<void> = Promise.resolve();
  #pending: Pending | undefined;
  #timer: Timer | undefined;
  #closed = false;

  constructor(peer: Peer, clock: Clock, timeoutMs: number) {
    this.peer = peer;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#reader = peer.messages().getReader();
    this.#done = this.#read();
  }

  /** Whether the link ended (the peer did, or it was closed). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends `message` once the requests before it are answered, and hands each message the peer
   * sends to `handle` until it returns `"done"`.
   *
   * @returns Resolves when answered; rejects with what `handle` threw, or a `RequestFailed`.
   */
  request(message: Message, handle: (message: Message | UnknownMessage) => Take): Promise<void> {
    const run = this.#queue.then(() => this.#send(message, handle));
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Ends the link: the pending request and those queued fail with `closed`. */
  async close(): Promise<void> {
    this.#end();
    await this.#reader.cancel().catch(() => {});
    await this.#done;
  }

  #send(message: Message, handle: (message: Message | UnknownMessage) => Take): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new RequestFailed("closed", `${this.peer.address} is gone`));
    }
    return new Promise<void>((resolve, reject) => {
      this.#pending = {
        command: message.command,
        handle,
        settle: (error) => {
          this.#pending = undefined;
          this.#timer?.cancel();
          this.#timer = undefined;
          if (error === undefined) resolve();
          else reject(error);
        },
      };
      this.#arm(this.#clock.now(), heldMs(this.peer, this.#clock.now()));
      void this.peer.queueMessage(message);
    });
  }

  /** (Re)starts the deadline: `timeoutMs` from `since`, plus any hold from `held` on. */
  #arm(since: number, held: number): void {
    this.#timer?.cancel();
    const delay = Math.max(0, since + this.#timeoutMs - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => {
      const pending = this.#pending;
      if (pending === undefined) return;
      const now = this.#clock.now();
      const heldSince = heldMs(this.peer, now) - held;
      if (heldSince > 0) {
        // Held by us part of the time: that part does not count.
        this.#arm(now - this.#timeoutMs + heldSince, heldMs(this.peer, now));
        return;
      }
      pending.settle(
        new RequestFailed(
          "timeout",
          `No answer to "${pending.command}" from ${this.peer.address} in ${
            this.#timeoutMs / 1000
          } s`,
        ),
      );
    }, delay);
  }

  async #read(): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await this.#reader.read();
        if (done) break;
        const pending = this.#pending;
        if (pending === undefined) continue;
        let take: Take;
        try {
          take = pending.handle(value);
        } catch (error) {
          pending.settle(error);
          continue;
        }
        if (take === "done") pending.settle();
        else if (take === "more") {
          this.#arm(this.#clock.now(), heldMs(this.peer, this.#clock.now()));
        }
      }
    } catch {
      // The stream failed with the peer: handled as its end.
    } finally {
      this.#end();
    }
  }

  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending?.settle(new RequestFailed("closed", `${this.peer.address} is gone`));
  }
}

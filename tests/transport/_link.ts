// Two V2Sessions joined in memory: what one sends reaches the other, cut into pieces by a
// chosen segmentation, until neither has anything left to send.
import type { RawMessage } from "../../transport/contents.ts";
import type { TransportError } from "../../transport/errors.ts";
import type { V2Session } from "../../transport/session.ts";

/** How a stretch of bytes is cut into the chunks the receiver gets. */
export type Split = (bytes: Uint8Array) => Uint8Array[];

/** One chunk. */
export const whole: Split = (bytes) => [bytes];

/** Chunks of `n` bytes (the last shorter). */
export function chunksOf(n: number): Split {
  return (bytes) => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += n) out.push(bytes.subarray(i, i + n));
    return out;
  };
}

/** What one side received. */
export interface Side {
  readonly session: V2Session;
  readonly messages: RawMessage[];
  readonly rejected: TransportError[];
  error: TransportError | undefined;
  fallback: Uint8Array[];
}

function side(session: V2Session): Side {
  return { session, messages: [], rejected: [], error: undefined, fallback: [] };
}

export class Link {
  readonly a: Side;
  readonly b: Side;
  readonly #toA: Uint8Array[] = [];
  readonly #toB: Uint8Array[] = [];

  /** Joins `a` (usually the initiator) and `b`, and queues what each `start()` returns. */
  constructor(a: V2Session, b: V2Session, readonly split: Split = whole) {
    this.a = side(a);
    this.b = side(b);
    this.#toB.push(a.start());
    this.#toA.push(b.start());
  }

  /** Queues bytes from a to b. */
  toB(bytes: Uint8Array): void {
    this.#toB.push(bytes);
  }

  /** Queues bytes from b to a. */
  toA(bytes: Uint8Array): void {
    this.#toA.push(bytes);
  }

  /** Delivers everything queued, and what that makes either side send, until all is quiet. */
  pump(): void {
    while (this.#toA.length > 0 || this.#toB.length > 0) {
      if (this.#toB.length > 0) this.#deliver(this.#toB.shift()!, this.b, this.#toA);
      if (this.#toA.length > 0) this.#deliver(this.#toA.shift()!, this.a, this.#toB);
    }
  }

  #deliver(bytes: Uint8Array, to: Side, replies: Uint8Array[]): void {
    for (const piece of this.split(bytes)) {
      const out = to.session.receive(piece);
      replies.push(...out.send);
      to.messages.push(...out.messages);
      to.rejected.push(...out.rejected);
      if (out.error !== undefined) to.error = out.error;
      if (out.fallbackToV1 !== undefined) to.fallback.push(out.fallbackToV1);
    }
  }
}

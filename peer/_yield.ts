// Letting the event loop serve other peers. A peer's messages that arrived in one read are
// handed to it as promise callbacks, which run before any other I/O or timer: without a
// break, a remote that floods us would have every message of a 256 KiB read processed before
// another peer is read or a timer fires. Bitcoin Core's message handler takes one message per
// peer per round; we take a few (a macrotask per message would halve small-message
// throughput) and then yield. `setImmediate` runs after pending I/O, in microseconds;
// `setTimeout(0)` costs about a millisecond per call in Deno.
import { setImmediate } from "node:timers";

/** How many messages a peer handles in a row before letting other work run. */
export const MESSAGES_PER_TURN = 16;

/** Resolves on a later turn of the event loop, after pending I/O callbacks. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

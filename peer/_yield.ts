// Letting the event loop serve other peers. The messages of one read are handed to a peer as
// promise callbacks, which run before any other I/O or timer: without a break, a remote that
// floods us would have every message of a 256 KiB read (8,000 pings) processed before another
// peer is read or a timer fires. Bitcoin Core's message handler takes one message per peer per
// round; a macrotask per message would cost small messages half their throughput here (a
// yield is tens of microseconds while sockets are open), so a peer that has been working
// through buffered messages for a turn's worth of time, without waiting for its socket, lets
// the rest of the event loop run before it goes on. `setImmediate` runs after pending I/O;
// `setTimeout(0)` costs about a millisecond per call in Deno.
import { setImmediate } from "node:timers";

/** How long a peer may handle buffered messages before letting other work run. */
export const TURN_MS = 2;

/** Resolves on a later turn of the event loop, after pending I/O callbacks. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

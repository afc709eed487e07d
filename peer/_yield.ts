// Letting the event loop serve other peers. The messages of one read are handed to a peer as
// promise callbacks, which run before any other I/O or timer: without a break, a remote that
// floods us would have every message of a 256 KiB read (8,000 pings, a hundred milliseconds)
// processed before another peer is read or a timer fires. Bitcoin Core's message handler takes
// one message per peer per round; a break per message would cost small messages most of
// their throughput here, so a peer that has been working through buffered messages for a
// turn's worth of time, without waiting for its socket, lets the rest of the event loop run
// before it goes on.
//
// The break is a timer: in Deno, `setImmediate` and `MessageChannel` callbacks run without
// the event loop polling for I/O (measured: a socket read stayed pending through 50 of them
// and 100 ms), while a zero-delay timer lets pending reads and writes complete. Turns of 2 ms:
// in `deno task bench:hostile` a second peer's pongs during a ping flood came back within
// 15-19 ms (p99 7 ms); with 5 or 10 ms turns some waited 150 ms, its socket's reads completing
// only every few turns. A flooding peer gets about half its throughput; a peer that reads its
// socket between messages (large ones, or traffic that does not pile up) never yields.

/** How long a peer may handle buffered messages before letting other work run. */
export const TURN_MS = 2;

/** Resolves on a later turn of the event loop, after pending I/O has been polled. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

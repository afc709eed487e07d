// Letting the event loop serve others. A sync's request and its answer can follow each other
// as promise callbacks alone (peers in memory; a fast local node's answers already buffered),
// which run before any timer or other I/O: without a break, a peer that answers at once would
// keep the process busy with it. A sync that has been working for a turn's worth of time lets
// the rest of the event loop run first (`setImmediate` runs after pending I/O; see
// peer/_yield.ts for the costs measured).
import { setImmediate } from "node:timers";

/** How long a sync may work before letting other work run. */
const TURN_MS = 2;

/** Yields to the event loop when the current turn has lasted long enough. */
export class Turn {
  #start = performance.now();

  /** Resolves at once within a turn; on a later turn of the event loop past it. */
  async pass(): Promise<void> {
    if (performance.now() - this.#start < TURN_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#start = performance.now();
  }
}

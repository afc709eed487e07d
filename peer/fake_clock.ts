// A clock for tests: time moves only when told to, and timers fire in due order, with the
// promise jobs they start run to completion before the next one fires.
import type { Clock, Timer } from "./clock.ts";

interface Scheduled {
  readonly id: number;
  due: number;
  readonly intervalMs: number | undefined;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A manually driven {@linkcode Clock}.
 *
 * `tick` fires every timer due within the step, in order of due time (then creation), with
 * `now()` set to each timer's due time while it runs, and lets pending promise jobs and I/O
 * callbacks settle after each one, so async pipelines react as they would in real time.
 *
 * @example
 * ```ts
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const clock = new FakeClock(1_700_000_000_000);
 * let fired = 0;
 * const timer = clock.setInterval(() => fired++, 1000);
 * await clock.tick(3500);
 * timer.cancel();
 * assertEquals(fired, 3);
 * assertEquals(clock.now(), 1_700_000_003_500);
 * ```
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: Scheduled[] = [];

  /**
   * Creates a clock.
   *
   * @param startMs The initial time in milliseconds since the epoch (default 2026-01-01).
   */
  constructor(startMs: number = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }

  /** The current fake time in milliseconds since the epoch. */
  now(): number {
    return this.#now;
  }

  /**
   * Schedules `callback` once, `delayMs` from now.
   *
   * @param callback What to run.
   * @param delayMs The delay.
   * @returns A handle that cancels it.
   */
  setTimeout(callback: () => void, delayMs: number): Timer {
    return this.#schedule(callback, Math.max(0, delayMs), undefined);
  }

  /**
   * Schedules `callback` every `intervalMs` (at least 1 ms).
   *
   * @param callback What to run.
   * @param intervalMs The period.
   * @returns A handle that cancels it.
   */
  setInterval(callback: () => void, intervalMs: number): Timer {
    return this.#schedule(callback, Math.max(1, intervalMs), Math.max(1, intervalMs));
  }

  /** How many timers are scheduled and not cancelled; tests use it to prove cleanup. */
  get pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /**
   * Moves time forward by `ms`, firing what falls due, and settles pending work.
   *
   * @param ms How far to move (default 0: only settle and fire what is already due).
   * @returns A promise that resolves once time has moved and the fired work settled.
   */
  async tick(ms: number = 0): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#nextDue(end);
      if (next === undefined) break;
      this.#now = next.due;
      if (next.intervalMs === undefined) {
        next.cancelled = true;
      } else {
        next.due += next.intervalMs;
      }
      next.callback();
      await settle();
    }
    this.#now = end;
    this.#timers = this.#timers.filter((t) => !t.cancelled);
    await settle();
  }

  #schedule(callback: () => void, delayMs: number, intervalMs: number | undefined): Timer {
    const entry: Scheduled = {
      id: this.#nextId++,
      due: this.#now + delayMs,
      intervalMs,
      callback,
      cancelled: false,
    };
    this.#timers.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  #nextDue(end: number): Scheduled | undefined {
    let best: Scheduled | undefined;
    for (const t of this.#timers) {
      if (t.cancelled || t.due > end) continue;
      if (best === undefined || t.due < best.due || (t.due === best.due && t.id < best.id)) {
        best = t;
      }
    }
    return best;
  }
}

/** Lets promise jobs and stream callbacks run: a few macrotask turns of the real loop. */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

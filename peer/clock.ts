// Time, injectable: every timer of a peer (negotiation, idle, stall tick, ping, trickle) and of
// the address manager (periodic save) goes through a Clock, so tests drive time with a
// FakeClock and never sleep.
import { schedule } from "./_timer_lists.ts";

/** A scheduled callback; `cancel()` is idempotent. */
export interface Timer {
  /** Stops the timer; calling it again, or after the timer fired, does nothing. */
  cancel(): void;
}

/**
 * The source of time and timers.
 *
 * @example
 * ```ts
 * import { type Clock, FakeClock, SYSTEM_CLOCK } from "@btcstream/p2p/peer";
 * import { assert, assertEquals } from "@std/assert";
 * // Code that takes a Clock runs on the system clock, and on a fake one in tests.
 * function remind(clock: Clock, reminders: string[]): void {
 *   clock.setTimeout(() => reminders.push("ping due"), 120_000);
 * }
 * const clock = new FakeClock();
 * const reminders: string[] = [];
 * remind(clock, reminders);
 * await clock.tick(120_000);
 * assertEquals(reminders, ["ping due"]);
 * const timer = SYSTEM_CLOCK.setTimeout(() => reminders.push("never"), 1000);
 * timer.cancel();
 * assert(SYSTEM_CLOCK.now() > 0);
 * ```
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * A monotonic time in milliseconds with sub-millisecond resolution, for measuring short
   * intervals (ping round trips); optional: `now()` is used where absent.
   */
  monotonicNow?(): number;
  /**
   * Calls `callback` once, after `delayMs`.
   *
   * @param callback What to run.
   * @param delayMs The delay in milliseconds.
   * @returns A handle that cancels it.
   */
  setTimeout(callback: () => void, delayMs: number): Timer;
  /**
   * Calls `callback` every `intervalMs` until cancelled.
   *
   * @param callback What to run.
   * @param intervalMs The period in milliseconds.
   * @returns A handle that cancels it.
   */
  setInterval(callback: () => void, intervalMs: number): Timer;
}

/**
 * The real clock: `Date.now()`, and the runtime's timers shared by duration (all timers of one
 * duration use one runtime timer; see `_timer_lists.ts`).
 *
 * @example
 * ```ts
 * import { SYSTEM_CLOCK } from "@btcstream/p2p/peer";
 * import { assert } from "@std/assert";
 * assert(Math.abs(SYSTEM_CLOCK.now() - Date.now()) < 1000);
 * ```
 */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  monotonicNow: () => performance.now(),
  setTimeout: (callback, delayMs) => schedule(callback, delayMs, false),
  setInterval: (callback, intervalMs) => schedule(callback, intervalMs, true),
};

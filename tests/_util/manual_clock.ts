// A clock for tests whose time is set directly, backwards too; its timers never fire.
import type { Clock } from "../../peer/clock.ts";

/** A clock whose time is set directly, backwards too. */
export function manualClock(startMs: number): Clock & { set(ms: number): void } {
  let now = startMs;
  const never = { cancel() {} };
  return {
    now: () => now,
    set: (ms) => void (now = ms),
    setTimeout: () => never,
    setInterval: () => never,
  };
}

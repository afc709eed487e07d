// The system clock's shared timer lists: order, repetition and cancellation, with real (short)
// timers. Nothing here asserts how long anything took, only what fired and in which order.
import { assertEquals } from "@std/assert";
import { SYSTEM_CLOCK } from "../../peer/clock.ts";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("SYSTEM_CLOCK timers", async (t) => {
  await t.step("timers of one duration fire in the order scheduled", async () => {
    const fired: number[] = [];
    for (let i = 0; i < 5; i++) SYSTEM_CLOCK.setTimeout(() => fired.push(i), 5);
    await sleep(40);
    assertEquals(fired, [0, 1, 2, 3, 4]);
  });

  await t.step("a shorter duration scheduled later fires first", async () => {
    const fired: string[] = [];
    SYSTEM_CLOCK.setTimeout(() => fired.push("long"), 30);
    SYSTEM_CLOCK.setTimeout(() => fired.push("short"), 1);
    await sleep(60);
    assertEquals(fired, ["short", "long"]);
  });

  await t.step("cancelled timers never fire; cancel is idempotent", async () => {
    const fired: string[] = [];
    const a = SYSTEM_CLOCK.setTimeout(() => fired.push("a"), 5);
    SYSTEM_CLOCK.setTimeout(() => fired.push("b"), 5);
    const c = SYSTEM_CLOCK.setTimeout(() => fired.push("c"), 5);
    a.cancel();
    a.cancel();
    c.cancel();
    await sleep(30);
    assertEquals(fired, ["b"]);
  });

  await t.step("an interval repeats until cancelled, also from inside its callback", async () => {
    let n = 0;
    const timer = SYSTEM_CLOCK.setInterval(() => {
      if (++n === 3) timer.cancel();
    }, 2);
    await sleep(80);
    assertEquals(n, 3);
  });

  await t.step("a callback may cancel the next timer of its list", async () => {
    const fired: string[] = [];
    let second: { cancel(): void } | undefined = undefined;
    SYSTEM_CLOCK.setTimeout(() => {
      fired.push("first");
      second?.cancel();
    }, 3);
    second = SYSTEM_CLOCK.setTimeout(() => fired.push("second"), 3);
    SYSTEM_CLOCK.setTimeout(() => fired.push("third"), 3);
    await sleep(30);
    assertEquals(fired, ["first", "third"]);
  });

  await t.step("cancelling everything leaves no runtime timer (the sanitizer checks)", () => {
    const timers = Array.from({ length: 100 }, (_, i) => SYSTEM_CLOCK.setTimeout(() => {}, i));
    for (const timer of timers) timer.cancel();
  });
});

// The system clock's shared timer lists: order, repetition and cancellation. SYSTEM_CLOCK sits
// on the runtime's global timers and performance.now(), so FakeTime stands in for the timers and
// a stub of performance.now() follows it: nothing sleeps, and a loaded machine cannot reorder
// what fires. The last step uses the real timers, for the sanitizer to see that none is left.
import { assertEquals } from "@std/assert";
import { stub } from "@std/testing/mock";
import { FakeTime } from "@std/testing/time";
import { SYSTEM_CLOCK } from "../../peer/clock.ts";

Deno.test("SYSTEM_CLOCK timers", async (t) => {
  await t.step("timers of one duration fire in the order scheduled", () => {
    using time = new FakeTime();
    using _now = stub(performance, "now", () => time.now);
    const fired: number[] = [];
    for (let i = 0; i < 5; i++) SYSTEM_CLOCK.setTimeout(() => fired.push(i), 5);
    time.tick(4);
    assertEquals(fired, []);
    time.tick(1);
    assertEquals(fired, [0, 1, 2, 3, 4]);
  });

  await t.step("a shorter duration scheduled later fires first", () => {
    using time = new FakeTime();
    using _now = stub(performance, "now", () => time.now);
    const fired: string[] = [];
    SYSTEM_CLOCK.setTimeout(() => fired.push("long"), 30);
    SYSTEM_CLOCK.setTimeout(() => fired.push("short"), 1);
    time.tick(1);
    assertEquals(fired, ["short"]);
    time.tick(29);
    assertEquals(fired, ["short", "long"]);
  });

  await t.step("cancelled timers never fire; cancel is idempotent", () => {
    using time = new FakeTime();
    using _now = stub(performance, "now", () => time.now);
    const fired: string[] = [];
    const a = SYSTEM_CLOCK.setTimeout(() => fired.push("a"), 5);
    SYSTEM_CLOCK.setTimeout(() => fired.push("b"), 5);
    const c = SYSTEM_CLOCK.setTimeout(() => fired.push("c"), 5);
    a.cancel();
    a.cancel();
    c.cancel();
    time.tick(30);
    assertEquals(fired, ["b"]);
  });

  await t.step("an interval repeats until cancelled, also from inside its callback", () => {
    using time = new FakeTime();
    using _now = stub(performance, "now", () => time.now);
    let n = 0;
    const timer = SYSTEM_CLOCK.setInterval(() => {
      if (++n === 3) timer.cancel();
    }, 2);
    time.tick(2);
    assertEquals(n, 1);
    time.tick(78);
    assertEquals(n, 3);
  });

  await t.step("a callback may cancel the next timer of its list", () => {
    using time = new FakeTime();
    using _now = stub(performance, "now", () => time.now);
    const fired: string[] = [];
    let second: { cancel(): void } | undefined = undefined;
    SYSTEM_CLOCK.setTimeout(() => {
      fired.push("first");
      second?.cancel();
    }, 3);
    second = SYSTEM_CLOCK.setTimeout(() => fired.push("second"), 3);
    SYSTEM_CLOCK.setTimeout(() => fired.push("third"), 3);
    time.tick(3);
    assertEquals(fired, ["first", "third"]);
  });

  await t.step("cancelling everything leaves no runtime timer (the sanitizer checks)", () => {
    const timers = Array.from({ length: 100 }, (_, i) => SYSTEM_CLOCK.setTimeout(() => {}, i));
    for (const timer of timers) timer.cancel();
  });
});

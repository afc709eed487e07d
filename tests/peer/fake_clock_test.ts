import { assertEquals } from "@std/assert";
import { assertSpyCalls, spy } from "@std/testing/mock";
import { FakeTime } from "@std/testing/time";
import { FakeClock } from "../../peer/fake_clock.ts";
import { SYSTEM_CLOCK } from "../../peer/clock.ts";

const START = Date.UTC(2026, 0, 1);

Deno.test("FakeClock", async (t) => {
  await t.step("starts at 2026-01-01 by default, or at the given time", () => {
    assertEquals(new FakeClock().now(), START);
    assertEquals(new FakeClock(5_000).now(), 5_000);
  });

  await t.step("time moves only on tick, by exactly the step", async () => {
    const clock = new FakeClock(1_000);
    assertEquals(clock.now(), 1_000);
    await clock.tick(250);
    assertEquals(clock.now(), 1_250);
    await clock.tick();
    assertEquals(clock.now(), 1_250);
  });

  await t.step("fires timers in order of due time, then of creation", async () => {
    const clock = new FakeClock(0);
    const order: string[] = [];
    clock.setTimeout(() => order.push("a@300"), 300);
    clock.setTimeout(() => order.push("b@100"), 100);
    clock.setTimeout(() => order.push("c@100"), 100);
    clock.setTimeout(() => order.push("d@200"), 200);
    clock.setTimeout(() => order.push("e@100"), 100);
    await clock.tick(1_000);
    assertEquals(order, ["b@100", "c@100", "e@100", "d@200", "a@300"]);
  });

  await t.step("same due time set at different moments: the older timer first", async () => {
    const clock = new FakeClock(0);
    const order: string[] = [];
    clock.setTimeout(() => order.push("old"), 200);
    await clock.tick(100);
    clock.setTimeout(() => order.push("new"), 100);
    await clock.tick(100);
    assertEquals(order, ["old", "new"]);
  });

  await t.step("an interval keeps its creation rank on later periods", async () => {
    const clock = new FakeClock(0);
    const order: string[] = [];
    const interval = clock.setInterval(() => order.push(`i@${clock.now()}`), 100);
    clock.setTimeout(() => order.push(`t@${clock.now()}`), 200);
    await clock.tick(300);
    interval.cancel();
    assertEquals(order, ["i@100", "i@200", "t@200", "i@300"]);
  });

  await t.step("a timeout fires once, at its due time, not a millisecond before", async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 500);
    await clock.tick(499);
    assertEquals(fired, []);
    await clock.tick(1);
    assertEquals(fired, [500]);
    await clock.tick(10_000);
    assertEquals(fired, [500]);
  });

  await t.step("an interval fires every period, each time with now() at its due time", async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    const timer = clock.setInterval(() => fired.push(clock.now()), 1_000);
    await clock.tick(3_500);
    assertEquals(fired, [1_000, 2_000, 3_000]);
    await clock.tick(500);
    assertEquals(fired, [1_000, 2_000, 3_000, 4_000]);
    timer.cancel();
    await clock.tick(10_000);
    assertEquals(fired.length, 4);
  });

  await t.step("a 1 ms interval fires once per millisecond of a long tick", async () => {
    const clock = new FakeClock(0);
    const callback = spy();
    const timer = clock.setInterval(callback, 1);
    await clock.tick(50);
    timer.cancel();
    assertSpyCalls(callback, 50);
  });

  await t.step("an interval of 0 or less runs every 1 ms instead of looping forever", async () => {
    const clock = new FakeClock(0);
    const zeroCallback = spy();
    const negativeCallback = spy();
    const zero = clock.setInterval(zeroCallback, 0);
    const negative = clock.setInterval(negativeCallback, -50);
    await clock.tick(5);
    zero.cancel();
    negative.cancel();
    assertSpyCalls(zeroCallback, 5);
    assertSpyCalls(negativeCallback, 5);
  });

  await t.step("a negative timeout delay means now", async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), -100);
    await clock.tick();
    assertEquals(fired, [0]);
  });

  await t.step("now() after the tick is the end of the step, whatever fired", async () => {
    const clock = new FakeClock(0);
    clock.setTimeout(() => {}, 10);
    await clock.tick(1_000);
    assertEquals(clock.now(), 1_000);
  });

  await t.step("cancel before due: never fires", async () => {
    const clock = new FakeClock(0);
    const callback = spy();
    const timer = clock.setTimeout(callback, 100);
    timer.cancel();
    await clock.tick(1_000);
    assertSpyCalls(callback, 0);
  });

  await t.step("cancel is idempotent, and harmless after the timer fired", async () => {
    const clock = new FakeClock(0);
    const callback = spy();
    const timer = clock.setTimeout(callback, 100);
    await clock.tick(100);
    assertSpyCalls(callback, 1);
    timer.cancel();
    timer.cancel();
    const other = clock.setTimeout(callback, 100);
    other.cancel();
    other.cancel();
    await clock.tick(1_000);
    assertSpyCalls(callback, 1);
    assertEquals(clock.pendingTimers, 0);
  });

  await t.step("cancelling one timer does not cancel another", async () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    const a = clock.setTimeout(() => fired.push("a"), 100);
    clock.setTimeout(() => fired.push("b"), 100);
    a.cancel();
    await clock.tick(100);
    assertEquals(fired, ["b"]);
  });

  await t.step("an interval cancelled inside its own callback stops", async () => {
    const clock = new FakeClock(0);
    let fired = 0;
    const timer = clock.setInterval(() => {
      fired++;
      if (fired === 2) timer.cancel();
    }, 100);
    await clock.tick(1_000);
    assertEquals(fired, 2);
    assertEquals(clock.pendingTimers, 0);
  });

  await t.step("a callback can cancel a timer due at the same time, later in order", async () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    // deno-lint-ignore prefer-const
    let second: { cancel(): void };
    clock.setTimeout(() => {
      fired.push("first");
      second.cancel();
    }, 100);
    second = clock.setTimeout(() => fired.push("second"), 100);
    await clock.tick(100);
    assertEquals(fired, ["first"]);
  });

  await t.step("pendingTimers counts scheduled, uncancelled, unfired timers", async () => {
    const clock = new FakeClock(0);
    assertEquals(clock.pendingTimers, 0);
    const a = clock.setTimeout(() => {}, 100);
    clock.setTimeout(() => {}, 300);
    const interval = clock.setInterval(() => {}, 50);
    assertEquals(clock.pendingTimers, 3);
    a.cancel();
    assertEquals(clock.pendingTimers, 2);
    await clock.tick(200);
    assertEquals(clock.pendingTimers, 2, "the interval and the 300 ms timeout");
    await clock.tick(100);
    assertEquals(clock.pendingTimers, 1, "the interval");
    interval.cancel();
    assertEquals(clock.pendingTimers, 0);
  });

  await t.step("a fired timeout no longer counts while its callback runs", async () => {
    const clock = new FakeClock(0);
    let during = -1;
    clock.setTimeout(() => during = clock.pendingTimers, 10);
    await clock.tick(10);
    assertEquals(during, 0);
  });

  await t.step("tick(0) settles promise jobs and stream pipes", async () => {
    const clock = new FakeClock(0);
    let chained = false;
    (async () => {
      for (let i = 0; i < 50; i++) await Promise.resolve();
      chained = true;
    })();
    const seen: number[] = [];
    const piped = ReadableStream.from([1, 2, 3]).pipeTo(
      new WritableStream({ write: (n) => void seen.push(n) }),
    );
    await clock.tick(0);
    assertEquals(chained, true);
    assertEquals(seen, [1, 2, 3]);
    await piped;
  });

  await t.step("the promise jobs a timer starts settle before the next timer fires", async () => {
    const clock = new FakeClock(0);
    const log: string[] = [];
    clock.setTimeout(() => {
      (async () => {
        await Promise.resolve();
        await Promise.resolve();
        log.push("job of first");
      })();
      log.push("first");
    }, 100);
    clock.setTimeout(() => log.push("second"), 100);
    await clock.tick(100);
    assertEquals(log, ["first", "job of first", "second"]);
  });

  await t.step("a timer set from a callback fires within the same tick when due", async () => {
    const clock = new FakeClock(0);
    const fired: [string, number][] = [];
    clock.setTimeout(() => {
      fired.push(["outer", clock.now()]);
      clock.setTimeout(() => fired.push(["inner", clock.now()]), 50);
      clock.setTimeout(() => fired.push(["now", clock.now()]), 0);
      clock.setTimeout(() => fired.push(["late", clock.now()]), 500);
    }, 100);
    await clock.tick(200);
    assertEquals(fired, [["outer", 100], ["now", 100], ["inner", 150]]);
    assertEquals(clock.pendingTimers, 1);
    await clock.tick(400);
    assertEquals(fired.at(-1), ["late", 600]);
  });

  await t.step("a timer set from a promise job of a callback also fires when due", async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => {
      Promise.resolve().then(() => clock.setTimeout(() => fired.push(clock.now()), 10));
    }, 100);
    await clock.tick(200);
    assertEquals(fired, [110]);
  });

  await t.step(
    "a chain of timeouts each setting the next runs to the end of the tick",
    async () => {
      const clock = new FakeClock(0);
      const fired: number[] = [];
      const next = () => {
        fired.push(clock.now());
        clock.setTimeout(next, 100);
      };
      clock.setTimeout(next, 100);
      await clock.tick(450);
      assertEquals(fired, [100, 200, 300, 400]);
      assertEquals(clock.pendingTimers, 1);
    },
  );
});

Deno.test("SYSTEM_CLOCK", async (t) => {
  await t.step("now() is Date.now()", () => {
    using _time = new FakeTime(1_700_000_000_123);
    assertEquals(SYSTEM_CLOCK.now(), 1_700_000_000_123);
  });

  await t.step("cancelled timers never fire, and leave nothing for the sanitizer", async () => {
    const callback = spy();
    SYSTEM_CLOCK.setTimeout(callback, 0).cancel();
    SYSTEM_CLOCK.setInterval(callback, 1).cancel();
    await new FakeClock().tick();
    assertSpyCalls(callback, 0);
  });

  await t.step("a timeout of 0 fires", async () => {
    let fired = 0;
    await new Promise<void>((resolve) => {
      SYSTEM_CLOCK.setTimeout(() => {
        fired++;
        resolve();
      }, 0);
    });
    assertEquals(fired, 1);
  });
});

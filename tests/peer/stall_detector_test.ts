import { assertEquals, assertStrictEquals } from "@std/assert";
import { FakeClock } from "../../peer/fake_clock.ts";
import {
  STALL_RESPONSE_TIMEOUT_MS,
  STALL_TICK_INTERVAL_MS,
  StallDetector,
  type StallDetectorOptions,
} from "../../peer/stall_detector.ts";

const T0 = Date.UTC(2026, 0, 1);

function setup(options: Partial<StallDetectorOptions> = {}) {
  const clock = new FakeClock(T0);
  const stalls: [string, number][] = [];
  const stall = new StallDetector({
    clock,
    onStall: (command) => stalls.push([command, clock.now()]),
    ...options,
  });
  return { clock, stalls, stall };
}

/** The pending deadlines, relative to T0. */
function deadlines(stall: StallDetector): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [command, deadline] of stall.pending) out[command] = deadline - T0;
  return out;
}

Deno.test("StallDetector", async (t) => {
  await t.step("btcd's timings: 30 s to answer, checked every 15 s", () => {
    assertEquals(STALL_RESPONSE_TIMEOUT_MS, 30_000);
    assertEquals(STALL_TICK_INTERVAL_MS, 15_000);
  });

  await t.step("each request registers the deadlines of its responses (REFERENCE 1.5)", () => {
    const cases: [string, Record<string, number>][] = [
      ["version", { verack: 30_000 }],
      ["mempool", { inv: 30_000 }],
      ["getblocks", { inv: 30_000 }],
      ["getdata", { block: 30_000, merkleblock: 30_000, tx: 30_000, notfound: 30_000 }],
      ["getheaders", { headers: 90_000 }],
    ];
    for (const [command, expected] of cases) {
      const { stall } = setup();
      stall.sent(command);
      assertEquals(deadlines(stall), expected, command);
    }
  });

  await t.step("pings and other messages register nothing", () => {
    const { stall } = setup();
    for (
      const command of [
        "ping",
        "pong",
        "verack",
        "inv",
        "tx",
        "block",
        "headers",
        "getaddr",
        "addr",
        "sendheaders",
        "feefilter",
        "getcfilters",
        "__proto__",
        "constructor",
        "toString",
      ]
    ) {
      stall.sent(command);
    }
    assertEquals(stall.pending.size, 0);
  });

  await t.step("the deadline counts from the send time, and a resend moves it", async () => {
    const { clock, stall } = setup();
    await clock.tick(5_000);
    stall.sent("getheaders");
    assertEquals(deadlines(stall), { headers: 95_000 });
    await clock.tick(10_000);
    stall.sent("getheaders");
    assertEquals(deadlines(stall), { headers: 105_000 });
  });

  await t.step("a custom response timeout, tripled for getheaders", () => {
    const { stall } = setup({ responseTimeoutMs: 1_000 });
    stall.sent("getdata");
    stall.sent("getheaders");
    assertEquals(deadlines(stall), {
      block: 1_000,
      merkleblock: 1_000,
      tx: 1_000,
      notfound: 1_000,
      headers: 3_000,
    });
  });

  await t.step("receiving the response clears its deadline only", () => {
    const { stall } = setup();
    stall.sent("version");
    stall.sent("getheaders");
    stall.sent("mempool");
    stall.received("headers");
    assertEquals(Object.keys(deadlines(stall)).sort(), ["inv", "verack"]);
    stall.received("verack");
    assertEquals(Object.keys(deadlines(stall)), ["inv"]);
    stall.received("inv");
    assertEquals(stall.pending.size, 0);
  });

  await t.step("one inv answers both mempool and getblocks", () => {
    const { stall } = setup();
    stall.sent("mempool");
    stall.sent("getblocks");
    stall.received("inv");
    assertEquals(stall.pending.size, 0);
  });

  for (const response of ["block", "merkleblock", "tx", "notfound"]) {
    await t.step(`receiving ${response} clears all four getdata responses`, () => {
      const { stall } = setup();
      stall.sent("getdata");
      stall.sent("version");
      stall.received(response);
      assertEquals(deadlines(stall), { verack: 30_000 });
    });
  }

  await t.step("unrelated messages clear nothing", () => {
    const { stall } = setup();
    stall.sent("getdata");
    stall.sent("getheaders");
    for (const command of ["ping", "pong", "addr", "inv", "verack", "reject", "__proto__"]) {
      stall.received(command);
    }
    assertEquals(stall.pending.size, 5);
  });

  await t.step("an unsolicited response is harmless", () => {
    const { stall } = setup();
    stall.received("headers");
    stall.received("tx");
    assertEquals(stall.pending.size, 0);
  });

  await t.step(
    "on the tick: stalls at exactly the deadline, not a millisecond before",
    async () => {
      const { clock, stall, stalls } = setup({ tickIntervalMs: 1, responseTimeoutMs: 10 });
      stall.start();
      stall.sent("version");
      await clock.tick(9);
      assertEquals(stalls, []);
      await clock.tick(1);
      assertEquals(stalls, [["verack", T0 + 10]]);
      stall.stop();
    },
  );

  await t.step("with the default 15 s tick: a deadline on a tick fires on that tick", async () => {
    const { clock, stall, stalls } = setup();
    stall.start();
    stall.sent("version");
    await clock.tick(29_999);
    assertEquals(stalls, []);
    await clock.tick(1);
    assertEquals(stalls, [["verack", T0 + 30_000]]);
  });

  await t.step("with the default tick: a deadline between ticks fires on the next", async () => {
    const { clock, stall, stalls } = setup();
    stall.start();
    stall.sent("mempool"); // arms the ticks: 15,000, 30,000, ...
    await clock.tick(1);
    stall.sent("getheaders"); // due at 90,001
    stall.received("inv");
    await clock.tick(104_998);
    assertEquals(stalls, []);
    await clock.tick(1);
    assertEquals(stalls, [["headers", T0 + 105_000]]);
  });

  await t.step("the check timer runs only while a response is awaited", async () => {
    const { clock, stall, stalls } = setup();
    stall.start();
    assertEquals(clock.pendingTimers, 0, "nothing awaited: no timer");
    stall.sent("getdata");
    assertEquals(clock.pendingTimers, 1);
    await clock.tick(5_000);
    stall.received("block");
    await clock.tick(15_000);
    assertEquals(clock.pendingTimers, 0, "answered: the next check ends the timer");
    stall.sent("mempool");
    assertEquals(clock.pendingTimers, 1, "a new request arms it again");
    stall.stop();
    assertEquals(stalls, []);
  });

  await t.step("getheaders gets 90 s", async () => {
    const { clock, stall, stalls } = setup();
    stall.start();
    stall.sent("getheaders");
    await clock.tick(89_999);
    assertEquals(stalls, []);
    await clock.tick(1);
    assertEquals(stalls, [["headers", T0 + 90_000]]);
  });

  await t.step("check() by hand: boundaries", async () => {
    const { clock, stall, stalls } = setup();
    stall.sent("mempool");
    await clock.tick(29_999);
    stall.check();
    assertEquals(stalls, []);
    await clock.tick(1);
    stall.check();
    assertEquals(stalls, [["inv", T0 + 30_000]]);
  });

  await t.step("a response in time prevents the stall", async () => {
    const { clock, stall, stalls } = setup();
    stall.start();
    stall.sent("getdata");
    await clock.tick(29_999);
    stall.received("notfound");
    await clock.tick(10 * 60_000);
    assertEquals(stalls, []);
    stall.stop();
  });

  await t.step("with nothing pending, a check never stalls", async () => {
    const { clock, stall, stalls } = setup();
    stall.start();
    await clock.tick(10 * 60_000);
    assertEquals(stalls, []);
    stall.stop();
  });

  await t.step("onStall is called once, and the timer stops", async () => {
    const { clock, stall, stalls } = setup();
    stall.start();
    stall.sent("version");
    stall.sent("getdata");
    await clock.tick(30_000);
    assertEquals(stalls.length, 1);
    assertEquals(clock.pendingTimers, 0);
    stall.check();
    stall.sent("getheaders");
    await clock.tick(10 * 60_000);
    stall.check();
    assertEquals(stalls.length, 1);
  });

  await t.step("the first overdue response is named", async () => {
    const { clock, stall, stalls } = setup();
    stall.start();
    stall.sent("getheaders"); // 90 s
    await clock.tick(1_000);
    stall.sent("version"); // due at 31 s, checked at 45 s
    await clock.tick(43_999);
    assertEquals(stalls, []);
    await clock.tick(1);
    assertEquals(stalls, [["verack", T0 + 45_000]]);
  });

  await t.step("handler time extends every pending deadline", async () => {
    const { clock, stall, stalls } = setup();
    stall.sent("version"); // 30,000
    stall.sent("getheaders"); // 90,000
    await clock.tick(10_000);
    stall.handlerStarted();
    await clock.tick(7_000);
    stall.handlerDone();
    assertEquals(deadlines(stall), { verack: 37_000, headers: 97_000 });
    await clock.tick(36_999 - 17_000);
    stall.check();
    assertEquals(stalls, []);
    await clock.tick(1);
    stall.check();
    assertEquals(stalls, [["verack", T0 + 37_000]]);
  });

  await t.step("handler time adds up across handlers", async () => {
    const { clock, stall } = setup();
    stall.sent("mempool");
    for (let i = 0; i < 3; i++) {
      stall.handlerStarted();
      await clock.tick(2_000);
      stall.handlerDone();
      await clock.tick(1_000);
    }
    assertEquals(deadlines(stall), { inv: 36_000 });
  });

  await t.step(
    "a handler taking no time changes nothing; handlerDone alone is a no-op",
    async () => {
      const { clock, stall } = setup();
      stall.sent("mempool");
      stall.handlerStarted();
      stall.handlerDone();
      stall.handlerDone();
      await clock.tick(5_000);
      stall.handlerDone();
      assertEquals(deadlines(stall), { inv: 30_000 });
    },
  );

  await t.step("a handler still running extends deadlines during the check", async () => {
    const { clock, stall, stalls } = setup();
    stall.start();
    stall.sent("version"); // 30,000
    await clock.tick(10_000);
    stall.handlerStarted();
    await clock.tick(50_000); // at 60,000: 50 s spent in the handler so far
    assertEquals(stalls, []);
    stall.handlerDone(); // verack now due at 80,000, checked at 90,000
    assertEquals(deadlines(stall), { verack: 80_000 });
    await clock.tick(29_999);
    assertEquals(stalls, []);
    await clock.tick(1);
    assertEquals(stalls, [["verack", T0 + 90_000]]);
  });

  await t.step(
    "a handler begun before the deadline holds the stall off while it runs",
    async () => {
      const { clock, stall, stalls } = setup();
      stall.sent("mempool"); // 30,000
      await clock.tick(29_999);
      stall.handlerStarted();
      await clock.tick(60_000);
      stall.check();
      assertEquals(stalls, [], "its time so far moves the deadline as fast as the clock");
      stall.handlerDone(); // due at 90,000
      await clock.tick(0);
      stall.check();
      assertEquals(stalls, []);
      await clock.tick(1);
      stall.check();
      assertEquals(stalls, [["inv", T0 + 90_000]]);
    },
  );

  await t.step("a handler begun after the deadline does not save the peer", async () => {
    const { clock, stall, stalls } = setup();
    stall.sent("mempool"); // 30,000
    await clock.tick(30_000);
    stall.handlerStarted();
    await clock.tick(5_000);
    stall.check();
    assertEquals(stalls, [["inv", T0 + 35_000]]);
  });

  await t.step("stop cancels the timer; start is idempotent", async () => {
    const { clock, stall, stalls } = setup();
    stall.start();
    stall.start();
    stall.sent("version");
    assertEquals(clock.pendingTimers, 1);
    stall.stop();
    stall.stop();
    assertEquals(clock.pendingTimers, 0);
    await clock.tick(10 * 60_000);
    assertEquals(stalls, [], "no check runs once stopped");
  });

  await t.step("nothing is checked before start", async () => {
    const { clock, stall, stalls } = setup();
    stall.sent("version");
    await clock.tick(10 * 60_000);
    assertEquals(stalls, []);
    assertEquals(clock.pendingTimers, 0);
  });

  await t.step("a custom tick interval", async () => {
    const { clock, stall, stalls } = setup({ tickIntervalMs: 1_000, responseTimeoutMs: 2_500 });
    stall.start();
    stall.sent("version");
    await clock.tick(2_999);
    assertEquals(stalls, []);
    await clock.tick(1);
    assertEquals(stalls, [["verack", T0 + 3_000]]);
  });

  await t.step("the outbound tap passes frames through and registers deadlines", async () => {
    const { stall } = setup();
    const items = [
      { message: { command: "getheaders" }, id: 1 },
      { message: { command: "ping" }, id: 2 },
      { message: { command: "getdata" }, id: 3 },
    ];
    const out = await Array.fromAsync(ReadableStream.from(items).pipeThrough(stall.outbound()));
    assertEquals(out.length, 3);
    out.forEach((item, i) => assertStrictEquals(item, items[i], "the very same objects"));
    assertEquals(Object.keys(deadlines(stall)).sort(), [
      "block",
      "headers",
      "merkleblock",
      "notfound",
      "tx",
    ]);
  });

  await t.step("the inbound tap passes messages through and clears deadlines", async () => {
    const { stall } = setup();
    stall.sent("getheaders");
    stall.sent("version");
    const messages = [{ command: "headers", n: 1 }, { command: "pong", n: 2 }];
    const out = await Array.fromAsync(ReadableStream.from(messages).pipeThrough(stall.inbound()));
    assertEquals(out.length, 2);
    out.forEach((m, i) => assertStrictEquals(m, messages[i]));
    assertEquals(deadlines(stall), { verack: 30_000 });
  });
});

import { assert, assertEquals, assertStrictEquals, fail } from "@std/assert";
import { assertSpyCalls, spy } from "@std/testing/mock";
import { FakeClock } from "../../peer/fake_clock.ts";
import {
  IDLE_TIMEOUT_MS,
  Keepalive,
  type KeepaliveOptions,
  PING_INTERVAL_MS,
  randomNonce,
} from "../../peer/keepalive.ts";
import type { Message } from "../../wire/mod.ts";

const T0 = Date.UTC(2026, 0, 1);

function setup(options: Partial<KeepaliveOptions> = {}) {
  const clock = new FakeClock(T0);
  const pings: [bigint, number][] = [];
  const idles: number[] = [];
  const keepalive = new Keepalive({
    clock,
    sendPing: (nonce) => pings.push([nonce, clock.now() - T0]),
    onIdle: () => idles.push(clock.now() - T0),
    ...options,
  });
  return { clock, pings, idles, keepalive };
}

Deno.test("Keepalive", async (t) => {
  await t.step("btcd's timings: ping every 2 min, idle after 5 min", () => {
    assertEquals(PING_INTERVAL_MS, 120_000);
    assertEquals(IDLE_TIMEOUT_MS, 300_000);
  });

  await t.step("a ping every interval, each with a fresh non-zero nonce", async () => {
    const { clock, pings, keepalive } = setup({ idleTimeoutMs: 60 * 60_000 });
    keepalive.start();
    await clock.tick(PING_INTERVAL_MS - 1);
    assertEquals(pings.length, 0);
    await clock.tick(1);
    assertEquals(pings.length, 1);
    await clock.tick(4 * PING_INTERVAL_MS);
    assertEquals(pings.map(([, at]) => at), [120_000, 240_000, 360_000, 480_000, 600_000]);
    const nonces = pings.map(([nonce]) => nonce);
    for (const nonce of nonces) {
      assert(nonce > 0n && nonce < 1n << 64n, `nonce ${nonce}`);
    }
    assertEquals(new Set(nonces).size, nonces.length);
    keepalive.stop();
  });

  await t.step("a custom ping interval", async () => {
    const { clock, pings, keepalive } = setup({ pingIntervalMs: 1_000 });
    keepalive.start();
    await clock.tick(3_000);
    assertEquals(pings.map(([, at]) => at), [1_000, 2_000, 3_000]);
    keepalive.stop();
  });

  await t.step("sending a ping does not by itself record it: pingSent does", async () => {
    const { clock, keepalive } = setup();
    keepalive.start();
    await clock.tick(PING_INTERVAL_MS);
    assertEquals(keepalive.lastPingNonce, 0n);
    assertEquals(keepalive.lastPingTime, 0);
    keepalive.stop();
  });

  await t.step("the round trip of the pong echoing the nonce", async () => {
    const { clock, keepalive } = setup();
    assertEquals(keepalive.lastPingMicros, 0);
    await clock.tick(1_000);
    keepalive.pingSent(42n);
    assertEquals(keepalive.lastPingNonce, 42n);
    assertEquals(keepalive.lastPingTime, T0 + 1_000);
    await clock.tick(250);
    keepalive.received({ command: "pong", nonce: 42n });
    assertEquals(keepalive.lastPingMicros, 250_000);
    assertEquals(keepalive.lastPingNonce, 0n, "answered: nothing awaited any more");
  });

  await t.step("a pong with another nonce is ignored", async () => {
    const { clock, keepalive } = setup();
    keepalive.pingSent(42n);
    await clock.tick(100);
    keepalive.received({ command: "pong", nonce: 43n });
    keepalive.received({ command: "pong" });
    keepalive.received({ command: "ping", nonce: 42n });
    assertEquals(keepalive.lastPingMicros, 0);
    assertEquals(keepalive.lastPingNonce, 42n);
    await clock.tick(100);
    keepalive.received({ command: "pong", nonce: 42n });
    assertEquals(keepalive.lastPingMicros, 200_000);
  });

  await t.step("a second pong with the same nonce is ignored", async () => {
    const { clock, keepalive } = setup();
    keepalive.pingSent(7n);
    await clock.tick(30);
    keepalive.received({ command: "pong", nonce: 7n });
    await clock.tick(5_000);
    keepalive.received({ command: "pong", nonce: 7n });
    assertEquals(keepalive.lastPingMicros, 30_000);
  });

  await t.step("a pong of nonce 0 never matches, even with no ping out", async () => {
    const { clock, keepalive } = setup();
    await clock.tick(1_000);
    keepalive.received({ command: "pong", nonce: 0n });
    assertEquals(keepalive.lastPingMicros, 0);
  });

  await t.step("a newer ping replaces the awaited nonce", async () => {
    const { clock, keepalive } = setup();
    keepalive.pingSent(1n);
    await clock.tick(1_000);
    keepalive.pingSent(2n);
    await clock.tick(40);
    keepalive.received({ command: "pong", nonce: 1n });
    assertEquals(keepalive.lastPingMicros, 0);
    keepalive.received({ command: "pong", nonce: 2n });
    assertEquals(keepalive.lastPingMicros, 40_000);
  });

  await t.step("idle fires once, after exactly idleTimeout of silence", async () => {
    const { clock, idles, pings, keepalive } = setup();
    keepalive.start();
    await clock.tick(IDLE_TIMEOUT_MS - 1);
    assertEquals(idles, []);
    await clock.tick(1);
    assertEquals(idles, [IDLE_TIMEOUT_MS]);
    assertEquals(clock.pendingTimers, 0, "idle stops the keepalive");
    const pingsBefore = pings.length;
    await clock.tick(60 * 60_000);
    assertEquals(idles, [IDLE_TIMEOUT_MS]);
    assertEquals(pings.length, pingsBefore, "no more pings once idle");
  });

  await t.step("pings we send do not count as activity", async () => {
    const { clock, idles, keepalive } = setup({ pingIntervalMs: 1_000, idleTimeoutMs: 5_000 });
    keepalive.start();
    await clock.tick(5_000);
    assertEquals(idles, [5_000]);
  });

  await t.step(
    "messages arriving keep it alive; idle comes idleTimeout after the last",
    async () => {
      const { clock, idles, keepalive } = setup();
      keepalive.start();
      for (let i = 0; i < 20; i++) {
        await clock.tick(60_000);
        keepalive.received({ command: "inv" });
        assertEquals(clock.pendingTimers, 1, "a message costs a timestamp, not a timer");
      }
      assertEquals(idles, []);
      const last = 20 * 60_000;
      await clock.tick(IDLE_TIMEOUT_MS - 1);
      assertEquals(idles, []);
      await clock.tick(1);
      assertEquals(idles, [last + IDLE_TIMEOUT_MS]);
    },
  );

  await t.step(
    "lazy re-arm: a message just before the timeout pushes it a full period",
    async () => {
      const { clock, idles, keepalive } = setup();
      keepalive.start();
      await clock.tick(IDLE_TIMEOUT_MS - 1);
      keepalive.received({ command: "ping", nonce: 1n });
      await clock.tick(IDLE_TIMEOUT_MS - 1);
      assertEquals(idles, []);
      await clock.tick(1);
      assertEquals(idles, [2 * IDLE_TIMEOUT_MS - 1]);
    },
  );

  await t.step("a message handled at the very millisecond of the timeout counts", async () => {
    const { clock, idles, keepalive } = setup({ idleTimeoutMs: 1_000 });
    // Set first, so it runs before the idle check due at the same time.
    clock.setTimeout(() => keepalive.received({ command: "inv" }), 1_000);
    keepalive.start();
    await clock.tick(1_000);
    assertEquals(idles, []);
    await clock.tick(1_000);
    assertEquals(idles, [2_000]);
  });

  await t.step("stop cancels everything, is idempotent, and start does not revive it", async () => {
    const { clock, idles, pings, keepalive } = setup();
    keepalive.start();
    keepalive.start();
    assertEquals(clock.pendingTimers, 1, "start twice: still one timer for ping and idleness");
    keepalive.stop();
    keepalive.stop();
    assertEquals(clock.pendingTimers, 0);
    keepalive.start();
    assertEquals(clock.pendingTimers, 0);
    await clock.tick(60 * 60_000);
    assertEquals(pings, []);
    assertEquals(idles, []);
  });

  await t.step("stop from inside sendPing stops the rest", async () => {
    const clock = new FakeClock(T0);
    const sendPing = spy(() => keepalive.stop());
    const keepalive: Keepalive = new Keepalive({
      clock,
      sendPing,
      onIdle: () => fail("idle after stop"),
    });
    keepalive.start();
    await clock.tick(60 * 60_000);
    assertSpyCalls(sendPing, 1);
    assertEquals(clock.pendingTimers, 0);
  });

  await t.step("nothing runs before start", async () => {
    const { clock, idles, pings } = setup();
    await clock.tick(60 * 60_000);
    assertEquals(pings, []);
    assertEquals(idles, []);
    assertEquals(clock.pendingTimers, 0);
  });

  await t.step("idle counts from start, not from construction", async () => {
    const { clock, idles, keepalive } = setup();
    await clock.tick(10 * 60_000);
    keepalive.start();
    await clock.tick(IDLE_TIMEOUT_MS - 1);
    assertEquals(idles, []);
    await clock.tick(1);
    assertEquals(idles, [10 * 60_000 + IDLE_TIMEOUT_MS]);
  });

  await t.step("the outbound tap passes frames through and records pings", async () => {
    const { clock, keepalive } = setup();
    await clock.tick(500);
    const items: { message: Message; id: number }[] = [
      { message: { command: "verack" }, id: 1 },
      { message: { command: "ping", nonce: 99n }, id: 2 },
      { message: { command: "pong", nonce: 5n }, id: 3 },
    ];
    const out = await Array.fromAsync(
      ReadableStream.from(items).pipeThrough(keepalive.outbound()),
    );
    assertEquals(out.length, 3);
    out.forEach((item, i) => assertStrictEquals(item, items[i]));
    assertEquals(keepalive.lastPingNonce, 99n);
    assertEquals(keepalive.lastPingTime, T0 + 500);
  });

  await t.step("the inbound tap passes messages through, times pongs, resets idle", async () => {
    const { clock, idles, keepalive } = setup({ idleTimeoutMs: 10_000 });
    keepalive.start();
    keepalive.pingSent(5n);
    await clock.tick(9_000);
    const messages: Message[] = [{ command: "inv", inventory: [] }, { command: "pong", nonce: 5n }];
    const out = await Array.fromAsync(
      ReadableStream.from(messages).pipeThrough(keepalive.inbound()),
    );
    assertEquals(out.length, 2);
    out.forEach((m, i) => assertStrictEquals(m, messages[i]));
    assertEquals(keepalive.lastPingMicros, 9_000_000);
    await clock.tick(9_999);
    assertEquals(idles, []);
    await clock.tick(1);
    assertEquals(idles, [19_000]);
  });
});

Deno.test("randomNonce", async (t) => {
  await t.step("non-zero 64-bit values, distinct over many draws", () => {
    const seen = new Set<bigint>();
    let high = false;
    for (let i = 0; i < 1_000; i++) {
      const nonce = randomNonce();
      assertEquals(typeof nonce, "bigint");
      assert(nonce > 0n && nonce < 1n << 64n, `nonce ${nonce}`);
      if (nonce >= 1n << 63n) high = true;
      seen.add(nonce);
    }
    assertEquals(seen.size, 1_000);
    assert(high, "the top bit is used (about half the draws)");
  });
});

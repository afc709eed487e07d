import { assertEquals, assertNotStrictEquals, assertStrictEquals } from "@std/assert";
import { FakeClock } from "../../peer/fake_clock.ts";
import { OTHER_COMMANDS, TrafficStats } from "../../peer/stats.ts";
import { snapshotOf, type SnapshotSource } from "../../peer/stats_snapshot.ts";
import { COMMANDS } from "../../wire/mod.ts";

const T0 = Date.UTC(2026, 0, 1);

function source(traffic: TrafficStats): SnapshotSource {
  return {
    id: 7,
    address: "203.0.113.7:8333",
    services: 1033n,
    inbound: true,
    connectedAt: T0 - 1_000,
    timeOffset: -3,
    version: 70016,
    userAgent: "/Satoshi:27.0.0/",
    startingHeight: 850_000,
    lastBlock: 850_010,
    lastPingNonce: 0xdeadbeefn,
    lastPingTime: T0 - 500,
    lastPingMicros: 1_234,
    traffic,
  };
}

Deno.test("TrafficStats", async (t) => {
  await t.step("starts at zero", () => {
    const stats = new TrafficStats(new FakeClock(T0));
    assertEquals(stats.bytesSent, 0);
    assertEquals(stats.bytesReceived, 0);
    assertEquals(stats.lastSent, 0);
    assertEquals(stats.lastReceived, 0);
    assertEquals(stats.sentByCommand.size, 0);
    assertEquals(stats.receivedByCommand.size, 0);
  });

  await t.step("counts bytes and messages per direction and command, with times", async () => {
    const clock = new FakeClock(T0);
    const stats = new TrafficStats(clock);
    stats.recordSent("version", 126);
    await clock.tick(10);
    stats.recordReceived("version", 127);
    await clock.tick(10);
    stats.recordSent("ping", 32);
    stats.recordSent("ping", 32);
    await clock.tick(5);
    stats.recordReceived("pong", 32);
    assertEquals(stats.bytesSent, 190);
    assertEquals(stats.bytesReceived, 159);
    assertEquals(stats.lastSent, T0 + 20);
    assertEquals(stats.lastReceived, T0 + 25);
    assertEquals(Object.fromEntries(stats.sentByCommand), {
      version: { messages: 1, bytes: 126 },
      ping: { messages: 2, bytes: 64 },
    });
    assertEquals(Object.fromEntries(stats.receivedByCommand), {
      version: { messages: 1, bytes: 127 },
      pong: { messages: 1, bytes: 32 },
    });
  });

  await t.step("one direction does not touch the other", () => {
    const stats = new TrafficStats(new FakeClock(T0));
    stats.recordSent("inv", 61);
    assertEquals(stats.bytesReceived, 0);
    assertEquals(stats.lastReceived, 0);
    assertEquals(stats.receivedByCommand.size, 0);
  });

  await t.step("every known command has its own counter", () => {
    const stats = new TrafficStats(new FakeClock(T0));
    for (const command of COMMANDS) stats.recordReceived(command, 24);
    assertEquals(stats.receivedByCommand.size, COMMANDS.length);
    assertEquals(stats.receivedByCommand.has(OTHER_COMMANDS), false);
  });

  await t.step("unknown commands share the *other* counter, both ways", () => {
    const stats = new TrafficStats(new FakeClock(T0));
    assertEquals(OTHER_COMMANDS, "*other*");
    stats.recordReceived("feature", 30);
    stats.recordReceived("unknown", 24);
    stats.recordReceived("VERSION", 24);
    stats.recordSent("mystery", 40);
    assertEquals(Object.fromEntries(stats.receivedByCommand), {
      "*other*": { messages: 3, bytes: 78 },
    });
    assertEquals(Object.fromEntries(stats.sentByCommand), {
      "*other*": { messages: 1, bytes: 40 },
    });
    assertEquals(stats.bytesReceived, 78, "totals still count them");
  });

  await t.step("a remote naming 10,000 different commands leaves a bounded table", () => {
    const stats = new TrafficStats(new FakeClock(T0));
    stats.recordReceived("inv", 61);
    for (let i = 0; i < 10_000; i++) stats.recordReceived(`cmd${i}`, 24);
    assertEquals(stats.receivedByCommand.size, 2);
    assertEquals(stats.receivedByCommand.get(OTHER_COMMANDS), {
      messages: 10_000,
      bytes: 240_000,
    });
  });

  await t.step("__proto__ and Object.prototype names pollute nothing", () => {
    const stats = new TrafficStats(new FakeClock(T0));
    const names = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];
    for (const name of names) {
      stats.recordReceived(name, 24);
      stats.recordSent(name, 24);
    }
    assertEquals([...stats.receivedByCommand.keys()], [OTHER_COMMANDS]);
    assertEquals([...stats.sentByCommand.keys()], [OTHER_COMMANDS]);
    assertEquals(stats.receivedByCommand.get(OTHER_COMMANDS)!.messages, names.length);
    const plain: Record<string, unknown> = {};
    assertStrictEquals(Object.getPrototypeOf(plain), Object.prototype);
    assertEquals("messages" in plain, false);
    assertEquals(typeof plain.toString, "function");

    const snapshot = snapshotOf(source(stats));
    assertEquals(Object.getPrototypeOf(snapshot.receivedPerCommand), null);
    assertEquals(Object.keys(snapshot.receivedPerCommand), [OTHER_COMMANDS]);
    assertEquals(Object.hasOwn(snapshot.receivedPerCommand, "__proto__"), false);
  });
});

Deno.test("snapshotOf", async (t) => {
  await t.step("copies every field of the source and the counters", async () => {
    const clock = new FakeClock(T0);
    const traffic = new TrafficStats(clock);
    traffic.recordSent("version", 126);
    await clock.tick(3);
    traffic.recordReceived("verack", 24);
    const snapshot = snapshotOf(source(traffic));
    assertEquals({ ...snapshot }, {
      id: 7,
      address: "203.0.113.7:8333",
      services: 1033n,
      lastSent: T0,
      lastReceived: T0 + 3,
      bytesSent: 126,
      bytesReceived: 24,
      connectedAt: T0 - 1_000,
      timeOffset: -3,
      version: 70016,
      userAgent: "/Satoshi:27.0.0/",
      inbound: true,
      startingHeight: 850_000,
      lastBlock: 850_010,
      lastPingNonce: 0xdeadbeefn,
      lastPingTime: T0 - 500,
      lastPingMicros: 1_234,
      sentPerCommand: Object.assign(Object.create(null), {
        version: { messages: 1, bytes: 126 },
      }),
      receivedPerCommand: Object.assign(Object.create(null), {
        verack: { messages: 1, bytes: 24 },
      }),
    });
  });

  await t.step("later traffic does not change a snapshot taken before", async () => {
    const clock = new FakeClock(T0);
    const traffic = new TrafficStats(clock);
    traffic.recordSent("ping", 32);
    traffic.recordReceived("pong", 32);
    const snapshot = snapshotOf(source(traffic));
    await clock.tick(1_000);
    traffic.recordSent("ping", 32);
    traffic.recordSent("getaddr", 24);
    traffic.recordReceived("pong", 32);
    traffic.recordReceived("addr", 55);
    assertEquals(snapshot.bytesSent, 32);
    assertEquals(snapshot.bytesReceived, 32);
    assertEquals(snapshot.lastSent, T0);
    assertEquals(snapshot.lastReceived, T0);
    assertEquals(Object.keys(snapshot.sentPerCommand), ["ping"]);
    assertEquals(snapshot.sentPerCommand.ping, { messages: 1, bytes: 32 });
    assertEquals(snapshot.receivedPerCommand.pong, { messages: 1, bytes: 32 });
    assertEquals(snapshot.receivedPerCommand.addr, undefined);
  });

  await t.step("mutating a snapshot's counters does not touch the live ones", () => {
    const traffic = new TrafficStats(new FakeClock(T0));
    traffic.recordSent("inv", 61);
    const snapshot = snapshotOf(source(traffic));
    (snapshot.sentPerCommand.inv as { messages: number }).messages = 1_000;
    assertEquals(traffic.sentByCommand.get("inv"), { messages: 1, bytes: 61 });
    const again = snapshotOf(source(traffic));
    assertEquals(again.sentPerCommand.inv, { messages: 1, bytes: 61 });
  });

  await t.step("two snapshots share no counter objects", () => {
    const traffic = new TrafficStats(new FakeClock(T0));
    traffic.recordReceived("tx", 250);
    const a = snapshotOf(source(traffic));
    const b = snapshotOf(source(traffic));
    assertNotStrictEquals(a.receivedPerCommand, b.receivedPerCommand);
    assertNotStrictEquals(a.receivedPerCommand.tx, b.receivedPerCommand.tx);
    assertNotStrictEquals(a.receivedPerCommand.tx, traffic.receivedByCommand.get("tx"));
  });
});

// Every timer of a Peer, driven by a FakeClock: the negotiation deadline, stall detection per
// command (with the extension for time spent in handlers), pings, the idle timeout and the
// inventory trickle.
import { assertEquals, assertMatch, assertNotEquals } from "@std/assert";
import type { Message } from "../../wire/mod.ts";
import { InvType } from "../../wire/mod.ts";
import { connectedPeer, remoteVersion, startPeer } from "../_util/raw_remote.ts";

const hash = (n: number) => new Uint8Array(32).fill(n);

Deno.test("timers: the whole handshake must finish within 30 s", async (t) => {
  await t.step("outbound, the remote never answers", async () => {
    const { peer, remote, clock, close } = startPeer();
    await remote.expect("version");
    await clock.tick(29_999);
    assertEquals(peer.connected, false);
    let ended = false;
    peer.closed.then(() => (ended = true));
    await clock.tick(0);
    assertEquals(ended, false, "not before 30 s");
    await clock.tick(1);
    assertEquals(await peer.ready, false);
    const reason = await peer.closed;
    assertEquals(reason.code, "negotiation-timeout");
    assertMatch(reason.message, /after 30 s/);
    assertEquals(await remote.next(), undefined, "the connection is closed");
    assertEquals(clock.pendingTimers, 0);
    await close();
  });
  await t.step("inbound, the remote sends its version but never verack", async () => {
    const { peer, remote, clock, close } = startPeer({ inbound: true });
    await clock.tick(20_000);
    await remote.send(remoteVersion());
    await remote.expect("version");
    await clock.tick(9_999);
    assertEquals(peer.verAckReceived, false);
    await clock.tick(1);
    assertEquals((await peer.closed).code, "negotiation-timeout");
    assertEquals(clock.pendingTimers, 0);
    await close();
  });
  await t.step("a handshake done in time cancels the deadline", async () => {
    const { peer, remote, clock, close } = startPeer();
    await clock.tick(29_000);
    await remote.handshake();
    assertEquals(await peer.ready, true);
    await clock.tick(60_000);
    assertEquals(peer.connected, true);
    await close();
  });
  await t.step("negotiateTimeoutMs sets another deadline", async () => {
    const { peer, clock, close } = startPeer({ negotiateTimeoutMs: 5_000 });
    await clock.tick(5_000);
    assertEquals((await peer.closed).code, "negotiation-timeout");
    assertMatch((await peer.closed).message, /after 5 s/);
    await close();
  });
});

Deno.test("timers: a request unanswered past its deadline ends the peer as stalled", async (t) => {
  const zero = new Uint8Array(32);
  const requests: [string, Message, number, string][] = [
    [
      "getdata",
      {
        command: "getdata",
        inventory: [{ type: InvType.TX, hash: hash(1) }],
      },
      30_000,
      "block",
    ],
    ["mempool", { command: "mempool" }, 30_000, "inv"],
    [
      "getblocks",
      {
        command: "getblocks",
        protocolVersion: 70016,
        locator: [hash(1)],
        hashStop: zero,
      },
      30_000,
      "inv",
    ],
    [
      "getheaders",
      {
        command: "getheaders",
        protocolVersion: 70016,
        locator: [hash(1)],
        hashStop: zero,
      },
      90_000,
      "headers",
    ],
  ];
  for (const [command, request, deadlineMs, awaited] of requests) {
    await t.step(`${command}: stalled after ${deadlineMs / 1000} s`, async () => {
      const { peer, remote, clock, close } = await connectedPeer();
      assertEquals(await peer.queueMessage(request), true);
      // Checked every 15 s from the handshake: the check at the deadline finds it passed.
      await clock.tick(deadlineMs - 1);
      assertEquals(peer.connected, true, "not before the deadline");
      await clock.tick(1);
      const reason = await peer.closed;
      assertEquals(reason.code, "stalled");
      assertMatch(reason.message, new RegExp(`No "${awaited}" in time`));
      await remote.rest();
      assertEquals(clock.pendingTimers, 0);
      await close();
    });
  }
  const answers: [string, Message, Message][] = [
    ["getdata answered by notfound", requests[0][1], {
      command: "notfound",
      inventory: [{ type: InvType.TX, hash: hash(1) }],
    }],
    ["getdata answered by a merkleblock", requests[0][1], {
      command: "merkleblock",
      header: {
        version: 1,
        prevBlock: zero,
        merkleRoot: zero,
        timestamp: 0,
        bits: 0,
        nonce: 0,
      },
      totalTransactions: 0,
      hashes: [],
      flags: new Uint8Array(0),
    }],
    ["mempool answered by inv", requests[1][1], { command: "inv", inventory: [] }],
    ["getheaders answered by headers", requests[3][1], { command: "headers", headers: [] }],
  ];
  for (const [name, request, answer] of answers) {
    await t.step(name, async () => {
      const { peer, remote, clock, close } = await connectedPeer();
      await peer.queueMessage(request);
      await clock.tick(20_000);
      assertEquals(await remote.send(answer), true);
      await clock.tick(100_000);
      assertEquals(peer.connected, true);
      await close();
    });
  }
  await t.step("deadlines are checked every 15 s: one passed at 40 s is seen at 45 s", async () => {
    const { peer, remote, clock, close } = await connectedPeer();
    await peer.queueMessage(requests[0][1]); // getdata at 0 s: checks at 15, 30, 45 s...
    await clock.tick(10_000);
    await peer.queueMessage({ command: "mempool" }); // an inv due at 40 s
    await clock.tick(10_000);
    await remote.send({ command: "notfound", inventory: [] }); // getdata answered
    await clock.tick(24_999);
    assertEquals(peer.connected, true, "the deadline passed at 40 s, the next check is at 45 s");
    await clock.tick(1);
    assertMatch((await peer.closed).message, /No "inv" in time/);
    await remote.rest();
    await close();
  });
  await t.step("an unanswered ping is not a stall (the idle timeout covers it)", async () => {
    const { peer, remote, clock, close } = await connectedPeer();
    await clock.tick(120_000);
    await remote.expect("ping");
    await clock.tick(60_000);
    assertEquals(peer.connected, true);
    await close();
  });
  await t.step("disableStallDetection: no deadline", async () => {
    const { peer, clock, close } = await connectedPeer({ disableStallDetection: true });
    await peer.queueMessage(requests[0][1]);
    await clock.tick(100_000);
    assertEquals(peer.connected, true);
    await close();
  });
});

Deno.test("timers: time spent in our handlers extends the stall deadlines", async () => {
  let release!: () => void;
  let entered = false;
  const { peer, remote, clock, close } = await connectedPeer({
    listeners: {
      onInv: () => {
        entered = true;
        return new Promise<void>((resolve) => (release = resolve));
      },
    },
  });
  const t0 = clock.now();
  await peer.queueMessage({ command: "getdata", inventory: [{ type: InvType.TX, hash: hash(1) }] });
  await clock.tick(5_000);
  await remote.send({ command: "inv", inventory: [] });
  await clock.tick(0);
  assertEquals(entered, true);
  // The handler runs for 30 s: the checks at 15 s and 30 s count it as ours, not the remote's.
  await clock.tick(30_000);
  assertEquals(peer.connected, true, "not stalled while our handler runs");
  release();
  await clock.tick(0);
  // The deadline moved from t0 + 30 s to t0 + 60 s.
  await clock.tick(t0 + 59_999 - clock.now());
  assertEquals(peer.connected, true);
  await clock.tick(1);
  assertEquals((await peer.closed).code, "stalled");
  await close();
});

Deno.test("timers: a ping every 2 minutes", async () => {
  const { peer, remote, clock, close } = await connectedPeer();
  await clock.tick(119_999);
  assertEquals(await remote.received(), []);
  await clock.tick(1);
  const first = await remote.expect("ping");
  assertNotEquals(first.nonce, 0n);
  await remote.send({ command: "pong", nonce: first.nonce });
  await clock.tick(120_000);
  const second = await remote.expect("ping");
  assertNotEquals(second.nonce, first.nonce);
  assertEquals(peer.lastPingNonce, second.nonce);
  await close();
});

Deno.test("timers: pingIntervalMs sets another period", async () => {
  const { remote, clock, close } = await connectedPeer({ pingIntervalMs: 10_000 });
  await clock.tick(30_000);
  const got = await remote.received();
  assertEquals(got.map((m) => m.command), ["ping", "ping", "ping"]);
  await close();
});

Deno.test("timers: a peer that sends nothing for 5 minutes is dropped as idle", async (t) => {
  await t.step("silent from the start", async () => {
    const { peer, remote, clock, close } = await connectedPeer();
    await clock.tick(299_999);
    assertEquals(peer.connected, true);
    await clock.tick(1);
    const reason = await peer.closed;
    assertEquals(reason.code, "idle");
    assertMatch(reason.message, /300 s/);
    // Our two pings went out before.
    assertEquals((await remote.rest()).map((m) => m.command), ["ping", "ping"]);
    assertEquals(clock.pendingTimers, 0);
    await close();
  });
  await t.step("bytes that make no whole message do not count", async () => {
    const { peer, remote, clock, close } = await connectedPeer({ pingIntervalMs: 3_600_000 });
    await clock.tick(200_000);
    await remote.sendBytes(remote.frame({ command: "getaddr" }).subarray(0, 10));
    await clock.tick(100_000);
    assertEquals((await peer.closed).code, "idle");
    await close();
  });
  await t.step("a message at 200 s moves the deadline to 500 s", async () => {
    const { peer, remote, clock, close } = await connectedPeer({ pingIntervalMs: 3_600_000 });
    await clock.tick(200_000);
    await remote.send({ command: "getaddr" });
    await clock.tick(299_999);
    assertEquals(peer.connected, true);
    await clock.tick(1);
    assertEquals((await peer.closed).code, "idle");
    await close();
  });
  await t.step("idleTimeoutMs sets another limit", async () => {
    const { peer, clock, close } = await connectedPeer({ idleTimeoutMs: 1_000 });
    await clock.tick(1_000);
    assertEquals((await peer.closed).code, "idle");
    await close();
  });
});

Deno.test("timers: transaction inventory waits for the trickle, at most 10 s", async (t) => {
  await t.step("default: 10 s", async () => {
    const { peer, remote, clock, close } = await connectedPeer();
    peer.queueInventory({ type: InvType.TX, hash: hash(1) });
    await clock.tick(9_999);
    assertEquals(await remote.received(), []);
    await clock.tick(1);
    assertEquals((await remote.expect("inv")).inventory.length, 1);
    // Queued later: it still waits for a trickle, and no longer than one interval.
    await clock.tick(2_000);
    peer.queueInventory({ type: InvType.TX, hash: hash(2) });
    await clock.tick(7_999);
    assertEquals(await remote.received(), []);
    await clock.tick(2_001);
    assertEquals((await remote.expect("inv")).inventory.length, 1);
    await close();
  });
  await t.step("trickleIntervalMs: 2 s", async () => {
    const { peer, remote, clock, close } = await connectedPeer({ trickleIntervalMs: 2_000 });
    peer.queueInventory({ type: InvType.TX, hash: hash(1) });
    await clock.tick(1_999);
    assertEquals(await remote.received(), []);
    await clock.tick(1);
    assertEquals((await remote.expect("inv")).inventory.length, 1);
    peer.queueInventory({ type: InvType.TX, hash: hash(2) });
    await clock.tick(2_000);
    assertEquals((await remote.expect("inv")).inventory.length, 1);
    await close();
  });
});

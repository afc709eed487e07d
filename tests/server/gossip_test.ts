import {
  assert,
  assertEquals,
  assertFalse,
  assertLess,
  assertLessOrEqual,
  assertNotEquals,
} from "@std/assert";
import { assertSpyCalls, spy } from "@std/testing/mock";
import { AddrManager } from "../../addrmgr/addr_manager.ts";
import { MemoryStorage } from "../../addrmgr/storage.ts";
import { FakeClock } from "../../peer/fake_clock.ts";
import type { Peer } from "../../peer/peer.ts";
import { MemoryNetwork } from "../../server/memory_network.ts";
import type { Server } from "../../server/server.ts";
import type { ServerOptions } from "../../server/server_options.ts";
import {
  type AddrMessage,
  type AddrV2Message,
  type NetAddressV2,
  netAddressV2ToString,
} from "../../wire/mod.ts";
import { acceptAt, dialServer, eventually, freshAddress, serverAt } from "./_nodes.ts";

/** A plain node dialing the server at 10.0.0.1: what addresses it received, and a barrier. */
interface Remote {
  readonly peer: Peer;
  /** Each `addr`/`addrv2` received, as `host:port` strings. */
  readonly seen: string[][];
  /** Resolves once the server answered a ping: everything sent before it was handled. */
  roundTrip(): Promise<void>;
}

/**
 * A plain node at `from` that dials the server. With `join`, it sends `getaddr` first, as a
 * node does after its handshake, which also makes it take part in address relay.
 */
async function remote(
  net: MemoryNetwork,
  from: string,
  addrV2 = true,
  join = false,
): Promise<Remote> {
  const seen: string[][] = [];
  const pongs = new Map<bigint, () => void>();
  let next = 1n;
  const peer = await dialServer(net, from, "10.0.0.1", {
    protocolVersion: addrV2 ? undefined : 70015,
    listeners: {
      onAddr: (_, m: AddrMessage) =>
        void seen.push(m.addresses.map((a) => `${a.ip.slice(12).join(".")}:${a.port}`)),
      onAddrV2: (_, m: AddrV2Message) =>
        void seen.push(m.addresses.map((a) => `${netAddressV2ToString(a)}:${a.port}`)),
      onPong: (_, m) => pongs.get(m.nonce)?.(),
    },
  });
  assert(await peer.ready);
  const r: Remote = {
    peer,
    seen,
    roundTrip() {
      const nonce = next++;
      const done = new Promise<void>((resolve) => pongs.set(nonce, resolve));
      void peer.queueMessage({ command: "ping", nonce });
      return done;
    },
  };
  if (join) {
    await peer.queueMessage({ command: "getaddr" });
    await r.roundTrip();
  }
  return r;
}

async function withServer(
  options: ServerOptions,
  run: (net: MemoryNetwork, server: Server) => Promise<void>,
): Promise<void> {
  const net = new MemoryNetwork();
  // Every addr goes at once, so that a test sees anything the server would send; the
  // schedule itself has its own test below.
  const server = serverAt(net, "10.0.0.1", {
    targetOutbound: 0,
    addrSendIntervalMs: 0,
    ...options,
  });
  await server.start();
  try {
    await run(net, server);
  } finally {
    await server.stop();
  }
}

function book(count: number): NetAddressV2[] {
  return Array.from(
    { length: count },
    (_, i) => freshAddress(`8.${(i % 250) + 1}.${Math.floor(i / 250)}.1`, 3600),
  );
}

Deno.test("Gossip: getaddr is answered once per inbound connection, from the address cache", async () => {
  const clock = new FakeClock(Date.now());
  await withServer({ localNetwork: false, clock }, async (net, server) => {
    server.addrManager.addAddresses(book(100), freshAddress("9.9.9.9"));
    assertEquals(server.addrManager.numAddresses(), 100);
    const answers: string[][] = [];
    for (const from of ["10.0.0.2", "10.0.0.3", "10.0.0.4"]) {
      // The third asks after Core's answer cache (21 to 27 hours) ran out.
      if (from === "10.0.0.4") await clock.tick(28 * 60 * 60_000);
      const r = await remote(net, from);
      await r.peer.queueMessage({ command: "getaddr" });
      await r.peer.queueMessage({ command: "getaddr" });
      await r.roundTrip();
      assertEquals(r.seen.length, 1, "one answer per connection");
      // btcd and Core: 23% of the book.
      assertEquals(r.seen[0].length, 23);
      assertEquals(new Set(r.seen[0]).size, 23);
      assert(r.seen[0].every((a) => a.startsWith("8.")));
      answers.push(r.seen[0].toSorted());
      r.peer.disconnect();
      await r.peer.closed;
    }
    assertEquals(answers[1], answers[0], "the same sample within a day (Core's cache)");
    assertNotEquals(answers[2], answers[0], "a new sample after it");
  });
});

Deno.test("Gossip: getaddr from a peer we dialed is ignored; we ask it for addresses", async () => {
  const net = new MemoryNetwork();
  const onGetAddr = spy();
  const seen: string[] = [];
  const pong = Promise.withResolvers<void>();
  const remoteNode = acceptAt(net, "10.0.0.5", {
    listeners: {
      onGetAddr,
      onAddrV2: (_, m) => void seen.push(...m.addresses.map((a) => netAddressV2ToString(a))),
      onPong: () => pong.resolve(),
    },
  });
  const server = serverAt(net, "10.0.0.1", { connect: ["10.0.0.5"], addrSendIntervalMs: 0 });
  await server.start();
  server.addrManager.addAddresses(book(100), freshAddress("9.9.9.9"));
  try {
    const peer = await remoteNode.peer;
    assert(await peer.ready);
    await peer.queueMessage({ command: "getaddr" });
    await peer.queueMessage({ command: "ping", nonce: 7n });
    await pong.promise;
    assertSpyCalls(onGetAddr, 1);
    // Only our own address, advertised to the peer we dialed (a local network).
    assertEquals(seen, ["10.0.0.1"]);
  } finally {
    remoteNode.close();
    await server.stop();
  }
});

Deno.test("Gossip: addr messages are stamped, rate-limited, and an empty one disconnects", async (t) => {
  await withServer({}, async (net, server) => {
    const nowS = Math.floor(Date.now() / 1000);
    await t.step("a timestamp over 10 minutes ahead becomes five days old", async () => {
      const r = await remote(net, "10.0.0.2");
      const future = freshAddress("8.8.8.8", -3600);
      r.peer.pushAddrV2Msg([future]);
      await r.roundTrip();
      const known = server.addrManager.knownAddress(future);
      assert(known);
      // Five days old, and two more hours: Core's penalty for hearing it from someone else.
      assertLess(Math.abs(known.netAddress.timestamp - (nowS - 5 * 86400 - 7200)), 5);
      r.peer.disconnect();
      await r.peer.closed;
    });
    await t.step("a node's own IP is stored as it says, others two hours older", async () => {
      const r = await remote(net, "10.0.0.5");
      const itself = { ...freshAddress("10.0.0.5", 60), port: 18444 };
      const other = freshAddress("8.8.8.9", 60);
      await r.peer.queueMessage({ command: "addrv2", addresses: [itself] });
      await r.roundTrip();
      r.peer.disconnect();
      await r.peer.closed;
      const r2 = await remote(net, "10.0.0.6");
      await r2.peer.queueMessage({ command: "addrv2", addresses: [other] });
      await r2.roundTrip();
      const stamp = (na: NetAddressV2) => server.addrManager.knownAddress(na)?.netAddress.timestamp;
      assertEquals(stamp(itself), itself.timestamp);
      assertEquals(stamp(other), other.timestamp - 7200);
      r2.peer.disconnect();
      await r2.peer.closed;
    });
    await t.step("past the token bucket (1 token to start) addresses are dropped", async () => {
      const r = await remote(net, "10.0.0.3");
      const before = server.addrManager.numAddresses();
      await r.peer.queueMessage({ command: "addrv2", addresses: book(1000) });
      await r.roundTrip();
      assertEquals(server.addrManager.numAddresses(), before + 1);
      const info = server.peerInfo().find((p) => p.addr.startsWith("10.0.0.3:"));
      assertEquals(info?.addr_processed, 1);
      assertEquals(info?.addr_rate_limited, 999);
      r.peer.disconnect();
      await r.peer.closed;
    });
    await t.step("an empty addr disconnects", async () => {
      const r = await remote(net, "10.0.0.4");
      await r.peer.queueMessage({ command: "addrv2", addresses: [] });
      const reason = await r.peer.closed;
      assertNotEquals(reason.code, "local");
    });
  });
});

Deno.test("Gossip: a fresh address is relayed to two other peers, not back, not twice", async () => {
  await withServer({ localNetwork: false }, async (net, server) => {
    const remotes = [];
    for (let i = 2; i <= 6; i++) remotes.push(await remote(net, `10.0.0.${i}`, i !== 6, true));
    await eventually(() => server.peers.length === 5, "five peers");
    const [origin, ...others] = remotes;
    const fresh = freshAddress("8.8.4.4");
    origin.peer.pushAddrV2Msg([fresh]);
    await origin.roundTrip();
    for (const r of others) await r.roundTrip();
    const got = others.filter((r) => r.seen.flat().includes("8.8.4.4:8333"));
    assertEquals(got.length, 2, "reachable addresses go to two peers");
    assertEquals(origin.seen.length, 0);
    // The legacy peer (70015) is sent `addr`, which it decodes like the others.
    assert(others.every((r) => r.seen.every((list) => list.length === 1)));

    // The same address from another peer goes to the same two, who know it: nothing new.
    const second = others.find((r) => !got.includes(r))!;
    second.peer.pushAddrV2Msg([fresh]);
    await second.roundTrip();
    for (const r of others) await r.roundTrip();
    assertEquals(others.filter((r) => r.seen.flat().includes("8.8.4.4:8333")).length, 2);

    // An old address, or one in a long message, is not relayed.
    const third = got[0];
    third.peer.pushAddrV2Msg([freshAddress("8.8.8.1", 3600)]);
    await third.roundTrip();
    for (const r of remotes) await r.roundTrip();
    assertFalse(remotes.some((r) => r.seen.flat().includes("8.8.8.1:8333")));
    for (const r of remotes) r.peer.disconnect();
    await Promise.all(remotes.map((r) => r.peer.closed));
  });
});

Deno.test("Gossip: on a local network a fresh address is relayed to every peer", async () => {
  await withServer({ localNetwork: true }, async (net, server) => {
    const remotes = [];
    for (let i = 2; i <= 6; i++) remotes.push(await remote(net, `10.0.0.${i}`, true, true));
    await eventually(() => server.peers.length === 5, "five peers");
    const [origin, ...others] = remotes;
    origin.peer.pushAddrV2Msg([freshAddress("10.9.9.9")]);
    await origin.roundTrip();
    for (const r of others) await r.roundTrip();
    for (const r of others) assertEquals(r.seen, [["10.9.9.9:8333"]]);
    assertEquals(origin.seen, []);
    for (const r of remotes) r.peer.disconnect();
    await Promise.all(remotes.map((r) => r.peer.closed));
  });
});

Deno.test("Gossip: an inbound peer gets relays once it takes part, so its getaddr answer comes first", async () => {
  // Core's default schedule, on a clock that only moves when told: whatever is not the first
  // addr to a peer waits.
  const clock = new FakeClock(Date.now());
  await withServer({
    localNetwork: false,
    clock,
    addrSendIntervalMs: undefined,
    idleTimeoutMs: 24 * 3_600_000,
    pingIntervalMs: 24 * 3_600_000,
    disableStallDetection: true,
  }, async (net, server) => {
    server.addrManager.addAddresses(book(100), freshAddress("9.9.9.9"));
    // A node that just finished its handshake with us, and another that tells us an address
    // before the first has sent anything.
    const newcomer = await remote(net, "10.0.0.2");
    const origin = await remote(net, "10.0.0.3");
    await eventually(() => server.peers.length === 2, "two peers");
    origin.peer.pushAddrV2Msg([freshAddress("8.8.4.4")]);
    await origin.roundTrip();
    await newcomer.roundTrip();
    assertEquals(newcomer.seen.length, 0, "no relay before the peer takes part in address relay");

    // Its getaddr is answered at once: the first addr it gets (a relay sent first would have
    // held the answer for the next moment of the Poisson schedule, 30 s on average).
    await newcomer.peer.queueMessage({ command: "getaddr" });
    await newcomer.roundTrip();
    assertEquals(newcomer.seen.length, 1);
    assertEquals(newcomer.seen[0].length, 23);

    // From now on it gets relays, on the schedule. (Another node tells us: the first spent
    // the one address its rate limit allows at the start.)
    const other = await remote(net, "10.0.0.4");
    other.peer.pushAddrV2Msg([freshAddress("8.8.8.8")]);
    await other.roundTrip();
    await newcomer.roundTrip();
    assertEquals(newcomer.seen.length, 1);
    await clock.tick(10 * 60_000);
    await newcomer.roundTrip();
    assertEquals(newcomer.seen.slice(1), [["8.8.8.8:8333"]]);
    for (const r of [newcomer, origin, other]) r.peer.disconnect();
    await Promise.all([newcomer, origin, other].map((r) => r.peer.closed));
  });
  assertEquals(clock.pendingTimers, 0);
});

Deno.test("Gossip: a peer we dial is asked for addresses before it is told ours (Core's order)", async () => {
  const net = new MemoryNetwork();
  const order: string[] = [];
  const remoteNode = acceptAt(net, "10.0.0.5", {
    listeners: {
      onGetAddr: () => void order.push("getaddr"),
      onAddrV2: (_, m) => void order.push(`addrv2 ${netAddressV2ToString(m.addresses[0])}`),
    },
  });
  const server = serverAt(net, "10.0.0.1", { connect: ["10.0.0.5"] });
  await server.start();
  try {
    const peer = await remoteNode.peer;
    assert(await peer.ready);
    await eventually(() => order.length === 2, "getaddr and our address");
    // So that its answer is the first addr it sends us, and not held behind a relay.
    assertEquals(order, ["getaddr", "addrv2 10.0.0.1"]);
    peer.disconnect();
    await peer.closed;
  } finally {
    remoteNode.close();
    await server.stop();
  }
});

Deno.test("Gossip: the first addr to a peer goes at once, later ones on Core's Poisson schedule", async () => {
  const net = new MemoryNetwork();
  const clock = new FakeClock(Date.now());
  const server = serverAt(net, "10.0.0.1", {
    targetOutbound: 0,
    clock,
    // Quiet peers stay connected while fake time jumps.
    idleTimeoutMs: 24 * 3_600_000,
    pingIntervalMs: 24 * 3_600_000,
    disableStallDetection: true,
  });
  await server.start();
  try {
    server.addrManager.addAddresses(book(3), freshAddress("9.9.9.9"));
    const listener = await remote(net, "10.0.0.2");
    await listener.peer.queueMessage({ command: "getaddr" });
    await listener.roundTrip();
    assertEquals(listener.seen.length, 1, "the getaddr answer is the first addr: at once");

    const origin = await remote(net, "10.0.0.3");
    await eventually(() => server.peers.length === 2, "two peers");
    origin.peer.pushAddrV2Msg([freshAddress("8.8.4.4", 0)]);
    await origin.roundTrip();
    await listener.roundTrip();
    assertEquals(listener.seen.length, 1, "the relay waits for the next scheduled addr");

    await clock.tick(10 * 60_000); // an exponential wait of mean 30 s is over by now
    await listener.roundTrip();
    assertEquals(listener.seen.length, 2);
    assertEquals(listener.seen[1], ["8.8.4.4:8333"]);
    for (const r of [listener, origin]) r.peer.disconnect();
    await Promise.all([listener.peer.closed, origin.peer.closed]);
  } finally {
    await server.stop();
  }
  assertEquals(clock.pendingTimers, 0);
});

Deno.test("Gossip: our address is announced to a peer we dialed, and again about daily", async () => {
  const net = new MemoryNetwork();
  const clock = new FakeClock(Date.now());
  const announcements: number[] = [];
  const remoteNode = acceptAt(net, "10.0.0.5", {
    idleTimeoutMs: 30 * 24 * 3_600_000,
    listeners: {
      onAddrV2: (_, m) => {
        if (m.addresses.some((a) => netAddressV2ToString(a) === "10.0.0.1")) {
          announcements.push(clock.now());
        }
      },
    },
  });
  // A book that saves once a day, so that ten days of fake time fire few timers.
  const book = new AddrManager({
    storage: new MemoryStorage(),
    clock,
    keepLocalAddresses: true,
    saveIntervalMs: 24 * 3_600_000,
  });
  await book.start();
  const server = serverAt(net, "10.0.0.1", {
    connect: ["10.0.0.5"],
    clock,
    addrManager: book,
    idleTimeoutMs: 30 * 24 * 3_600_000,
    pingIntervalMs: 30 * 24 * 3_600_000,
    disableStallDetection: true,
  });
  await server.start();
  try {
    const peer = await remoteNode.peer;
    assert(await peer.ready);
    await eventually(() => announcements.length === 1, "the first announcement");
    // Ten days at an average of one a day: at least one more, all but certainly (e^-10).
    for (let day = 0; day < 10; day++) await clock.tick(24 * 3_600_000);
    await eventually(() => announcements.length >= 2, "a re-announcement");
    assertLessOrEqual(announcements.length, 40, `${announcements.length} announcements`);
    peer.disconnect();
    await peer.closed;
  } finally {
    remoteNode.close();
    await server.stop();
    await book.stop();
  }
  assertEquals(clock.pendingTimers, 0);
});

import { assert, assertEquals, assertFalse, assertNotEquals, assertRejects } from "@std/assert";
import { assertSpyCalls, spy } from "@std/testing/mock";
import { AddrManager } from "../../addrmgr/addr_manager.ts";
import { MemoryStorage } from "../../addrmgr/storage.ts";
import { MemoryNetwork } from "../../server/memory_network.ts";
import { RejectCode, type RejectMessage, ServiceFlag } from "../../wire/mod.ts";
import { RawRemote, remoteVersion } from "../_util/raw_remote.ts";
import { dialServer, eventually, freshAddress, PORT, serverAt } from "./_nodes.ts";

Deno.test("Server: two nodes connect, count each other, and report peerInfo as JSON", async () => {
  const net = new MemoryNetwork();
  const a = serverAt(net, "10.0.0.1");
  const b = serverAt(net, "10.0.0.2", { connect: ["10.0.0.1"] });
  await a.start();
  await b.start();
  try {
    const peer = await b.nextPeer();
    await eventually(() => a.peers.length === 1, "a to accept b");
    assertEquals(peer.address, `10.0.0.1:${PORT}`);
    assertEquals(a.peerCounts, { inbound: 1, outbound: 0 });
    assertEquals(b.peerCounts, { inbound: 0, outbound: 1 });
    const [info] = JSON.parse(JSON.stringify(b.peerInfo()));
    assertEquals(info.addr, `10.0.0.1:${PORT}`);
    assertEquals(info.connection_type, "manual");
    assertEquals(info.inbound, false);
    assertEquals(info.subver, "/btcstream:0.1.0/");
    assertEquals(info.network, "not_publicly_routable");
    // WITNESS, and NODE_P2P_V2: v2 is on by default. A manual peer whose services are not
    // known yet is dialed with v1.
    assertEquals(info.services, "0000000000000808");
    assertEquals(info.servicesnames, ["WITNESS", "P2P_V2"]);
    assertEquals(info.transport_protocol_type, "v1");
    assertEquals(info.session_id, "");
    assertEquals(info.bytessent_per_msg.version, 24 + 103);
    const [inbound] = a.peerInfo();
    assertEquals(inbound.connection_type, "inbound");
    assertEquals(inbound.addr, "10.0.0.2:49152");
    assertEquals(a.timeSource.sampleCount, 1);
    assertEquals(b.timeSource.sampleCount, 1);
  } finally {
    await b.stop();
    await a.stop();
  }
  assertEquals(a.peers.length, 0);
});

Deno.test("Server: an outbound peer without the required services gets reject nonstandard", async () => {
  const net = new MemoryNetwork();
  const listener = net.host("10.0.0.1").listen("10.0.0.1", PORT);
  const onPeerReady = spy();
  // An automatic outbound connection: the address comes from the book.
  const book = new AddrManager({ storage: new MemoryStorage(), keepLocalAddresses: true });
  await book.start();
  book.addAddress(freshAddress("10.0.0.1", 0, PORT), freshAddress("10.0.0.7"));
  const b = serverAt(net, "10.0.0.2", {
    requiredServices: ServiceFlag.NETWORK,
    addrManager: book,
    targetOutbound: 1,
    retryDurationMs: 60_000,
    onPeerReady,
  });
  await b.start();
  try {
    for await (const inbound of listener) {
      const remote = new RawRemote(inbound.connection);
      await remote.expect("version");
      await remote.send(remoteVersion({ services: ServiceFlag.WITNESS }));
      const rest = await remote.rest();
      const reject = rest.find((m) => m.command === "reject") as RejectMessage | undefined;
      assert(reject, `expected a reject, got ${rest.map((m) => m.command)}`);
      assertEquals(reject.message, "version");
      assertEquals(reject.code, RejectCode.NONSTANDARD);
      assertEquals(reject.reason, "required services 0x1 not offered");
      assertFalse(rest.some((m) => m.command === "verack"), "no verack after the reject");
      break;
    }
    assertSpyCalls(onPeerReady, 0);
    assertEquals(b.peers.length, 0);
  } finally {
    listener.close();
    await b.stop();
    await book.stop();
  }
});

Deno.test("Server: bloom messages without NODE_BLOOM disconnect; btcd's policy bans the host", async () => {
  const net = new MemoryNetwork();
  const server = serverAt(net, "10.0.0.1", { targetOutbound: 0, misbehavingAction: "ban" });
  await server.start();
  try {
    const peer = await dialServer(net, "10.0.0.2", "10.0.0.1");
    assert(await peer.ready);
    await peer.queueMessage({
      command: "filterload",
      filter: new Uint8Array(8),
      hashFuncs: 1,
      tweak: 0,
      flags: 0,
    });
    await peer.closed;
    assert(server.isBanned("10.0.0.2"));
    // Its next connection is refused before any handshake.
    const again = await dialServer(net, "10.0.0.2", "10.0.0.1");
    assertEquals(await again.ready, false);
    await again.closed;
    // Another host is still welcome, and the ban can be lifted.
    const other = await dialServer(net, "10.0.0.3", "10.0.0.1");
    assert(await other.ready);
    other.disconnect();
    await other.closed;
    assert(server.unban("10.0.0.2"));
    assertFalse(server.isBanned("10.0.0.2"));
  } finally {
    await server.stop();
  }
});

Deno.test("Server: misbehaviour adds up to discouragement; whitelisted ranges are exempt", async () => {
  const net = new MemoryNetwork();
  const server = serverAt(net, "10.0.0.1", { targetOutbound: 0, whitelist: ["10.0.1.0/24"] });
  await server.start();
  try {
    const bad = await dialServer(net, "10.0.0.2", "10.0.0.1");
    const friend = await dialServer(net, "10.0.1.3", "10.0.0.1");
    assert(await bad.ready);
    assert(await friend.ready);
    await eventually(() => server.peers.length === 2, "two peers");
    const [serverSideBad, serverSideFriend] = ["10.0.0.2", "10.0.1.3"].map((h) =>
      server.peers.find((p) => p.address.startsWith(h))!
    );
    assertEquals(server.misbehaving(serverSideBad, { persistent: 60, reason: "test" }), false);
    assertEquals(server.peerInfo().find((p) => p.addr.startsWith("10.0.0.2"))?.banscore, 60);
    assertEquals(server.misbehaving(serverSideBad, { transient: 40, reason: "test" }), true);
    await bad.closed;
    // Bitcoin Core's answer: discouraged, not banned; it may come back while slots are free.
    assert(server.isDiscouraged("10.0.0.2"));
    assertFalse(server.isBanned("10.0.0.2"));
    const back = await dialServer(net, "10.0.0.2", "10.0.0.1");
    assert(await back.ready);
    back.disconnect();
    await back.closed;
    assertEquals(server.misbehaving(serverSideFriend, { persistent: 500, reason: "test" }), false);
    assert(friend.connected);
    friend.disconnect();
    await friend.closed;
  } finally {
    await server.stop();
  }
});

Deno.test("Server: inbound peers beyond maxPeers − targetOutbound are refused", async () => {
  const net = new MemoryNetwork();
  const server = serverAt(net, "10.0.0.1", { maxPeers: 3, targetOutbound: 2 });
  await server.start();
  try {
    const first = await dialServer(net, "10.0.0.2", "10.0.0.1");
    assert(await first.ready);
    const second = await dialServer(net, "10.0.0.3", "10.0.0.1");
    assertEquals(await second.ready, false);
    await second.closed;
    first.disconnect();
    await first.closed;
    await eventually(() => server.peers.length === 0, "the first to leave");
    const third = await dialServer(net, "10.0.0.4", "10.0.0.1");
    assert(await third.ready);
    third.disconnect();
    await third.closed;
  } finally {
    await server.stop();
  }
});

Deno.test("Server: a permanent peer is redialed after it drops; stop ends everything", async () => {
  const net = new MemoryNetwork();
  const a = serverAt(net, "10.0.0.1", { targetOutbound: 0 });
  const closed: string[] = [];
  const b = serverAt(net, "10.0.0.2", {
    addPeers: ["10.0.0.1"],
    targetOutbound: 0,
    retryDurationMs: 10,
    onPeerClosed: (_, reason) => void closed.push(reason.code),
  });
  await a.start();
  await b.start();
  try {
    await b.nextPeer();
    await eventually(() => a.peers.length === 1, "a to accept b");
    a.peers[0].disconnect("go away");
    const again = await b.nextPeer();
    assertEquals(again.address, `10.0.0.1:${PORT}`);
    assertEquals(closed.length, 1);
  } finally {
    await b.stop();
    await a.stop();
  }
  assertEquals(b.peers.length, 0);
  assertEquals(closed.length, 2);
});

Deno.test("Server: at most 8 unfinished inbound handshakes per /24, as btcd", async () => {
  const net = new MemoryNetwork();
  const server = serverAt(net, "1.2.3.4", {
    network: "mainnet",
    listen: { hostname: "1.2.3.4", port: PORT },
    targetOutbound: 0,
    localNetwork: false,
  });
  await server.start();
  const silent = [];
  try {
    // Eight connections from 5.6.7.0/24 that never say a word hold the prefix's slots.
    for (let i = 1; i <= 8; i++) silent.push(await net.host(`5.6.7.${i}`).dial("1.2.3.4", PORT));
    const ninth = await dialServer(net, "5.6.7.9", "1.2.3.4", { network: "mainnet" });
    assertEquals(await ninth.ready, false, "a ninth from the same /24 is refused");
    await ninth.closed;
    const neighbour = await dialServer(net, "5.6.8.1", "1.2.3.4", { network: "mainnet" });
    assert(await neighbour.ready, "another /24 is not affected");
    // A slot frees when its connection ends; a finished handshake holds none.
    assertEquals(server.pendingPeers, 8);
    silent.pop()!.close();
    await eventually(() => server.pendingPeers === 7, "the server to see the close");
    const tenth = await dialServer(net, "5.6.7.10", "1.2.3.4", { network: "mainnet" });
    assert(await tenth.ready);
    await eventually(() => server.peers.length === 2, "the server to accept it");
    assertEquals(server.pendingPeers, 7, "its slot went back once its handshake completed");
    silent.push(await net.host("5.6.7.12").dial("1.2.3.4", PORT));
    await eventually(() => server.pendingPeers === 8, "the eighth silent connection");
    const eleventh = await dialServer(net, "5.6.7.11", "1.2.3.4", { network: "mainnet" });
    assertEquals(await eleventh.ready, false);
    await eleventh.closed;
    for (const p of [neighbour, tenth]) p.disconnect();
    await Promise.all([neighbour.closed, tenth.closed]);
  } finally {
    for (const c of silent) c.close();
    await server.stop();
  }
});

Deno.test("Server: added peers reserve outbound slots from maxPeers", async () => {
  const net = new MemoryNetwork();
  const server = serverAt(net, "10.0.0.1", {
    maxPeers: 3,
    targetOutbound: 1,
    addPeers: ["10.9.9.9"], // nobody there: it stays a reserved, retrying slot
    retryDurationMs: 60_000,
  });
  await server.start();
  try {
    const first = await dialServer(net, "10.0.0.2", "10.0.0.1");
    assert(await first.ready);
    const second = await dialServer(net, "10.0.0.3", "10.0.0.1");
    assertEquals(await second.ready, false, "3 − (1 + 1 added) = 1 inbound");
    await second.closed;
    first.disconnect();
    await first.closed;
  } finally {
    await server.stop();
  }
});

Deno.test("Server: user agent black- and whitelists, as btcd", async () => {
  const net = new MemoryNetwork();
  const server = serverAt(net, "10.0.0.1", {
    targetOutbound: 0,
    userAgentBlacklist: ["evil"],
    userAgentWhitelist: ["btcstream", "Satoshi"],
  });
  await server.start();
  try {
    const cases: [string, string, boolean][] = [
      ["10.0.0.2", "crawler", true], // "/btcstream:0.1.0/crawler:1/": whitelisted part
      ["10.0.0.3", "evil", false], // blacklisted part, whatever else it contains
    ];
    for (const [from, name, kept] of cases) {
      const peer = await dialServer(net, from, "10.0.0.1", {
        userAgentName: name,
        userAgentVersion: "1",
      });
      await peer.ready;
      if (kept) {
        await eventually(() => server.peers.length === 1, "the peer to be accepted");
        peer.disconnect();
      }
      const reason = await peer.closed;
      if (!kept) assertNotEquals(reason.code, "local", `${name} should be dropped`);
      await eventually(() => server.peers.length === 0, "no peers");
    }
    // Neither black- nor whitelisted: dropped right after the handshake completes.
    const remote = new RawRemote(await net.host("10.0.0.4").dial("10.0.0.1", PORT));
    await remote.handshake({ peerInbound: true, version: { userAgent: "/Other:1.0/" } });
    await remote.rest();
    assertEquals(server.peers.length, 0);
  } finally {
    await server.stop();
  }
});

Deno.test("Server: start fails cleanly when its listen address is taken", async () => {
  const net = new MemoryNetwork();
  const first = serverAt(net, "10.0.0.1", { targetOutbound: 0 });
  const second = serverAt(net, "10.0.0.1", { addPeers: ["10.0.0.9"], retryDurationMs: 10 });
  await first.start();
  try {
    await assertRejects(() => second.start(), Error, "in use");
    // Nothing of the second is left running: no listener, no dialing, no timers (the
    // sanitizers would fail the test), and stopping again is harmless.
    assertEquals(second.listenAddresses, []);
    await second.stop();
    const peer = await dialServer(net, "10.0.0.2", "10.0.0.1");
    assert(await peer.ready, "the first still listens");
    peer.disconnect();
    await peer.closed;
  } finally {
    await first.stop();
  }
});

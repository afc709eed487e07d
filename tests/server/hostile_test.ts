// Attacks on a real Server, as an attacker would try them (issue: hostile peers): a flood from a
// remote that never reads, a payload a byte per TCP segment, silent connections and completed
// handshakes taking every slot, misbehaviour from loopback, and handshakes that fail. Over TCP
// on 127.0.0.1 where the bytes matter; on a MemoryNetwork where the addresses do.
import { assert, assertEquals, assertFalse, assertGreater, assertLessOrEqual } from "@std/assert";
import { delay } from "@std/async/delay";
import { QUEUE_ENTRY_OVERHEAD_BYTES } from "../../peer/outbound_mux.ts";
import { SentNonces } from "../../peer/handshake.ts";
import { Peer } from "../../peer/peer.ts";
import { MemoryNetwork } from "../../server/memory_network.ts";
import { Server } from "../../server/server.ts";
import type { FailedConnection } from "../../server/server_options.ts";
import { rawFrame } from "../_util/raw_remote.ts";
import { headerOnly, pingBytes, RawClient } from "../_util/attacker.ts";
import { dialServer, eventually, PORT, serverAt } from "./_nodes.ts";

/** A default Server on regtest listening on 127.0.0.1 (an OS-chosen port). */
async function tcpServer(): Promise<{ server: Server; port: number }> {
  const server = new Server({
    network: "regtest",
    listen: { hostname: "127.0.0.1", port: 0 },
    dnsSeed: false,
    targetOutbound: 0,
  });
  await server.start();
  return { server, port: server.listenAddresses[0].port };
}

/** A plain Peer dialing the server from 127.0.0.1. */
async function goodPeer(port: number): Promise<Peer> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  return new Peer(conn, {
    network: "regtest",
    address: `127.0.0.1:${port}`,
    sentNonces: new SentNonces(),
  });
}

Deno.test("hostile: a remote that floods pings and never reads is paused, then pushed back", async () => {
  const { server, port } = await tcpServer();
  const attacker = await RawClient.connect(port);
  const good = await goodPeer(port);
  try {
    assert(await attacker.handshake());
    assert(await good.ready);
    await eventually(() => server.peers.length === 2, "both peers accepted");
    const heapBefore = Deno.memoryUsage().heapUsed;
    const batch = pingBytes(1_000);
    let sent = 0;
    for (;;) {
      const blocked = await Promise.race([
        attacker.write(batch).then(() => false),
        delay(1_000).then(() => true),
      ]);
      if (blocked) break;
      sent += 1_000;
      assert(sent < 2_000_000, "the server never stopped reading");
    }
    const info = server.peerInfo().find((p) => p.subver === "/attacker:0.1/")!;
    assert(info.send_paused, "the flooder's send queue is paused");
    const perPong = 24 + 8 + QUEUE_ENTRY_OVERHEAD_BYTES;
    assertLessOrEqual(info.send_queue_bytes, 1_000_000 + perPong, "one message past the level");
    assertGreater(sent, 0);
    assertLessOrEqual(Deno.memoryUsage().heapUsed - heapBefore, 64 * 1024 * 1024);
    // The well-behaved peer is answered while the flooder stays paused.
    let ponged = false;
    const pong = new Promise<void>((resolve) => {
      const reader = good.messages().getReader();
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          if (value.command === "pong" && value.nonce === 77n) break;
        }
        ponged = true;
        await reader.cancel();
        resolve();
      })();
    });
    await good.queueMessage({ command: "ping", nonce: 77n });
    await pong;
    assert(ponged);
    assert(server.peerInfo().find((p) => p.subver === "/attacker:0.1/")?.send_paused);
  } finally {
    attacker.close();
    good.disconnect();
    await good.closed;
    await server.stop();
  }
});

Deno.test("hostile: a payload a byte per segment holds what arrived, not what was declared", async () => {
  const { server, port } = await tcpServer();
  const attacker = await RawClient.connect(port);
  try {
    assert(await attacker.handshake());
    await eventually(() => server.peers.length === 1, "the attacker accepted");
    assert(await attacker.write(headerOnly("block", 4_000_000)));
    const one = new Uint8Array(1);
    const count = 20_000;
    for (let i = 0; i < count; i++) {
      one[0] = i;
      assert(await attacker.write(one));
    }
    // What is held is never less than what arrived: wait for all of it, then a little more.
    await eventually(
      () => (server.peerInfo()[0]?.recv_buffer_bytes ?? 0) >= count,
      "every byte to arrive",
    );
    await delay(100);
    const held = server.peerInfo()[0].recv_buffer_bytes;
    assertGreater(held, count - 1);
    assertLessOrEqual(held, 2 * count + 4096 + 24, "at most 2x what arrived plus 4 KiB");
  } finally {
    attacker.close();
    await server.stop();
  }
});

Deno.test("hostile: silent connections from one network cannot keep a newcomer out", async () => {
  const net = new MemoryNetwork();
  // 48 inbound slots (Bitcoin Core protects every peer of a smaller set).
  const server = serverAt(net, "10.0.0.1", { maxPeers: 50, targetOutbound: 2 });
  await server.start();
  const completed: Peer[] = [];
  const silent: { close(): void }[] = [];
  try {
    // Five honest peers from five networks complete their handshakes.
    for (let i = 1; i <= 5; i++) {
      const peer = await dialServer(net, `10.${i}.0.7`, "10.0.0.1");
      assert(await peer.ready);
      completed.push(peer);
    }
    // Then an attacker opens 100 connections from one network and says nothing.
    for (let i = 0; i < 100; i++) silent.push(await net.host("10.200.0.9").dial("10.0.0.1", PORT));
    await eventually(() => server.pendingPeers === 43, "the slots to be full");
    // A newcomer from another network still gets in.
    const newcomer = await dialServer(net, "10.9.9.9", "10.0.0.1");
    assert(await newcomer.ready, "the newcomer completed its handshake");
    // Nobody honest was evicted: the attacker's connections paid for it.
    for (const peer of completed) assert(peer.connected);
    assertEquals(server.pendingPeers, 42);
    newcomer.disconnect();
    await newcomer.closed;
  } finally {
    for (const s of silent) s.close();
    for (const peer of completed) peer.disconnect();
    await Promise.all(completed.map((p) => p.closed));
    await server.stop();
  }
});

Deno.test("hostile: completed handshakes from one network cannot keep a newcomer out", async () => {
  const net = new MemoryNetwork();
  const failures: FailedConnection[] = [];
  const closed: string[] = [];
  const server = serverAt(net, "10.0.0.1", {
    maxPeers: 50,
    targetOutbound: 2,
    onConnectionFailed: (f) => void failures.push(f),
    onPeerClosed: (peer) => void closed.push(peer.address),
  });
  await server.start();
  const peers: Peer[] = [];
  try {
    // The attacker fills every slot with completed handshakes from one network.
    for (let i = 0; i < 48; i++) {
      const peer = await dialServer(net, "10.200.0.9", "10.0.0.1");
      assert(await peer.ready);
      peers.push(peer);
    }
    await eventually(() => server.peers.length === 48, "every slot taken");
    // A newcomer from another network gets in, in place of one of the attacker's.
    const newcomer = await dialServer(net, "10.9.9.9", "10.0.0.1");
    assert(await newcomer.ready);
    await eventually(() => closed.length === 1, "one eviction");
    assert(closed[0].startsWith("10.200.0.9:"), `evicted ${closed[0]}`);
    assertEquals(peers.filter((p) => !p.connected).length, 1);
    assert(newcomer.connected);
    newcomer.disconnect();
    await newcomer.closed;
  } finally {
    for (const peer of peers) peer.disconnect();
    await Promise.all(peers.map((p) => p.closed));
    await server.stop();
  }
});

Deno.test("hostile: misbehaviour from loopback disconnects, never bans or discourages", async () => {
  const { server, port } = await tcpServer();
  try {
    const peer = await goodPeer(port);
    assert(await peer.ready);
    const inventory = Array.from({ length: 50_000 }, () => ({ type: 1, hash: new Uint8Array(32) }));
    // Two maximal getdatas: 99 + 99 transient points, past the threshold of 100.
    await peer.queueMessage({ command: "getdata", inventory });
    await peer.queueMessage({ command: "getdata", inventory });
    assertEquals((await peer.closed).code, "remote-closed");
    assertFalse(server.isBanned("127.0.0.1"));
    assertFalse(server.isDiscouraged("127.0.0.1"));
    // Every local client is still welcome, the misbehaving one included.
    const again = await goodPeer(port);
    assert(await again.ready);
    again.disconnect();
    await again.closed;
  } finally {
    await server.stop();
  }
});

Deno.test("hostile: every connection that ends before its handshake is reported", async (t) => {
  const net = new MemoryNetwork();
  const failures: FailedConnection[] = [];
  // v1 only: a v2 responder takes bytes that are not a v1 version for a v2 key, and waits for
  // the rest of it until the negotiation deadline, as Bitcoin Core does.
  const server = serverAt(net, "10.0.0.1", {
    v2Transport: false,
    onConnectionFailed: (f) => void failures.push(f),
  });
  await server.start();
  try {
    await t.step("a ping before version", async () => {
      const conn = await net.host("10.0.0.5").dial("10.0.0.1", PORT);
      const writer = conn.writable.getWriter();
      await writer.write(rawFrame("ping", new Uint8Array(8)));
      await eventually(() => failures.length === 1, "the report");
      assertEquals(failures[0].address.startsWith("10.0.0.5:"), true);
      assertEquals(failures[0].direction, "inbound");
      assertEquals(failures[0].reason.code, "handshake-failed");
      conn.close();
    });
    await t.step("a remote that rejects us: its reject is in the report", async () => {
      const listener = net.host("10.0.0.6").listen("10.0.0.6", PORT);
      server.connect("10.0.0.6", { permanent: false });
      for await (const inbound of listener) {
        const writer = inbound.connection.writable.getWriter();
        const reason = "required services 0x1 not offered";
        await writer.write(rawFrame(
          "reject",
          new Uint8Array([
            7,
            ...new TextEncoder().encode("version"),
            0x40,
            reason.length,
            ...new TextEncoder().encode(reason),
          ]),
        ));
        inbound.connection.close();
        break;
      }
      listener.close();
      await eventually(() => failures.length === 2, "the report");
      const failure = failures[1];
      assertEquals(failure.direction, "outbound");
      assertEquals(failure.reason.reject?.reason, "required services 0x1 not offered");
      assertEquals(failure.reason.reject?.code, 0x40);
    });
  } finally {
    await server.stop();
  }
});

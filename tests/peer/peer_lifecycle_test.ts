// Ending a Peer from every state: disconnect() is idempotent, `closed` resolves with the
// reason, `ready` says whether the handshake completed, queued promises resolve false, and
// nothing (timer, promise, stream) is left behind.
import { assertEquals, assertGreater, assertMatch } from "@std/assert";
import { InvType } from "../../wire/mod.ts";
import { connectedPeer, type PeerHarness, remoteVersion, startPeer } from "../_util/raw_remote.ts";

/** Disconnects, then checks what every ended peer must show. */
async function disconnectAndCheck(
  harness: PeerHarness,
  expectReady: boolean,
): Promise<void> {
  const { peer, remote, clock } = harness;
  peer.disconnect("Test over");
  assertEquals(peer.connected, false, "not connected right away");
  const reason = await peer.closed;
  assertEquals(reason, { code: "local", message: "Test over" });
  assertEquals(await peer.ready, expectReady);
  assertEquals(clock.pendingTimers, 0, "no timer left");
  // The connection is closed: the remote reads to its end, and its writes fail.
  await remote.rest();
  assertEquals(await remote.send({ command: "getaddr" }), false);
  assertEquals(await peer.queueMessage({ command: "getaddr" }), false);
  await harness.close();
}

Deno.test("lifecycle: disconnect from every state", async (t) => {
  await t.step("inbound, before any version", async () => {
    const harness = startPeer({ inbound: true });
    await harness.clock.tick(0);
    await disconnectAndCheck(harness, false);
  });
  await t.step("outbound, after our version", async () => {
    const harness = startPeer();
    await harness.remote.expect("version");
    await disconnectAndCheck(harness, false);
  });
  await t.step("outbound, after the remote's version (waiting for verack)", async () => {
    const harness = startPeer();
    await harness.remote.expect("version");
    await harness.remote.send(remoteVersion());
    await harness.remote.expect("verack", ["sendaddrv2", "wtxidrelay"]);
    assertEquals(harness.peer.versionKnown, true);
    await disconnectAndCheck(harness, false);
  });
  await t.step("inbound, from onVersion (before our version)", async () => {
    const harness = startPeer({
      inbound: true,
      listeners: { onVersion: (p) => p.disconnect("Test over") },
    });
    await harness.remote.send(remoteVersion());
    assertEquals(await harness.remote.rest(), [], "no version after disconnecting");
    await disconnectAndCheck(harness, false);
  });
  await t.step("connected", async () => {
    const harness = await connectedPeer();
    assertEquals(harness.peer.connected, true);
    await disconnectAndCheck(harness, true);
  });
  await t.step("connected, with pings, trickle and stall deadlines pending", async () => {
    const harness = await connectedPeer();
    const { peer, clock } = harness;
    await peer.queueMessage({ command: "mempool" });
    await clock.tick(20_000);
    peer.queueInventory({ type: InvType.TX, hash: new Uint8Array(32) });
    assertGreater(clock.pendingTimers, 0);
    await disconnectAndCheck(harness, true);
  });
});

Deno.test("lifecycle: disconnect is idempotent and the first reason stays", async (t) => {
  await t.step("twice locally", async () => {
    const { peer, close } = await connectedPeer();
    peer.disconnect("first");
    peer.disconnect("second");
    assertEquals((await peer.closed).message, "first");
    peer.disconnect("third");
    assertEquals((await peer.closed).message, "first");
    await close();
  });
  await t.step("after the remote closed", async () => {
    const { peer, remote, clock, close } = await connectedPeer();
    await remote.close();
    const reason = await peer.closed;
    assertEquals(reason.code, "remote-closed");
    peer.disconnect();
    assertEquals((await peer.closed).code, "remote-closed");
    assertEquals(clock.pendingTimers, 0);
    await close();
  });
  await t.step("the remote closing during the handshake", async () => {
    const { peer, remote, clock, close } = startPeer();
    await remote.expect("version");
    await remote.send(remoteVersion());
    await remote.expect("verack", ["sendaddrv2", "wtxidrelay"]);
    await remote.close();
    assertEquals(await peer.ready, false);
    assertEquals((await peer.closed).code, "remote-closed");
    assertEquals(clock.pendingTimers, 0);
    await close();
  });
});

Deno.test("lifecycle: queued messages resolve false when the peer ends before writing them", async () => {
  const { peer, remote, clock, close } = await connectedPeer({ bufferBytes: 1024 });
  // Larger than a batched write: each inv goes out in a write of its own.
  const inventory = Array.from({ length: 2000 }, () => ({ type: 1, hash: new Uint8Array(32) }));
  const queued = Array.from({ length: 6 }, () => peer.queueMessage({ command: "inv", inventory }));
  await clock.tick(0);
  assertGreater(peer.sendQueueBytes, 0, "frames wait for the remote to read");
  peer.disconnect();
  const written = await Promise.all(queued);
  assertEquals(written[0], true);
  assertEquals(written.at(-1), false);
  assertEquals(peer.sendQueueBytes, 0);
  await peer.closed;
  assertEquals(clock.pendingTimers, 0);
  await remote.rest();
  await close();
});

Deno.test("lifecycle: disconnect from inside a listener", async () => {
  const { peer, remote, close } = await connectedPeer({
    listeners: { onGetAddr: (p) => p.disconnect("Seen enough") },
  });
  await remote.send({ command: "getaddr" });
  assertEquals(await peer.closed, { code: "local", message: "Seen enough" });
  await close();
});

Deno.test("lifecycle: closed waits for a running listener, then resolves", async () => {
  let release!: () => void;
  let entered = false;
  const { peer, remote, clock, close } = await connectedPeer({
    listeners: {
      onGetAddr: () => {
        entered = true;
        return new Promise<void>((resolve) => (release = resolve));
      },
    },
  });
  await remote.send({ command: "getaddr" });
  await clock.tick(0);
  assertEquals(entered, true);
  let closed = false;
  peer.closed.then(() => (closed = true));
  peer.disconnect();
  assertEquals(peer.connected, false);
  await clock.tick(0);
  assertEquals(clock.pendingTimers, 0, "every timer stops at once");
  release();
  assertEquals((await peer.closed).code, "local");
  assertEquals(closed, true);
  await close();
});

Deno.test("lifecycle: messages() readers end with the peer", async () => {
  const { peer, close } = await connectedPeer();
  const reader = peer.messages().getReader();
  const read = reader.read();
  peer.disconnect();
  assertEquals((await read).done, true);
  await close();
});

Deno.test("lifecycle: after the end, sending does nothing and says so", async () => {
  const { peer, remote, clock, close } = await connectedPeer();
  await close();
  const zero = new Uint8Array(32);
  assertEquals(await peer.queueMessage({ command: "getaddr" }), false);
  assertEquals(await peer.pushGetBlocksMsg([zero], zero), false);
  assertEquals(await peer.pushGetHeadersMsg([zero], zero), false);
  assertEquals(await peer.pushRejectMsg({ message: "tx", code: 0x10, reason: "x" }), false);
  peer.queueInventory({ type: InvType.BLOCK, hash: zero });
  await clock.tick(60_000);
  assertEquals(clock.pendingTimers, 0);
  assertEquals(await remote.next(), undefined);
});

Deno.test("Peer onReady: runs once the handshake completes, before any later message", async (t) => {
  await t.step("sees the negotiated state, and its queued message goes out first", async () => {
    const order: string[] = [];
    const h = startPeer({
      onReady: (peer) => {
        order.push(`ready addrv2=${peer.wantsAddrV2} connected=${peer.connected}`);
        void peer.queueMessage({ command: "getaddr" });
      },
      listeners: { onPing: () => void order.push("ping") },
    });
    // The remote sends its verack and a ping in one go, right behind each other.
    await h.remote.handshake({ peerInbound: false });
    await h.remote.send({ command: "ping", nonce: 5n });
    assertEquals(await h.peer.ready, true);
    assertEquals((await h.remote.expect("getaddr")).command, "getaddr");
    await h.remote.expect("pong");
    assertEquals(order, ["ready addrv2=true connected=true", "ping"]);
    await h.close();
  });
  await t.step("a throwing onReady ends the peer with listener-error", async () => {
    const h = startPeer({
      onReady: () => {
        throw new Error("no thanks");
      },
    });
    await h.remote.handshake({ peerInbound: false });
    assertEquals(await h.peer.ready, false);
    const reason = await h.peer.closed;
    assertEquals(reason.code, "listener-error");
    assertMatch(reason.message, /onReady listener threw: no thanks/);
    assertEquals(h.clock.pendingTimers, 0);
    await h.remote.close();
  });
  await t.step("disconnecting in onReady leaves ready false", async () => {
    const h = startPeer({ onReady: (peer) => peer.disconnect("not wanted") });
    await h.remote.handshake({ peerInbound: false });
    assertEquals(await h.peer.ready, false);
    assertEquals((await h.peer.closed).code, "local");
    assertEquals(h.clock.pendingTimers, 0);
    await h.remote.close();
  });
});

// What a connected Peer does with what it receives: the built-in handling (ping/pong, the
// feature flags), a listener per message type, the onRead/onWrite byte hooks, the messages()
// stream, and the statistics snapshot.
import { assert, assertEquals, assertLess } from "@std/assert";
import type { Peer } from "../../peer/peer.ts";
import { InvType, type Message, netAddressFromHost, type UnknownMessage } from "../../wire/mod.ts";
import { connectedPeer, rawFrame, remoteVersion, startPeer } from "../_util/raw_remote.ts";

const hash = (n: number) => new Uint8Array(32).fill(n);

Deno.test("messages: ping is answered with pong (BIP 31), then onPing runs", async (t) => {
  await t.step("at 70016 the pong echoes the nonce", async () => {
    const order: string[] = [];
    const { remote, close } = await connectedPeer({
      listeners: { onPing: (_p, ping) => void order.push(`onPing ${ping.nonce}`) },
    });
    await remote.send({ command: "ping", nonce: 0xfeedn });
    const pong = await remote.expect("pong");
    assertEquals(pong.nonce, 0xfeedn);
    assertEquals(order, ["onPing 65261"]);
    await close();
  });
  await t.step("a peer at 60001 gets a pong; at 60000 (before BIP 31) it does not", async () => {
    for (const version of [60001, 60000]) {
      const seen: bigint[] = [];
      const { remote, clock, close } = await connectedPeer({
        listeners: { onPing: (_p, ping) => void seen.push(ping.nonce) },
        handshake: { version: { protocolVersion: version } },
      });
      await remote.send({ command: "ping", nonce: 5n });
      await clock.tick(0);
      const got = await remote.received();
      if (version === 60001) {
        assertEquals(got, [{ command: "pong", nonce: 5n }]);
      } else {
        assertEquals(got, []);
      }
      assertEquals(seen.length, 1, "onPing runs either way");
      await close();
    }
  });
});

Deno.test("messages: a pong with the awaited nonce records the round trip", async () => {
  const pongs: bigint[] = [];
  const { peer, remote, clock, close } = await connectedPeer({
    listeners: { onPong: (_p, pong) => void pongs.push(pong.nonce) },
  });
  assertEquals(peer.lastPingNonce, 0n);
  await clock.tick(120_000);
  const ping = await remote.expect("ping");
  assertEquals(peer.lastPingNonce, ping.nonce);
  assertEquals(peer.statsSnapshot().lastPingTime, clock.now());
  await clock.tick(250);
  // A pong with some other nonce is not timed.
  await remote.send({ command: "pong", nonce: ping.nonce ^ 1n });
  await clock.tick(0);
  assertEquals(peer.lastPingMicros, 0);
  assertEquals(peer.lastPingNonce, ping.nonce);
  await clock.tick(250);
  await remote.send({ command: "pong", nonce: ping.nonce });
  await clock.tick(0);
  assertEquals(peer.lastPingMicros, 500_000);
  assertEquals(peer.lastPingNonce, 0n);
  assertEquals(peer.statsSnapshot().lastPingMicros, 500_000);
  assertEquals(pongs, [ping.nonce ^ 1n, ping.nonce], "onPong sees both");
  await close();
});

Deno.test("messages: sendheaders and feefilter are recorded before their listeners run", async () => {
  const seen: string[] = [];
  const { peer, remote, clock, close } = await connectedPeer({
    listeners: {
      onSendHeaders: (p) => void seen.push(`sendheaders ${p.wantsHeaders}`),
      onFeeFilter: (p, m) => void seen.push(`feefilter ${m.feeRate} ${p.feeFilter}`),
    },
  });
  assertEquals(peer.wantsHeaders, false);
  assertEquals(peer.feeFilter, 0n);
  await remote.send({ command: "sendheaders" });
  await remote.send({ command: "feefilter", feeRate: 1000n });
  await clock.tick(0);
  assertEquals(peer.wantsHeaders, true);
  assertEquals(peer.feeFilter, 1000n);
  assertEquals(seen, ["sendheaders true", "feefilter 1000 1000"]);
  await close();
});

Deno.test("messages: each message type reaches its own listener, in order, one at a time", async () => {
  const calls: string[] = [];
  let running = 0;
  const record = (name: string) => async (p: Peer, m: Message | UnknownMessage) => {
    assertEquals(running, 0, "listeners never overlap");
    running++;
    assertEquals(p.connected, true);
    calls.push(`${name}:${m.command}`);
    await Promise.resolve();
    running--;
  };
  const { remote, clock, close } = await connectedPeer({
    listeners: {
      onInv: record("onInv"),
      onGetData: record("onGetData"),
      onNotFound: record("onNotFound"),
      onAddr: record("onAddr"),
      onAddrV2: record("onAddrV2"),
      onGetAddr: record("onGetAddr"),
      onHeaders: record("onHeaders"),
      onGetHeaders: record("onGetHeaders"),
      onGetBlocks: record("onGetBlocks"),
      onMemPool: record("onMemPool"),
      onReject: record("onReject"),
      onSendCmpct: record("onSendCmpct"),
      onFilterClear: record("onFilterClear"),
      onUnknown: record("onUnknown"),
    },
  });
  const inventory = [{ type: InvType.TX, hash: hash(1) }];
  const locator = { protocolVersion: 70016, locator: [hash(2)], hashStop: hash(0) };
  const sent: Message[] = [
    { command: "inv", inventory },
    { command: "getdata", inventory },
    { command: "notfound", inventory },
    {
      command: "addr",
      addresses: [netAddressFromHost("198.51.100.1", 8333, { timestamp: 1_700_000_000 })],
    },
    { command: "addrv2", addresses: [] },
    { command: "getaddr" },
    { command: "headers", headers: [] },
    { command: "getheaders", ...locator },
    { command: "getblocks", ...locator },
    { command: "mempool" },
    { command: "reject", message: "tx", code: 0x10, reason: "bad", hash: hash(3) },
    { command: "sendcmpct", announce: false, version: 2n },
    { command: "filterclear" },
  ];
  for (const message of sent) await remote.send(message);
  await remote.sendBytes(rawFrame("mystery", new Uint8Array([9])));
  await clock.tick(0);
  assertEquals(calls, [
    "onInv:inv",
    "onGetData:getdata",
    "onNotFound:notfound",
    "onAddr:addr",
    "onAddrV2:addrv2",
    "onGetAddr:getaddr",
    "onHeaders:headers",
    "onGetHeaders:getheaders",
    "onGetBlocks:getblocks",
    "onMemPool:mempool",
    "onReject:reject",
    "onSendCmpct:sendcmpct",
    "onFilterClear:filterclear",
    "onUnknown:unknown",
  ]);
  await close();
});

Deno.test("messages: a listener gets the decoded message", async () => {
  let got: Message | undefined;
  const { remote, clock, close } = await connectedPeer({
    listeners: { onInv: (_p, m) => void (got = m) },
  });
  await remote.send({
    command: "inv",
    inventory: [{ type: InvType.WITNESS_BLOCK, hash: hash(7) }],
  });
  await clock.tick(0);
  assert(got?.command === "inv");
  assertEquals(got.inventory.length, 1);
  assertEquals(got.inventory[0].type, InvType.WITNESS_BLOCK);
  assertEquals(got.inventory[0].hash, hash(7));
  await close();
});

Deno.test("messages: onRead and onWrite report every frame with its size", async () => {
  const reads: [number, string][] = [];
  const writes: [number, string][] = [];
  const { peer, remote, clock, close } = startPeer({
    listeners: {
      onRead: (p, bytes, message, error) => {
        assert(p.address !== "");
        assertEquals(error, undefined);
        reads.push([bytes, message?.command ?? "?"]);
      },
      onWrite: (_p, bytes, message) => void writes.push([bytes, message.command]),
    },
  });
  const theirVersion = remoteVersion();
  const { version } = await remote.handshake({ version: theirVersion });
  assertEquals(await peer.ready, true);
  await remote.send({ command: "ping", nonce: 1n });
  await remote.sendBytes(rawFrame("mystery", new Uint8Array(5)));
  await remote.expect("pong");
  await peer.queueMessage({ command: "getaddr" });
  await clock.tick(0);
  assertEquals(reads, [
    [remote.frame(theirVersion).length, "version"],
    [24, "sendaddrv2"],
    [24, "wtxidrelay"],
    [24, "verack"],
    [32, "ping"],
    [29, "unknown"],
  ]);
  assertEquals(writes, [
    [remote.frame(version).length, "version"],
    [24, "sendaddrv2"],
    [24, "wtxidrelay"],
    [24, "verack"],
    [32, "pong"],
    [24, "getaddr"],
  ]);
  const read = reads.reduce((n, [bytes]) => n + bytes, 0);
  const written = writes.reduce((n, [bytes]) => n + bytes, 0);
  assertEquals(peer.bytesReceived, read);
  assertEquals(peer.bytesSent, written);
  await close();
});

Deno.test("messages: messages() yields what arrives after the listeners ran", async (t) => {
  await t.step("a for-await loop sees every message, then ends with the peer", async () => {
    const listened: string[] = [];
    const { peer, remote, close } = await connectedPeer({
      listeners: { onInv: () => void listened.push("inv") },
    });
    const stream = peer.messages();
    await remote.send({ command: "inv", inventory: [] });
    await remote.sendBytes(rawFrame("mystery"));
    await remote.send({ command: "ping", nonce: 2n });
    const seen: string[] = [];
    for await (const message of stream) {
      seen.push(message.command === "unknown" ? `unknown:${message.name}` : message.command);
      if (message.command === "inv") assertEquals(listened, ["inv"]);
      if (seen.length === 3) {
        // The peer ending ends the loop.
        await remote.close();
      }
    }
    assertEquals(seen, ["inv", "unknown:mystery", "ping"]);
    assertEquals((await peer.closed).code, "remote-closed");
    await close();
  });
  await t.step("two readers each get every message; cancelling one detaches it", async () => {
    const { peer, remote, clock, close } = await connectedPeer();
    const first = peer.messages().getReader();
    const second = peer.messages().getReader();
    await remote.send({ command: "getaddr" });
    assertEquals((await first.read()).value, { command: "getaddr" });
    assertEquals((await second.read()).value, { command: "getaddr" });
    await second.cancel();
    await remote.send({ command: "mempool" });
    await clock.tick(0);
    assertEquals((await first.read()).value, { command: "mempool" });
    await close();
    assertEquals((await first.read()).done, true);
  });
  await t.step("messages() of an ended peer is empty", async () => {
    const { peer, close } = await connectedPeer();
    await close();
    assertEquals(await Array.fromAsync(peer.messages()), []);
  });
  await t.step("an unread messages() stream stops the dispatch (backpressure)", async () => {
    const pongs: bigint[] = [];
    const { peer, remote, clock, close } = await connectedPeer({
      listeners: { onPing: (_p, m) => void pongs.push(m.nonce) },
    });
    const reader = peer.messages().getReader();
    for (let i = 1n; i <= 4n; i++) await remote.send({ command: "ping", nonce: i });
    await clock.tick(0);
    // One delivered into the stream's one-slot buffer, one waiting for a read; the rest wait.
    assertLess(pongs.length, 4, `dispatched ${pongs.length} of 4 with nobody reading`);
    const got: bigint[] = [];
    for (let i = 0; i < 4; i++) {
      const { value } = await reader.read();
      assert(value?.command === "ping");
      got.push(value.nonce);
    }
    assertEquals(got, [1n, 2n, 3n, 4n]);
    assertEquals(pongs, [1n, 2n, 3n, 4n]);
    reader.releaseLock();
    await close();
  });
});

Deno.test("messages: the stats snapshot counts traffic by command and keeps btcd's fields", async () => {
  const clock0 = Date.UTC(2026, 0, 1);
  const { peer, remote, clock, handshake, close } = await connectedPeer({
    handshake: {
      version: {
        userAgent: "/Satoshi:28.1.0/",
        startHeight: 900_000,
        timestamp: BigInt(clock0 / 1000 - 3),
      },
    },
  });
  await clock.tick(5000);
  await remote.send({ command: "ping", nonce: 9n });
  await remote.sendBytes(rawFrame("mystery", new Uint8Array(3)));
  await remote.expect("pong");
  const snapshot = peer.statsSnapshot();
  assertEquals(snapshot.id, peer.id);
  assertEquals(snapshot.address, "203.0.113.5:18444");
  assertEquals(snapshot.inbound, false);
  assertEquals(snapshot.userAgent, "/Satoshi:28.1.0/");
  assertEquals(snapshot.version, 70016);
  assertEquals(snapshot.startingHeight, 900_000);
  assertEquals(snapshot.lastBlock, 900_000);
  assertEquals(snapshot.timeOffset, -3);
  assertEquals(snapshot.connectedAt, clock0);
  assertEquals(snapshot.lastReceived, clock0 + 5000);
  assertEquals(snapshot.lastSent, clock0 + 5000);
  assertEquals(snapshot.receivedPerCommand.ping, { messages: 1, bytes: 32 });
  assertEquals(snapshot.receivedPerCommand["*other*"], { messages: 1, bytes: 27 });
  assertEquals(snapshot.receivedPerCommand.verack, { messages: 1, bytes: 24 });
  assertEquals(snapshot.sentPerCommand.pong, { messages: 1, bytes: 32 });
  assertEquals(snapshot.sentPerCommand.version, {
    messages: 1,
    bytes: remote.frame(handshake.version).length,
  });
  assertEquals(snapshot.bytesSent, peer.bytesSent);
  assertEquals(snapshot.bytesReceived, peer.bytesReceived);
  // A snapshot is a copy: later traffic does not change it.
  await remote.send({ command: "ping", nonce: 10n });
  await remote.expect("pong");
  assertEquals(snapshot.receivedPerCommand.ping, { messages: 1, bytes: 32 });
  assertEquals(peer.statsSnapshot().receivedPerCommand.ping.messages, 2);
  await close();
});

Deno.test("messages: block height and announced block bookkeeping", async () => {
  const { peer, close } = await connectedPeer({ handshake: { version: { startHeight: 10 } } });
  peer.updateLastBlockHeight(12);
  peer.updateLastBlockHeight(11);
  assertEquals(peer.lastBlock, 12, "the height never goes back");
  assertEquals(peer.lastAnnouncedBlock, undefined);
  peer.updateLastAnnouncedBlock(hash(4));
  assertEquals(peer.lastAnnouncedBlock, hash(4));
  assertEquals(peer.netAddress?.port, 18444);
  assertEquals(peer.netAddress?.services, peer.services);
  await close();
});

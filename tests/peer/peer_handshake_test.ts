// The version handshake of a Peer, played against a hand-driven remote: both directions, old
// and new versions, self-connection, rejects and the pre-verack rules (REFERENCE 1.6).
import { assert, assertEquals, assertGreater, assertMatch, assertNotEquals } from "@std/assert";
import { memoryConnectionPair } from "../../peer/connection.ts";
import { FakeClock } from "../../peer/fake_clock.ts";
import { SentNonces } from "../../peer/handshake.ts";
import { Peer } from "../../peer/peer.ts";
import {
  netAddressFromHost,
  RejectCode,
  ServiceFlag,
  type VersionMessage,
} from "../../wire/mod.ts";
import {
  connectedPeer,
  rawFrame,
  RawRemote,
  remoteVersion,
  startPeer,
} from "../_util/raw_remote.ts";

Deno.test("handshake: outbound peer speaks first, then sendaddrv2, wtxidrelay, verack", async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12));
  const { peer, remote, close } = startPeer({
    clock,
    newestBlock: () => ({ hash: new Uint8Array(32), height: 840_000 }),
  });
  const version = await remote.expect("version");
  assertEquals(version.protocolVersion, 70016);
  assertEquals(version.services, ServiceFlag.WITNESS);
  assertEquals(version.timestamp, BigInt(Date.UTC(2026, 0, 1, 12) / 1000));
  assertEquals(version.addrRecv, netAddressFromHost("203.0.113.5", 18444));
  assertEquals(version.addrFrom.services, ServiceFlag.WITNESS);
  assertEquals(version.userAgent, "/btcstream:0.1.0/");
  assertEquals(version.startHeight, 840_000);
  assertEquals(version.relay, true);
  assertNotEquals(version.nonce, 0n);
  assertEquals(peer.versionKnown, false);
  assertEquals(peer.id, 0);

  const theirs = remoteVersion({
    userAgent: "/Satoshi:29.0.0/",
    startHeight: 850_000,
    timestamp: BigInt(Date.UTC(2026, 0, 1, 12) / 1000 + 7),
  });
  await remote.send(theirs);
  await remote.send({ command: "sendaddrv2" });
  await remote.send({ command: "wtxidrelay" });
  await remote.send({ command: "verack" });
  const commands = [];
  for (let i = 0; i < 3; i++) commands.push((await remote.next())?.command);
  assertEquals(commands, ["sendaddrv2", "wtxidrelay", "verack"]);
  assertEquals(await peer.ready, true);
  assertEquals(peer.connected, true);
  assertEquals(peer.versionKnown, true);
  assertEquals(peer.verAckReceived, true);
  assertEquals(peer.protocolVersion, 70016);
  assertEquals(peer.wantsAddrV2, true);
  assertEquals(peer.wtxidRelay, true);
  assertEquals(peer.services, ServiceFlag.NETWORK | ServiceFlag.WITNESS);
  assertEquals(peer.witnessEnabled, true);
  assertEquals(peer.userAgent, "/Satoshi:29.0.0/");
  assertEquals(peer.startingHeight, 850_000);
  assertEquals(peer.lastBlock, 850_000);
  assertEquals(peer.timeOffset, 7);
  assertEquals(peer.remoteVersion?.nonce, theirs.nonce);
  assertGreater(peer.id, 0);
  assertEquals(peer.inbound, false);
  assertEquals(String(peer), "203.0.113.5:18444 (outbound)");
  await close();
});

Deno.test("handshake: inbound peer waits for the remote's version, then answers", async () => {
  const { peer, remote, clock, close } = startPeer({ inbound: true });
  await clock.tick(1000);
  assertEquals(await remote.received(), [], "an inbound peer must not speak first");
  await remote.send(remoteVersion());
  const sent = [];
  for (let i = 0; i < 4; i++) sent.push((await remote.next())?.command);
  assertEquals(sent, ["version", "sendaddrv2", "wtxidrelay", "verack"]);
  await remote.send({ command: "verack" });
  assertEquals(await peer.ready, true);
  assertEquals(peer.inbound, true);
  assertEquals(String(peer), "203.0.113.5:18444 (inbound)");
  // The remote sent neither feature message.
  assertEquals(peer.wantsAddrV2, false);
  assertEquals(peer.wtxidRelay, false);
  await close();
});

Deno.test("handshake: the negotiated version is the lower one and gates the feature messages", async (t) => {
  for (const peerInbound of [false, true]) {
    const direction = peerInbound ? "inbound" : "outbound";
    await t.step(`${direction}: remote at 70015, no sendaddrv2/wtxidrelay either way`, async () => {
      const { peer, handshake, close } = await connectedPeer({
        inbound: peerInbound,
        handshake: { version: { protocolVersion: 70015 }, sendAddrV2: true, wtxidRelay: true },
      });
      assertEquals(handshake.version.protocolVersion, 70016);
      assertEquals(handshake.preVerack.map((m) => m.command), ["verack"]);
      assertEquals(peer.protocolVersion, 70015);
      // Sent by the remote, but meaningless at 70015: not recorded.
      assertEquals(peer.wantsAddrV2, false);
      assertEquals(peer.wtxidRelay, false);
      await close();
    });
    await t.step(`${direction}: we are at 70015, the remote at 70016`, async () => {
      const { peer, handshake, close } = await connectedPeer({
        inbound: peerInbound,
        protocolVersion: 70015,
      });
      assertEquals(handshake.version.protocolVersion, 70015);
      assertEquals(handshake.protocolVersion, 70015);
      assertEquals(handshake.preVerack.map((m) => m.command), ["verack"]);
      assertEquals(peer.protocolVersion, 70015);
      await close();
    });
    await t.step(`${direction}: a newer remote (70017) negotiates down to ours`, async () => {
      const { peer, handshake, close } = await connectedPeer({
        inbound: peerInbound,
        handshake: { version: { protocolVersion: 70017 } },
      });
      assertEquals(handshake.preVerack.map((m) => m.command), [
        "sendaddrv2",
        "wtxidrelay",
        "verack",
      ]);
      assertEquals(peer.protocolVersion, 70016);
      assertEquals(peer.remoteVersion?.protocolVersion, 70017);
      assertEquals(peer.statsSnapshot().version, 70017, "the snapshot has the advertised version");
      await close();
    });
    await t.step(`${direction}: 209, the oldest acceptable version, connects`, async () => {
      const { peer, handshake, close } = await connectedPeer({
        inbound: peerInbound,
        handshake: { version: { protocolVersion: 209 } },
      });
      assertEquals(handshake.preVerack.map((m) => m.command), ["verack"]);
      assertEquals(peer.protocolVersion, 209);
      await close();
    });
    await t.step(`${direction}: 208 is obsolete`, async () => {
      const { peer, remote, close } = startPeer({ inbound: peerInbound });
      remote.setProtocolVersion(208);
      if (!peerInbound) await remote.expect("version");
      await remote.send(remoteVersion({ protocolVersion: 208 }));
      // A reject does not exist before 70002, so the connection just ends.
      assertEquals(await remote.rest(), []);
      assertEquals(await peer.ready, false);
      const reason = await peer.closed;
      assertEquals(reason.code, "obsolete");
      assertMatch(reason.message, /208 is below 209/);
      await close();
    });
  }
  await t.step("wtxidRelay: false sends no wtxidrelay", async () => {
    const { handshake, close } = await connectedPeer({ wtxidRelay: false });
    assertEquals(handshake.preVerack.map((m) => m.command), ["sendaddrv2", "verack"]);
    await close();
  });
});

Deno.test("handshake: self-connection is detected by nonce", async (t) => {
  await t.step("the remote echoes our nonce", async () => {
    const { peer, remote, close } = startPeer();
    const ours = await remote.expect("version");
    await remote.send(remoteVersion({ nonce: ours.nonce }));
    assertEquals(await remote.rest(), []);
    assertEquals(await peer.ready, false);
    assertEquals((await peer.closed).code, "self-connection");
    await close();
  });
  await t.step("allowSelfConnections accepts it", async () => {
    const { peer, remote, close } = startPeer({ allowSelfConnections: true });
    const ours = await remote.expect("version");
    await remote.send(remoteVersion({ nonce: ours.nonce }));
    await remote.send({ command: "verack" });
    assertEquals(await peer.ready, true);
    await close();
  });
  await t.step("two peers sharing one SentNonces look like one node", async () => {
    const nonces = new SentNonces();
    const clock = new FakeClock();
    const [a, b] = memoryConnectionPair();
    const outbound = new Peer(a, { network: "regtest", clock, sentNonces: nonces });
    const inbound = new Peer(b, { network: "regtest", clock, sentNonces: nonces, inbound: true });
    assertEquals(await inbound.ready, false);
    assertEquals((await inbound.closed).code, "self-connection");
    assertEquals(await outbound.ready, false);
    assertEquals((await outbound.closed).code, "remote-closed");
  });
  await t.step("two peers with their own SentNonces connect", async () => {
    const clock = new FakeClock();
    const [a, b] = memoryConnectionPair();
    const outbound = new Peer(a, { network: "regtest", clock, sentNonces: new SentNonces() });
    const inbound = new Peer(b, {
      network: "regtest",
      clock,
      sentNonces: new SentNonces(),
      inbound: true,
    });
    assertEquals([await outbound.ready, await inbound.ready], [true, true]);
    assertEquals(outbound.wantsAddrV2 && inbound.wantsAddrV2, true);
    assertEquals(outbound.wtxidRelay && inbound.wtxidRelay, true);
    outbound.disconnect();
    assertEquals((await inbound.closed).code, "remote-closed");
    assertEquals((await outbound.closed).code, "local");
  });
});

Deno.test("handshake: the first message must be version", async (t) => {
  for (const peerInbound of [false, true]) {
    const direction = peerInbound ? "inbound" : "outbound";
    await t.step(`${direction}: a ping first is rejected as malformed`, async () => {
      const { peer, remote, close } = startPeer({ inbound: peerInbound });
      if (!peerInbound) await remote.expect("version");
      await remote.send({ command: "ping", nonce: 1n });
      const rejected = await remote.expect("reject");
      assertEquals(rejected.message, "version");
      assertEquals(rejected.code, RejectCode.MALFORMED);
      assertEquals(rejected.reason, "a version message must precede all others");
      assertEquals(await remote.rest(), []);
      assertEquals(await peer.ready, false);
      const reason = await peer.closed;
      assertEquals(reason.code, "handshake-failed");
      assertMatch(reason.message, /"ping" before "version"/);
      await close();
    });
  }
  await t.step("an unknown command first is rejected too", async () => {
    const { peer, remote, close } = startPeer({ inbound: true });
    await remote.sendBytes(rawFrame("feature"));
    assertEquals((await remote.expect("reject")).code, RejectCode.MALFORMED);
    assertMatch((await peer.closed).message, /"feature" before "version"/);
    await close();
  });
  await t.step("the remote closing before version ends the peer", async () => {
    const { peer, remote, close } = startPeer({ inbound: true });
    await remote.close();
    assertEquals(await peer.ready, false);
    assertEquals((await peer.closed).code, "remote-closed");
    await close();
  });
});

Deno.test("handshake: onVersion sees the version and may reject it", async (t) => {
  await t.step("a returned reject is sent, and the peer ends", async () => {
    let seen: VersionMessage | undefined;
    const { peer, remote, close } = startPeer({
      inbound: true,
      listeners: {
        onVersion: (p, version) => {
          seen = version;
          assertEquals(p.versionKnown, true, "the peer has recorded the version");
          return {
            command: "reject",
            message: "version",
            code: RejectCode.OBSOLETE,
            reason: "too old for us",
          };
        },
      },
    });
    const theirs = remoteVersion({ userAgent: "/old:1.0/" });
    await remote.send(theirs);
    const rejected = await remote.expect("reject");
    assertEquals(
      [rejected.message, rejected.code, rejected.reason],
      ["version", RejectCode.OBSOLETE, "too old for us"],
    );
    assertEquals(await remote.rest(), [], "no version of ours after a reject");
    assertEquals(seen?.userAgent, "/old:1.0/");
    assertEquals(await peer.ready, false);
    const reason = await peer.closed;
    assertEquals(reason.code, "rejected");
    assertMatch(reason.message, /too old for us/);
    await close();
  });
  await t.step("an async onVersion returning nothing lets the handshake go on", async () => {
    const { peer, remote, clock, close } = startPeer({
      inbound: true,
      listeners: {
        onVersion: async () => {
          await Promise.resolve();
        },
      },
    });
    await remote.send(remoteVersion());
    await remote.expect("version");
    await clock.tick(0);
    await remote.send({ command: "verack" });
    assertEquals(await peer.ready, true);
    await close();
  });
});

Deno.test("handshake: before verack, unknown messages are ignored and known ones fail", async (t) => {
  await t.step("unknown commands and sendtxrcncl are ignored; listeners see them", async () => {
    const seen: string[] = [];
    const { peer, remote, close } = startPeer({
      listeners: {
        onUnknown: (_p, m) => void seen.push(`unknown:${m.name}`),
        onSendTxRcncl: () => void seen.push("sendtxrcncl"),
        onSendAddrV2: () => void seen.push("sendaddrv2"),
        onWtxidRelay: () => void seen.push("wtxidrelay"),
        onVerAck: () => void seen.push("verack"),
      },
    });
    await remote.expect("version");
    await remote.send(remoteVersion());
    await remote.sendBytes(rawFrame("feature", new Uint8Array([1, 2, 3])));
    await remote.send({ command: "sendaddrv2" });
    await remote.send({ command: "sendtxrcncl", version: 1, salt: 5n });
    await remote.send({ command: "wtxidrelay" });
    await remote.send({ command: "verack" });
    assertEquals(await peer.ready, true);
    assertEquals(seen, [
      "unknown:feature",
      "sendaddrv2",
      "sendtxrcncl",
      "wtxidrelay",
      "verack",
    ]);
    assertEquals(peer.wantsAddrV2, true);
    assertEquals(peer.wtxidRelay, true);
    await close();
  });
  for (const peerInbound of [false, true]) {
    const direction = peerInbound ? "inbound" : "outbound";
    await t.step(`${direction}: a ping before verack fails the handshake`, async () => {
      const { peer, remote, close } = startPeer({ inbound: peerInbound });
      if (peerInbound) {
        await remote.send(remoteVersion());
        await remote.expect("version");
      } else {
        await remote.expect("version");
        await remote.send(remoteVersion());
      }
      await remote.send({ command: "ping", nonce: 3n });
      const rest = await remote.rest();
      assertEquals(rest.map((m) => m.command), ["sendaddrv2", "wtxidrelay", "verack"]);
      assertEquals(await peer.ready, false);
      const reason = await peer.closed;
      assertEquals(reason.code, "handshake-failed");
      assertMatch(reason.message, /"ping" before "verack"/);
      await close();
    });
  }
  await t.step("a second version before verack is rejected as a duplicate", async () => {
    const { peer, remote, close } = startPeer();
    await remote.expect("version");
    await remote.send(remoteVersion());
    await remote.send(remoteVersion());
    const rest = await remote.rest();
    assertEquals(rest.map((m) => m.command), ["sendaddrv2", "wtxidrelay", "verack", "reject"]);
    const rejected = rest[3];
    assert(rejected.command === "reject");
    assertEquals(rejected.code, RejectCode.DUPLICATE);
    assertEquals(rejected.message, "version");
    assertEquals((await peer.closed).code, "duplicate");
    await close();
  });
});

Deno.test("handshake: after verack, duplicates and late feature messages disconnect", async (t) => {
  for (const command of ["version", "verack"] as const) {
    await t.step(`a second ${command} is rejected as duplicate`, async () => {
      const { peer, remote, close } = await connectedPeer();
      await remote.send(command === "version" ? remoteVersion() : { command });
      const rejected = await remote.expect("reject");
      assertEquals(rejected.message, command);
      assertEquals(rejected.code, RejectCode.DUPLICATE);
      assertEquals(rejected.reason, `duplicate ${command} message`);
      assertEquals(await remote.rest(), []);
      const reason = await peer.closed;
      assertEquals(reason.code, "duplicate");
      assertEquals(peer.connected, false);
      await close();
    });
  }
  for (const command of ["sendaddrv2", "wtxidrelay"] as const) {
    await t.step(`${command} after verack disconnects`, async () => {
      const { peer, remote, close } = await connectedPeer();
      await remote.send({ command });
      assertEquals(await remote.rest(), []);
      const reason = await peer.closed;
      assertEquals(reason.code, "misbehaving");
      assertMatch(reason.message, new RegExp(`"${command}" after "verack"`));
      await close();
    });
  }
  await t.step("a peer below 70002 gets no reject for a duplicate", async () => {
    const { peer, remote, close } = await connectedPeer({
      handshake: { version: { protocolVersion: 70001 } },
    });
    await remote.send({ command: "verack" });
    assertEquals(await remote.rest(), []);
    assertEquals((await peer.closed).code, "duplicate");
    await close();
  });
});

Deno.test("handshake: messages right behind verack in the same chunk are not lost", async () => {
  const pings: bigint[] = [];
  const { peer, remote, close } = startPeer({
    listeners: { onPing: (_p, m) => void pings.push(m.nonce) },
  });
  await remote.expect("version");
  const frames = [
    remote.frame(remoteVersion()),
    remote.frame({ command: "verack" }),
    remote.frame({ command: "ping", nonce: 11n }),
    remote.frame({ command: "ping", nonce: 12n }),
  ];
  await remote.sendBytes(new Uint8Array(frames.flatMap((f) => [...f])));
  assertEquals(await peer.ready, true);
  assertEquals((await remote.expect("pong", ["sendaddrv2", "wtxidrelay", "verack"])).nonce, 11n);
  assertEquals((await remote.expect("pong")).nonce, 12n);
  assertEquals(pings, [11n, 12n]);
  await close();
});

Deno.test("handshake: the RawRemote harness reads both directions at the remote's version", async () => {
  // A sanity check of the harness itself: a remote at 70012 encodes and decodes at 70012.
  const [near, far] = memoryConnectionPair();
  const a = new RawRemote(near, { protocolVersion: 70012 });
  const b = new RawRemote(far, { protocolVersion: 70012 });
  await a.send({ command: "sendheaders" });
  assertEquals(await b.next(), { command: "sendheaders" });
  await a.close();
  assertEquals(await b.next(), undefined);
  await b.close();
});

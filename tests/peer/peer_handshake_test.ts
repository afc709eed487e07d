// The version handshake of a Peer, played against a hand-driven remote: both directions, old
// and new versions, self-connection, rejects and the pre-verack rules (REFERENCE 1.6).
import assert from "node:assert/strict";
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
  assert.equal(version.protocolVersion, 70016);
  assert.equal(version.services, ServiceFlag.WITNESS);
  assert.equal(version.timestamp, BigInt(Date.UTC(2026, 0, 1, 12) / 1000));
  assert.deepEqual(version.addrRecv, netAddressFromHost("203.0.113.5", 18444));
  assert.equal(version.addrFrom.services, ServiceFlag.WITNESS);
  assert.equal(version.userAgent, "/btcstream:0.1.0/");
  assert.equal(version.startHeight, 840_000);
  assert.equal(version.relay, true);
  assert.notEqual(version.nonce, 0n);
  assert.equal(peer.versionKnown, false);
  assert.equal(peer.id, 0);

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
  assert.deepEqual(commands, ["sendaddrv2", "wtxidrelay", "verack"]);
  assert.equal(await peer.ready, true);
  assert.equal(peer.connected, true);
  assert.equal(peer.versionKnown, true);
  assert.equal(peer.verAckReceived, true);
  assert.equal(peer.protocolVersion, 70016);
  assert.equal(peer.wantsAddrV2, true);
  assert.equal(peer.wtxidRelay, true);
  assert.equal(peer.services, ServiceFlag.NETWORK | ServiceFlag.WITNESS);
  assert.equal(peer.witnessEnabled, true);
  assert.equal(peer.userAgent, "/Satoshi:29.0.0/");
  assert.equal(peer.startingHeight, 850_000);
  assert.equal(peer.lastBlock, 850_000);
  assert.equal(peer.timeOffset, 7);
  assert.equal(peer.remoteVersion?.nonce, theirs.nonce);
  assert.ok(peer.id > 0);
  assert.equal(peer.inbound, false);
  assert.equal(String(peer), "203.0.113.5:18444 (outbound)");
  await close();
});

Deno.test("handshake: inbound peer waits for the remote's version, then answers", async () => {
  const { peer, remote, clock, close } = startPeer({ inbound: true });
  await clock.tick(1000);
  assert.deepEqual(await remote.received(), [], "an inbound peer must not speak first");
  await remote.send(remoteVersion());
  const sent = [];
  for (let i = 0; i < 4; i++) sent.push((await remote.next())?.command);
  assert.deepEqual(sent, ["version", "sendaddrv2", "wtxidrelay", "verack"]);
  await remote.send({ command: "verack" });
  assert.equal(await peer.ready, true);
  assert.equal(peer.inbound, true);
  assert.equal(String(peer), "203.0.113.5:18444 (inbound)");
  // The remote sent neither feature message.
  assert.equal(peer.wantsAddrV2, false);
  assert.equal(peer.wtxidRelay, false);
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
      assert.equal(handshake.version.protocolVersion, 70016);
      assert.deepEqual(handshake.preVerack.map((m) => m.command), ["verack"]);
      assert.equal(peer.protocolVersion, 70015);
      // Sent by the remote, but meaningless at 70015: not recorded.
      assert.equal(peer.wantsAddrV2, false);
      assert.equal(peer.wtxidRelay, false);
      await close();
    });
    await t.step(`${direction}: we are at 70015, the remote at 70016`, async () => {
      const { peer, handshake, close } = await connectedPeer({
        inbound: peerInbound,
        protocolVersion: 70015,
      });
      assert.equal(handshake.version.protocolVersion, 70015);
      assert.equal(handshake.protocolVersion, 70015);
      assert.deepEqual(handshake.preVerack.map((m) => m.command), ["verack"]);
      assert.equal(peer.protocolVersion, 70015);
      await close();
    });
    await t.step(`${direction}: a newer remote (70017) negotiates down to ours`, async () => {
      const { peer, handshake, close } = await connectedPeer({
        inbound: peerInbound,
        handshake: { version: { protocolVersion: 70017 } },
      });
      assert.deepEqual(handshake.preVerack.map((m) => m.command), [
        "sendaddrv2",
        "wtxidrelay",
        "verack",
      ]);
      assert.equal(peer.protocolVersion, 70016);
      assert.equal(peer.remoteVersion?.protocolVersion, 70017);
      assert.equal(peer.statsSnapshot().version, 70017, "the snapshot has the advertised version");
      await close();
    });
    await t.step(`${direction}: 209, the oldest acceptable version, connects`, async () => {
      const { peer, handshake, close } = await connectedPeer({
        inbound: peerInbound,
        handshake: { version: { protocolVersion: 209 } },
      });
      assert.deepEqual(handshake.preVerack.map((m) => m.command), ["verack"]);
      assert.equal(peer.protocolVersion, 209);
      await close();
    });
    await t.step(`${direction}: 208 is obsolete`, async () => {
      const { peer, remote, close } = startPeer({ inbound: peerInbound });
      remote.setProtocolVersion(208);
      if (!peerInbound) await remote.expect("version");
      await remote.send(remoteVersion({ protocolVersion: 208 }));
      // A reject does not exist before 70002, so the connection just ends.
      assert.deepEqual(await remote.rest(), []);
      assert.equal(await peer.ready, false);
      const reason = await peer.closed;
      assert.equal(reason.code, "obsolete");
      assert.match(reason.message, /208 is below 209/);
      await close();
    });
  }
  await t.step("wtxidRelay: false sends no wtxidrelay", async () => {
    const { handshake, close } = await connectedPeer({ wtxidRelay: false });
    assert.deepEqual(handshake.preVerack.map((m) => m.command), ["sendaddrv2", "verack"]);
    await close();
  });
});

Deno.test("handshake: self-connection is detected by nonce", async (t) => {
  await t.step("the remote echoes our nonce", async () => {
    const { peer, remote, close } = startPeer();
    const ours = await remote.expect("version");
    await remote.send(remoteVersion({ nonce: ours.nonce }));
    assert.deepEqual(await remote.rest(), []);
    assert.equal(await peer.ready, false);
    assert.equal((await peer.closed).code, "self-connection");
    await close();
  });
  await t.step("allowSelfConnections accepts it", async () => {
    const { peer, remote, close } = startPeer({ allowSelfConnections: true });
    const ours = await remote.expect("version");
    await remote.send(remoteVersion({ nonce: ours.nonce }));
    await remote.send({ command: "verack" });
    assert.equal(await peer.ready, true);
    await close();
  });
  await t.step("two peers sharing one SentNonces look like one node", async () => {
    const nonces = new SentNonces();
    const clock = new FakeClock();
    const [a, b] = memoryConnectionPair();
    const outbound = new Peer(a, { network: "regtest", clock, sentNonces: nonces });
    const inbound = new Peer(b, { network: "regtest", clock, sentNonces: nonces, inbound: true });
    assert.equal(await inbound.ready, false);
    assert.equal((await inbound.closed).code, "self-connection");
    assert.equal(await outbound.ready, false);
    assert.equal((await outbound.closed).code, "remote-closed");
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
    assert.deepEqual([await outbound.ready, await inbound.ready], [true, true]);
    assert.equal(outbound.wantsAddrV2 && inbound.wantsAddrV2, true);
    assert.equal(outbound.wtxidRelay && inbound.wtxidRelay, true);
    outbound.disconnect();
    assert.equal((await inbound.closed).code, "remote-closed");
    assert.equal((await outbound.closed).code, "local");
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
      assert.equal(rejected.message, "version");
      assert.equal(rejected.code, RejectCode.MALFORMED);
      assert.equal(rejected.reason, "a version message must precede all others");
      assert.deepEqual(await remote.rest(), []);
      assert.equal(await peer.ready, false);
      const reason = await peer.closed;
      assert.equal(reason.code, "handshake-failed");
      assert.match(reason.message, /"ping" before "version"/);
      await close();
    });
  }
  await t.step("an unknown command first is rejected too", async () => {
    const { peer, remote, close } = startPeer({ inbound: true });
    await remote.sendBytes(rawFrame("feature"));
    assert.equal((await remote.expect("reject")).code, RejectCode.MALFORMED);
    assert.match((await peer.closed).message, /"feature" before "version"/);
    await close();
  });
  await t.step("the remote closing before version ends the peer", async () => {
    const { peer, remote, close } = startPeer({ inbound: true });
    await remote.close();
    assert.equal(await peer.ready, false);
    assert.equal((await peer.closed).code, "remote-closed");
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
          assert.equal(p.versionKnown, true, "the peer has recorded the version");
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
    assert.deepEqual(
      [rejected.message, rejected.code, rejected.reason],
      ["version", RejectCode.OBSOLETE, "too old for us"],
    );
    assert.deepEqual(await remote.rest(), [], "no version of ours after a reject");
    assert.equal(seen?.userAgent, "/old:1.0/");
    assert.equal(await peer.ready, false);
    const reason = await peer.closed;
    assert.equal(reason.code, "rejected");
    assert.match(reason.message, /too old for us/);
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
    assert.equal(await peer.ready, true);
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
    assert.equal(await peer.ready, true);
    assert.deepEqual(seen, [
      "unknown:feature",
      "sendaddrv2",
      "sendtxrcncl",
      "wtxidrelay",
      "verack",
    ]);
    assert.equal(peer.wantsAddrV2, true);
    assert.equal(peer.wtxidRelay, true);
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
      assert.deepEqual(rest.map((m) => m.command), ["sendaddrv2", "wtxidrelay", "verack"]);
      assert.equal(await peer.ready, false);
      const reason = await peer.closed;
      assert.equal(reason.code, "handshake-failed");
      assert.match(reason.message, /"ping" before "verack"/);
      await close();
    });
  }
  await t.step("a second version before verack is rejected as a duplicate", async () => {
    const { peer, remote, close } = startPeer();
    await remote.expect("version");
    await remote.send(remoteVersion());
    await remote.send(remoteVersion());
    const rest = await remote.rest();
    assert.deepEqual(rest.map((m) => m.command), ["sendaddrv2", "wtxidrelay", "verack", "reject"]);
    const rejected = rest[3];
    assert.ok(rejected.command === "reject");
    assert.equal(rejected.code, RejectCode.DUPLICATE);
    assert.equal(rejected.message, "version");
    assert.equal((await peer.closed).code, "duplicate");
    await close();
  });
});

Deno.test("handshake: after verack, duplicates and late feature messages disconnect", async (t) => {
  for (const command of ["version", "verack"] as const) {
    await t.step(`a second ${command} is rejected as duplicate`, async () => {
      const { peer, remote, close } = await connectedPeer();
      await remote.send(command === "version" ? remoteVersion() : { command });
      const rejected = await remote.expect("reject");
      assert.equal(rejected.message, command);
      assert.equal(rejected.code, RejectCode.DUPLICATE);
      assert.equal(rejected.reason, `duplicate ${command} message`);
      assert.deepEqual(await remote.rest(), []);
      const reason = await peer.closed;
      assert.equal(reason.code, "duplicate");
      assert.equal(peer.connected, false);
      await close();
    });
  }
  for (const command of ["sendaddrv2", "wtxidrelay"] as const) {
    await t.step(`${command} after verack disconnects`, async () => {
      const { peer, remote, close } = await connectedPeer();
      await remote.send({ command });
      assert.deepEqual(await remote.rest(), []);
      const reason = await peer.closed;
      assert.equal(reason.code, "misbehaving");
      assert.match(reason.message, new RegExp(`"${command}" after "verack"`));
      await close();
    });
  }
  await t.step("a peer below 70002 gets no reject for a duplicate", async () => {
    const { peer, remote, close } = await connectedPeer({
      handshake: { version: { protocolVersion: 70001 } },
    });
    await remote.send({ command: "verack" });
    assert.deepEqual(await remote.rest(), []);
    assert.equal((await peer.closed).code, "duplicate");
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
  assert.equal(await peer.ready, true);
  assert.equal((await remote.expect("pong", ["sendaddrv2", "wtxidrelay", "verack"])).nonce, 11n);
  assert.equal((await remote.expect("pong")).nonce, 12n);
  assert.deepEqual(pings, [11n, 12n]);
  await close();
});

Deno.test("handshake: the RawRemote harness reads both directions at the remote's version", async () => {
  // A sanity check of the harness itself: a remote at 70012 encodes and decodes at 70012.
  const [near, far] = memoryConnectionPair();
  const a = new RawRemote(near, { protocolVersion: 70012 });
  const b = new RawRemote(far, { protocolVersion: 70012 });
  await a.send({ command: "sendheaders" });
  assert.deepEqual(await b.next(), { command: "sendheaders" });
  await a.close();
  assert.equal(await b.next(), undefined);
  await b.close();
});

// Peers over BIP 324's v2 transport: the key exchange before the version handshake, messages
// both ways across rekeys, and the fallbacks Bitcoin Core has (a v2 responder accepts a v1
// initiator; a v2 initiator refused by a v1-only node ends so that it can be dialed with v1).
import { assert, assertEquals, assertInstanceOf, assertMatch } from "@std/assert";
import { TransportError } from "../../transport/errors.ts";
import { memoryConnectionPair } from "../../peer/connection.ts";
import { SentNonces } from "../../peer/handshake.ts";
import { Peer, type PeerOptions } from "../../peer/peer.ts";
import { tcpPeers } from "../_util/tcp.ts";

/** Two peers, over TCP on 127.0.0.1 or in memory: `outbound` dialed `inbound`. */
async function pair(
  outbound: PeerOptions,
  inbound: PeerOptions,
  over: "tcp" | "memory" = "tcp",
): Promise<[Peer, Peer]> {
  if (over === "tcp") {
    const peers = await tcpPeers({ sentNonces: new SentNonces(), ...outbound }, inbound);
    return [peers.outbound, peers.inbound];
  }
  const [a, b] = memoryConnectionPair();
  return [
    new Peer(a, { network: "regtest", sentNonces: new SentNonces(), ...outbound }),
    new Peer(b, { network: "regtest", inbound: true, sentNonces: new SentNonces(), ...inbound }),
  ];
}

async function end(...peers: Peer[]): Promise<void> {
  for (const p of peers) p.disconnect();
  await Promise.all(peers.map((p) => p.closed));
}

Deno.test("v2: two peers handshake over an encrypted channel and share a session id", async (t) => {
  for (const over of ["tcp", "memory"] as const) {
    await t.step(over, async () => {
      const [alice, bob] = await pair({ transport: "v2" }, { transport: "v2" }, over);
      assert(await alice.ready);
      assert(await bob.ready);
      assertEquals([alice.transportProtocol, bob.transportProtocol], ["v2", "v2"]);
      assertMatch(alice.sessionId, /^[0-9a-f]{64}$/);
      assertEquals(alice.sessionId, bob.sessionId);
      await end(alice, bob);
    });
  }
});

Deno.test("v2: 1,000 messages each way cross the rekey interval, in order", async () => {
  const got: bigint[] = [];
  const gotBack: bigint[] = [];
  const [alice, bob] = await pair(
    { transport: "v2", listeners: { onPong: (_p, m) => void gotBack.push(m.nonce) } },
    { transport: "v2", listeners: { onPing: (_p, m) => void got.push(m.nonce) } },
  );
  assert(await alice.ready);
  assert(await bob.ready);
  const sends: Promise<boolean>[] = [];
  for (let i = 1; i <= 1000; i++) {
    sends.push(alice.queueMessage({ command: "ping", nonce: BigInt(i) }));
  }
  assert((await Promise.all(sends)).every((ok) => ok));
  while (gotBack.length < 1000) await new Promise((r) => setTimeout(r, 1));
  const expected = Array.from({ length: 1000 }, (_, i) => BigInt(i + 1));
  assertEquals(got, expected);
  assertEquals(gotBack, expected, "every pong came back: the other direction rekeyed too");
  await end(alice, bob);
});

Deno.test("v2: a message without a short id goes in the long form (sendheaders)", async () => {
  const [alice, bob] = await pair({ transport: "v2" }, { transport: "v2" });
  assert(await alice.ready);
  assert(await bob.ready);
  const reader = bob.messages().getReader();
  await alice.queueMessage({ command: "sendheaders" });
  assertEquals((await reader.read()).value?.command, "sendheaders");
  await reader.cancel();
  await end(alice, bob);
});

Deno.test("v2: a v1 initiator is accepted by a v2 responder, as v1", async () => {
  const [alice, bob] = await pair({ transport: "v1" }, { transport: "v2" });
  assert(await alice.ready);
  assert(await bob.ready);
  assertEquals([alice.transportProtocol, bob.transportProtocol], ["v1", "v1"]);
  assertEquals(bob.sessionId, "");
  await alice.queueMessage({ command: "ping", nonce: 5n });
  await end(alice, bob);
});

Deno.test("v2: an initiator refused by a v1-only node ends with v2-not-supported", async () => {
  const [alice, bob] = await pair({ transport: "v2" }, { transport: "v1" });
  assertEquals(await alice.ready, false);
  assertEquals((await alice.closed).code, "v2-not-supported");
  assertEquals((await bob.closed).code, "protocol-error");
});

Deno.test("v2: a flipped bit in a packet ends the peer with a typed error", async () => {
  const [a, b] = memoryConnectionPair();
  // A man in the middle flips one bit well past the handshake (key, at most 4,095 bytes of
  // garbage, terminator, version packet), inside an application packet.
  const at = 10_000;
  let seen = 0;
  const flip = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, c) {
      const copy = chunk.slice();
      if (seen <= at && seen + copy.length > at) copy[at - seen] ^= 1;
      seen += copy.length;
      c.enqueue(copy);
    },
  });
  // Alice writes through the flipper into her side of the pair.
  const tampered = { readable: a.readable, writable: flip.writable, close: () => a.close() };
  void flip.readable.pipeTo(a.writable).catch(() => {});
  const alice = new Peer(tampered, {
    network: "regtest",
    transport: "v2",
    sentNonces: new SentNonces(),
  });
  const bob = new Peer(b, {
    network: "regtest",
    inbound: true,
    transport: "v2",
    sentNonces: new SentNonces(),
  });
  assert(await alice.ready);
  assert(await bob.ready);
  const inventory = Array.from({ length: 1000 }, () => ({ type: 1, hash: new Uint8Array(32) }));
  await alice.queueMessage({ command: "inv", inventory });
  const reason = await bob.closed;
  assertEquals(reason.code, "protocol-error");
  assertInstanceOf(reason.error, TransportError);
  assertEquals(reason.error.code, "bad-packet");
  await end(alice);
});

Deno.test("v2: a node that answers our key with a v1 reject is taken for v1-only at once", async () => {
  const { startPeer, rawFrame } = await import("../_util/raw_remote.ts");
  const { peer, remote, close } = startPeer({ transport: "v2" });
  // As btcd and bcoin: our key does not parse as a v1 header, and the reply is a v1 reject.
  const reject = new Uint8Array([9, ...new TextEncoder().encode("malformed"), 1, 0]);
  await remote.sendBytes(rawFrame("reject", reject));
  assertEquals((await peer.closed).code, "v2-not-supported");
  await close();
});

Deno.test("v2: a node that never answers our key is taken for v1-only at the deadline", async () => {
  const { startPeer } = await import("../_util/raw_remote.ts");
  const { peer, clock, close } = startPeer({ transport: "v2" });
  await clock.tick(30_000);
  const reason = await peer.closed;
  assertEquals(reason.code, "v2-not-supported");
  assertMatch(reason.message, /No answer to our v2 key in 30 s/);
  await close();
});

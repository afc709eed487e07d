// Peers over real TCP sockets on 127.0.0.1 (ports chosen by the OS): the handshake, pings,
// addresses, inventory and a real mainnet block end to end; a remote that stops reading is
// dropped at the send-queue cap with bounded memory; a connection cut mid-message ends the
// peer cleanly.
import { assert, assertEquals, assertGreater, assertLess, assertLessOrEqual } from "@std/assert";
import { type Connection, Peer, SentNonces } from "../../peer/mod.ts";
import {
  blockHash,
  checkMerkleRoot,
  decodeBlock,
  encodeMessage,
  type InvVect,
  netAddressFromHost,
  netAddressV2FromString,
} from "../../wire/mod.ts";
import { dataStep, readShared } from "../_util/shared_data.ts";
import { tcpPeers, tcpSockets } from "../_util/tcp.ts";
import { delay } from "@std/async/delay";

const BLOCK_FILE = "block-0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2.blk";

function hashOf(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

Deno.test("two peers over TCP on 127.0.0.1", async (t) => {
  await t.step("handshake, ping/pong, addr, addrv2 and inv", async () => {
    const received: string[] = [];
    const lastPong = Promise.withResolvers<void>();
    let inv: readonly InvVect[] = [];
    let addrCount = 0;
    let addrV2Count = 0;
    const { outbound, inbound } = await tcpPeers({
      listeners: { onPong: (_p, pong) => void (pong.nonce === 100n && lastPong.resolve()) },
    }, {
      listeners: {
        onPing: () => void received.push("ping"),
        onAddr: (_p, m) => void (addrCount = m.addresses.length),
        onAddrV2: (_p, m) => void (addrV2Count = m.addresses.length),
        onInv: (_p, m) => void (inv = m.inventory),
      },
    });
    assertEquals(await outbound.ready, true);
    assertEquals(await inbound.ready, true);
    assertEquals(outbound.protocolVersion, 70016);
    assertEquals(inbound.userAgent, "/btcstream:0.1.0/");
    assertEquals(outbound.wantsAddrV2, true);
    assertEquals(inbound.wtxidRelay, true);

    assertEquals(await outbound.queueMessage({ command: "ping", nonce: 99n }), true);
    const addresses = Array.from(
      { length: 1500 },
      (_, i) =>
        netAddressFromHost(`203.0.${i >> 8}.${i & 255}`, 8333, {
          services: 1n,
          timestamp: 1_700_000_000,
        }),
    );
    assertEquals(outbound.pushAddrMsg(addresses).length, 1000);
    const v2 = [netAddressV2FromString("2001:db8::1", 8333, { timestamp: 1_700_000_000 })];
    assertEquals(outbound.pushAddrV2Msg(v2).length, 1);
    const inventory = Array.from({ length: 1000 }, (_, i) => ({ type: 1, hash: hashOf(i & 255) }));
    assertEquals(await outbound.queueMessage({ command: "inv", inventory }), true);

    // The pong to this ping comes back once the inbound side handled everything before it.
    await outbound.queueMessage({ command: "ping", nonce: 100n });
    await lastPong.promise;
    // Timed on the monotonic clock: a real, sub-millisecond-resolution round trip.
    assertEquals(outbound.lastPingNonce, 0n);
    assertGreater(outbound.lastPingMicros, 0, `round trip ${outbound.lastPingMicros} µs`);
    assertEquals(received, ["ping", "ping"]);
    assertEquals(addrCount, 1000);
    assertEquals(addrV2Count, 1);
    assertEquals(inv.length, 1000);
    const stats = inbound.statsSnapshot();
    assertEquals(stats.receivedPerCommand.inv.messages, 1);
    assertEquals(stats.receivedPerCommand.addr.messages, 1);
    assertEquals(stats.bytesReceived, outbound.statsSnapshot().bytesSent);

    outbound.disconnect();
    assertEquals((await outbound.closed).code, "local");
    assertEquals((await inbound.closed).code, "remote-closed");
  });

  await t.step(dataStep("a real 1.2 MB mainnet block, end to end", async () => {
    const block = decodeBlock(readShared(BLOCK_FILE));
    let got: Uint8Array | undefined;
    let merkleOk = false;
    const { outbound, inbound } = await tcpPeers({}, {
      listeners: {
        onBlock: (_p, m) => {
          got = blockHash(m.header);
          merkleOk = checkMerkleRoot(m);
        },
      },
    });
    await outbound.ready;
    // The stall detector waits for a block after a getdata; the block answers it.
    assertEquals(await outbound.queueMessage({ command: "block", ...block }), true);
    const frameSize = encodeMessage({ command: "block", ...block }).length;
    for await (const message of inbound.messages()) {
      if (message.command === "block") break;
    }
    assertEquals(got, blockHash(block.header));
    assertEquals(merkleOk, true);
    assertEquals(inbound.statsSnapshot().receivedPerCommand.block.bytes, frameSize);
    inbound.disconnect();
    await inbound.closed;
    assertEquals((await outbound.closed).code, "remote-closed");
  }));
});

Deno.test("a remote that stops reading is dropped at the send-queue cap", async () => {
  const capBytes = 8 * 1024 * 1024;
  let release!: () => void;
  const stuck = new Promise<void>((resolve) => (release = resolve));
  // The remote's listener never returns, so it never reads again: its socket's receive
  // buffer, then ours, fill up, and our queue has to absorb the rest.
  const { outbound, inbound } = await tcpPeers(
    { sendQueueCapBytes: capBytes },
    { listeners: { onInv: () => stuck } },
  );
  await outbound.ready;
  const inventory = Array.from({ length: 50_000 }, (_, i) => ({ type: 1, hash: hashOf(i & 255) }));
  const frameBytes = encodeMessage({ command: "inv", inventory }).length; // ~1.8 MB
  const before = Deno.memoryUsage().rss;
  const results: Promise<boolean>[] = [];
  let maxQueued = 0;
  // Offer ~360 MB: unbounded, the frames alone would take that much memory.
  for (let i = 0; i < 200 && outbound.connected; i++) {
    results.push(outbound.queueMessage({ command: "inv", inventory }));
    maxQueued = Math.max(maxQueued, outbound.sendQueueBytes);
    await delay(1);
  }
  const reason = await outbound.closed;
  assertEquals(reason.code, "send-queue-full");
  assertLessOrEqual(maxQueued, capBytes, `${maxQueued} bytes queued, cap ${capBytes}`);
  const settled = await Promise.all(results);
  assert(settled.includes(false), "dropped messages resolve false");
  const written = settled.filter((ok) => ok).length;
  assertLess(written * frameBytes, 200 * frameBytes / 2, `${written} frames were written`);
  const grown = Deno.memoryUsage().rss - before;
  assertLess(grown, 150 * 1024 * 1024, `RSS grew by ${grown} bytes`);
  release();
  assertEquals((await inbound.closed).code !== undefined, true);
});

Deno.test("a connection cut in the middle of a message", async (t) => {
  await t.step("during the handshake", async () => {
    const [dialed, accepted] = await tcpSockets();
    const peer = new Peer(accepted, { network: "regtest", inbound: true });
    const version = encodeMessage({
      command: "version",
      protocolVersion: 70016,
      services: 0n,
      timestamp: 0n,
      addrRecv: netAddressFromHost("127.0.0.1", 18444),
      addrFrom: netAddressFromHost("127.0.0.1", 18444),
      nonce: 1n,
      userAgent: "/cut:1/",
      startHeight: 0,
      relay: true,
    }, { network: "regtest" });
    const writer = dialed.writable.getWriter();
    await writer.write(version.subarray(0, 50));
    dialed.close();
    const reason = await peer.closed;
    assert(
      reason.code === "protocol-error" || reason.code === "remote-closed",
      `ended with ${reason.code}`,
    );
  });

  await t.step("after the handshake", async () => {
    const [dialed, accepted] = await tcpSockets();
    const raw = dialed.writable.getWriter();
    // The outbound peer writes through a writer the test shares, so it can add raw bytes.
    const proxied: Connection = {
      readable: dialed.readable,
      writable: new WritableStream({ write: (chunk) => raw.write(chunk) }),
      close: () => dialed.close(),
    };
    const outbound = new Peer(proxied, { network: "regtest" });
    const inbound = new Peer(accepted, {
      network: "regtest",
      inbound: true,
      sentNonces: new SentNonces(),
    });
    assertEquals(await inbound.ready, true);
    const ping = encodeMessage({ command: "ping", nonce: 5n }, { network: "regtest" });
    await raw.write(ping.subarray(0, 30));
    outbound.disconnect();
    const reason = await inbound.closed;
    assert(
      reason.code === "protocol-error" || reason.code === "remote-closed",
      `ended with ${reason.code}`,
    );
    await outbound.closed;
  });
});

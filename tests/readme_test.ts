// The README's snippets that need a running node are marked `ts ignore`, so `deno test --doc`
// skips them. Each runs here as written, with the node replaced by a stand-in: the decoder
// snippet and the peer snippet against a remote on 127.0.0.1, the server snippet on an
// in-memory network with a fake DNS resolver. Where a snippet prints, the test records the
// values and asserts what its comments claim.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { Peer, SentNonces } from "../peer/mod.ts";
import { MemoryNetwork, Server } from "../server/mod.ts";
import {
  type Block,
  blockHash,
  encodeMessage,
  hashToHex,
  hexToHash,
  InvType,
  merkleRoot,
  MessageDecoderStream,
  MessageEncoderStream,
  MessageError,
  ServiceFlag,
  txid,
} from "../wire/mod.ts";

/** A block with one transaction and a correct merkle root, as a regtest node would serve. */
function smallBlock(): Block {
  const coinbase = {
    version: 1,
    inputs: [{
      previousOutput: { hash: new Uint8Array(32), index: 0xffffffff },
      signatureScript: Uint8Array.of(1, 1),
      sequence: 0xffffffff,
      witness: [],
    }],
    outputs: [{ value: 50_0000_0000n, pkScript: Uint8Array.of(0x51) }],
    lockTime: 0,
  };
  return {
    header: {
      version: 4,
      prevBlock: hexToHash("0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"),
      merkleRoot: merkleRoot([txid(coinbase)]),
      timestamp: 1_700_000_000,
      bits: 0x207fffff,
      nonce: 0,
    },
    transactions: [coinbase],
  };
}

Deno.test("README: a connection's bytes become typed messages (the decoder snippet, against 127.0.0.1)", async () => {
  const hash = new Uint8Array(32).fill(7);
  // The stand-in sends an inv, a command this library does not know (BIP 434's `feature`: an
  // empty frame renamed, its checksum still right), then a ping whose checksum is wrong.
  const inv = encodeMessage({ command: "inv", inventory: [{ type: InvType.BLOCK, hash }] }, {
    network: "regtest",
  });
  const unknown = encodeMessage({ command: "sendheaders" }, { network: "regtest" });
  unknown.set(new TextEncoder().encode("feature\0\0\0\0\0"), 4);
  const badPing = encodeMessage({ command: "ping", nonce: 1n }, { network: "regtest" });
  badPing[20] ^= 0xff;
  const printed: unknown[] = [];
  const shown = Promise.withResolvers<void>();
  const print = (value: unknown) => {
    printed.push(value);
    if (printed.length === 2) shown.resolve();
  };
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const remote = (async () => {
    const socket = await listener.accept();
    await socket.write(inv);
    await socket.write(unknown);
    // The bad frame goes once the others were shown: had it arrived in the same read as them,
    // the decoder's error would discard those still queued in the stream (web streams drop a
    // stream's queue when it errors).
    await shown.promise;
    await socket.write(badPing);
    // Wait for the client to hang up: closing first could reset the connection before it read.
    await socket.readable.pipeTo(new WritableStream());
  })();

  // The snippet, with the regtest node's port replaced and console.log replaced by print.
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const messages = conn.readable.pipeThrough(new MessageDecoderStream({ network: "regtest" }));
  const outbound = new MessageEncoderStream({ network: "regtest" });
  const sending = outbound.readable.pipeTo(conn.writable);

  try {
    for await (const m of messages) {
      if (m.command === "inv") print(m.inventory.map((iv) => hashToHex(iv.hash)));
      if (m.command === "unknown") print(`skipped ${m.name}`); // unknown commands are not errors
    }
  } catch (e) {
    if (e instanceof MessageError) print([e.code, e.message]); // "bad-checksum", ...
  }

  assertEquals(printed.slice(0, 2), [[hashToHex(hash)], "skipped feature"]);
  const [code, message] = printed[2] as [string, string];
  assertEquals(code, "bad-checksum");
  assertMatch(message, /ping/);
  assertEquals(printed.length, 3);
  // The decoder's error cancelled the reading side; closing the encoder closes the writing side.
  await outbound.writable.close();
  await sending;
  await remote;
  listener.close();
});

Deno.test("README: a peer runs the handshake and hands each message to its listener (the peer snippet, against 127.0.0.1)", async () => {
  const block = smallBlock();
  const hash = blockHash(block.header);
  const printed: unknown[][] = [];
  const blockSeen = Promise.withResolvers<void>();
  const locators: string[][] = [];

  // The stand-in node: announces its block once connected, serves it on getdata, records the
  // getheaders, and hangs up once the block reached the snippet's listener.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const remote = (async () => {
    const socket = await listener.accept();
    const node = new Peer(socket, {
      network: "regtest",
      inbound: true,
      sentNonces: new SentNonces(),
      userAgentName: "regtest-node",
      userAgentVersion: "1.0",
      newestBlock: () => ({ hash, height: 1 }),
      listeners: {
        onGetData: async (p, getdata) => {
          for (const iv of getdata.inventory) {
            if (iv.type === InvType.BLOCK) await p.queueMessage({ command: "block", ...block });
          }
        },
        onGetHeaders: (_p, m) => void locators.push(m.locator.map(hashToHex)),
      },
    });
    if (await node.ready) {
      await node.queueMessage({ command: "inv", inventory: [{ type: InvType.BLOCK, hash }] });
      await blockSeen.promise;
      node.disconnect("The stand-in is done");
    }
    return await node.closed;
  })();

  // The snippet, with the regtest node's port replaced and console.log replaced by pushes.
  const regtestGenesis = hexToHash(
    "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const peer = new Peer(conn, {
    network: "regtest",
    address: "127.0.0.1:18444",
    userAgentName: "crawler",
    userAgentVersion: "0.1",
    listeners: {
      onInv: (p, inv) => {
        const blocks = inv.inventory.filter((iv) => iv.type === InvType.BLOCK);
        if (blocks.length > 0) void p.queueMessage({ command: "getdata", inventory: blocks });
      },
      onBlock: (_p, block) => {
        printed.push(["block", hashToHex(blockHash(block.header))]);
        blockSeen.resolve();
      },
    },
  });
  let headersRequested: boolean | undefined;
  if (await peer.ready) {
    printed.push([peer.userAgent, peer.protocolVersion, peer.startingHeight]);
    headersRequested = await peer.pushGetHeadersMsg([regtestGenesis], new Uint8Array(32)); // resolves once written
  }
  printed.push([(await peer.closed).code]); // "remote-closed", "stalled", "protocol-error", ...

  assertEquals(printed, [
    ["/btcstream:0.1.0/regtest-node:1.0/", 70016, 1],
    ["block", hashToHex(hash)],
    ["remote-closed"],
  ]);
  assertEquals(headersRequested, true);
  assertEquals(locators, [[hashToHex(regtestGenesis)]]);
  assertEquals((await remote).code, "local");
  listener.close();
});

Deno.test("README: the server snippet, on an in-memory network with a fake DNS seed", async () => {
  const net = new MemoryNetwork();
  const dataDir = await Deno.makeTempDir();
  const printed: string[] = [];
  const allPrinted = Promise.withResolvers<void>();
  const print = (line: string) => {
    printed.push(line);
    if (printed.length === 3) allPrinted.resolve(); // both peers ready, and the inv
  };
  const seeds: string[] = [];
  // A full node at the address the seed gives (it offers NODE_NETWORK and NODE_WITNESS, so an
  // automatic outbound peer is kept), which announces a transaction to whoever connects.
  const full = new Server({
    network: "mainnet",
    net: net.host("8.8.8.8"),
    listen: { hostname: "8.8.8.8" },
    services: ServiceFlag.NETWORK | ServiceFlag.WITNESS,
    dnsSeed: false,
    onPeerReady: (peer) =>
      void peer.queueMessage({
        command: "inv",
        inventory: [{ type: InvType.TX, hash: new Uint8Array(32).fill(3) }],
      }),
  });
  await full.start();

  // The snippet, on host 1.2.3.4 of the in-memory network, with a fake resolver instead of
  // DNS, and console.log replaced by print.
  const node = new Server({
    network: "mainnet",
    listen: { hostname: "0.0.0.0" }, // inbound peers: maxPeers minus the outbound reservation
    targetOutbound: 8, // chosen from the address book, filled from DNS seeds
    dataDir, // peers.json
    onPeerReady: (peer) => print(`${peer.address} ${peer.userAgent}`),
    listeners: { onInv: (peer, inv) => print(`${peer}: ${inv.inventory.length} inv`) },
    net: net.host("1.2.3.4"),
    retryDurationMs: 20, // btcd's 5 s pause after the first look finds an empty book, shortened
    seedResolver: (host, type) => {
      seeds.push(`${type} ${host}`);
      return Promise.resolve(
        type === "A" && host.endsWith("seed.bitcoin.sipa.be") ? ["8.8.8.8"] : [],
      );
    },
  });
  await node.start();
  // An inbound peer, to fill the other half of the snippet's comment.
  const dialed = await net.host("9.9.9.9").dial("1.2.3.4", 8333);
  const inbound = new Peer(dialed, {
    network: "mainnet",
    address: "1.2.3.4:8333",
    sentNonces: new SentNonces(),
    userAgentName: "wallet",
    userAgentVersion: "2.0",
  });
  let saved = false;
  try {
    await allPrinted.promise;
    // The inbound peer's port is the one its dial was given.
    const lines = printed.map((line) => line.replace(/^9\.9\.9\.9:\d+ /, "9.9.9.9:* "));
    assertEquals(lines.toSorted(), [
      "8.8.8.8:8333 (outbound): 1 inv",
      "8.8.8.8:8333 /btcstream:0.1.0/",
      "9.9.9.9:* /btcstream:0.1.0/wallet:2.0/",
    ]);
    assert(seeds.includes("A x9.seed.bitcoin.sipa.be"));
    // What the snippet's interval prints: peerInfo() is plain JSON.
    const info = JSON.parse(JSON.stringify(node.peerInfo()));
    const addrs: string[] = info.map((p: { addr: string }) => p.addr).toSorted();
    assertEquals(addrs[0], "8.8.8.8:8333");
    assertMatch(addrs[1], /^9\.9\.9\.9:\d+$/);
    assertEquals(addrs.length, 2);
  } finally {
    inbound.disconnect();
    await inbound.closed;
    await node.stop(); // saves the book
    await full.stop();
    saved = await Deno.stat(`${dataDir}/peers.json`).then((s) => s.isFile, () => false);
    await Deno.remove(dataDir, { recursive: true });
  }
  assert(saved, "the book is saved as peers.json in dataDir");
});

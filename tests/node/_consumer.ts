// What a TypeScript developer on Node writes against the npm build of the package:
// npm_package_test.ts compiles this file with tsc (strict, against the package's .d.ts and
// @types/node) into a folder where the package is installed from its tarball, and runs the
// JavaScript with Node. It imports the package by name only, as such a user would.
//
// Each part prints one JSON line ({ "part": ..., ... }) that the Deno test checks. Nothing
// calls process.exit: the script ends when nothing is left on Node's event loop, so a timer
// or socket the library left behind would hold it open, and the test's deadline fails it.
//
//   node _consumer.js [BLOCK_FILE]
import * as root from "@btcstream/p2p";
import * as addrmgr from "@btcstream/p2p/addrmgr";
import * as filters from "@btcstream/p2p/filters";
import * as headers from "@btcstream/p2p/headers";
import * as sync from "@btcstream/p2p/sync";
import * as peer from "@btcstream/p2p/peer";
import * as server from "@btcstream/p2p/server";
import * as transport from "@btcstream/p2p/transport";
import * as wire from "@btcstream/p2p/wire";
import { once } from "node:events";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Duplex } from "node:stream";

function report(part: string, facts: Record<string, unknown>): void {
  console.log(JSON.stringify({ part, ...facts }));
}

/** A Node socket as the `{ readable, writable, close() }` a Peer runs over. */
function connection(socket: Socket): peer.Connection {
  const { readable, writable } = Duplex.toWeb(socket);
  return { readable, writable, close: () => socket.destroy() };
}

// The names each entry point exports (the test compares them with the Deno modules').
report("exports", {
  names: Object.fromEntries(
    Object.entries({ root, wire, transport, peer, addrmgr, server, filters, headers, sync })
      .map(([entry, module]) => [entry, Object.keys(module).sort()]),
  ),
});

// A real block: decoded, hashed, its merkle root checked (node:crypto SHA-256 under Node).
const blockFile = process.argv[2];
if (blockFile !== undefined) {
  const bytes = new Uint8Array(await readFile(blockFile));
  const block = wire.decodeBlock(bytes);
  report("block", {
    bytes: bytes.length,
    hash: wire.hashToHex(wire.blockHash(block.header)),
    transactions: block.transactions.length,
    merkleRootMatches: wire.checkMerkleRoot(block),
    reencodes: wire.encodeBlock(block).length === bytes.length,
  });
}

// Two peers over a node:net connection on 127.0.0.1: handshake, a ping answered by a pong,
// then one side disconnects. v2 is BIP 324 (ElligatorSwift on @noble/curves,
// ChaCha20-Poly1305 on node:crypto).
for (const kind of ["v1", "v2"] as const) {
  const listener = createServer().listen(0, "127.0.0.1");
  await once(listener, "listening");
  const { port } = listener.address() as AddressInfo;
  const accepted = once(listener, "connection");
  const socket = connect(port, "127.0.0.1");
  const [remote] = (await accepted) as [Socket];
  let pong: (nonce: bigint) => void = () => {};
  const ponged = new Promise<bigint>((resolve) => pong = resolve);
  // Each peer its own SentNonces: sharing one, each would see the other's version nonce as
  // its own and end the connection as a connection to itself.
  const outbound = new peer.Peer(connection(socket), {
    network: "regtest",
    address: `127.0.0.1:${port}`,
    transport: kind,
    sentNonces: new peer.SentNonces(),
    listeners: { onPong: (_peer, message) => pong(message.nonce) },
  });
  const inbound = new peer.Peer(connection(remote), {
    network: "regtest",
    inbound: true,
    transport: kind,
    sentNonces: new peer.SentNonces(),
  });
  const ready = [await outbound.ready, await inbound.ready];
  const written = await outbound.queueMessage({ command: "ping", nonce: 0x1234_5678_9abc_def0n });
  const nonce = await ponged;
  outbound.disconnect();
  const closed = [(await outbound.closed).code, (await inbound.closed).code];
  listener.close();
  report("peers", {
    transport: kind,
    ready,
    transports: [outbound.transportProtocol, inbound.transportProtocol],
    userAgents: [outbound.userAgent, inbound.userAgent],
    protocolVersions: [outbound.protocolVersion, inbound.protocolVersion],
    pingWritten: written,
    pongNonce: nonce.toString(16),
    closed,
  });
}

// The file-backed stores, on node:fs under Node: the address book (written atomically, set
// aside when unreadable) and a header chain's file (created, closed, reopened).
const dir = await mkdtemp(join(tmpdir(), "btcstream-node-"));
try {
  const book = new addrmgr.FileStorage(join(dir, "peers.json"));
  const before = await book.load();
  await book.save('{"Version":3}');
  const loaded = await book.load();
  const setAside = await book.setAside();
  const path = join(dir, "headers.dat");
  const chain = await headers.HeaderChain.open(new headers.FileHeaderStorage(path), {
    network: "regtest",
  });
  await chain.close();
  const fileBytes = (await stat(path)).size;
  const reopened = await headers.HeaderChain.open(new headers.FileHeaderStorage(path), {
    network: "regtest",
  });
  const height = reopened.height;
  await reopened.close();
  report("files", {
    bookBefore: before ?? null,
    bookLoaded: loaded,
    bookSetAside: setAside?.startsWith(join(dir, "peers.json.corrupt-")) ?? false,
    bookAfter: (await book.load()) ?? null,
    headersFileBytes: fileBytes,
    reopenedHeight: height,
  });
} finally {
  await rm(dir, { recursive: true });
}

// The server's logic on a net that is not Deno's TCP: an in-memory network, a peer dialing in.
{
  const network = new server.MemoryNetwork();
  const node = new server.Server({
    network: "regtest",
    net: network.host("10.0.0.1"),
    listen: { hostname: "10.0.0.1" },
    dnsSeed: false,
  });
  await node.start();
  const next = node.nextPeer();
  const dialed = await network.host("10.0.0.2").dial("10.0.0.1", 18444);
  const client = new peer.Peer(dialed, {
    network: "regtest",
    address: "10.0.0.1:18444",
    sentNonces: new peer.SentNonces(),
  });
  const ready = await client.ready;
  const accepted = await next;
  const peerInfo = node.peerInfo().map((info) => ({ addr: info.addr, inbound: info.inbound }));
  client.disconnect();
  await node.stop();
  report("server", { ready, acceptedInbound: accepted.inbound, peerInfo });
}

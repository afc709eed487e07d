// One session against bcoin 1.0.2, run by bcoin_interop_test.ts inside a network namespace
// that has only loopback: start bcoin, mine, then our Peer against it in both directions.
// Prints ONE JSON report (an `InteropReport`) on stdout; log lines go to stderr. The test
// asserts on the report, so this file gathers facts and decides nothing.
//
//   deno run --allow-net=127.0.0.1 --allow-run=node _bcoin_session.ts <prefix dir>
import { configure, type LogRecord } from "@logtape/logtape";
import { Peer, SentNonces } from "../../peer/mod.ts";
import {
  type AddrMessage,
  blockHash,
  type BlockMessage,
  bytesToHex,
  checkMerkleRoot,
  encodeBlockHeader,
  hashToHex,
  hasWitness,
  type HeadersMessage,
  hexToHash,
  InvType,
  merkleRoot,
  netAddressFromHost,
  type PongMessage,
  ServiceFlag,
  txid,
} from "../../wire/mod.ts";
import { Server } from "../../server/mod.ts";
import { HeaderChain } from "../../headers/mod.ts";
import { HeaderSync } from "../../sync/mod.ts";
import { netAddressV2FromString } from "../../wire/mod.ts";
import { Bcoin } from "./_bcoin.ts";
import { Inbox, type Received } from "./_inbox.ts";
import {
  BLOCKS_MINED,
  HEADER_SYNC_BLOCKS,
  type InteropReport,
  MINING_ADDRESS,
  REGTEST_GENESIS_HASH,
  reported,
  type ReportedAddress,
} from "./_report.ts";
import { deadline, delay } from "@std/async";

const WAIT_MS = 10_000;
/** The whole session's budget; the test kills it at 120 s. */
const SESSION_MS = 80_000;

const sessionEnd = Date.now() + SESSION_MS;

/** A wait's timeout: `ms`, or what is left of the session if less. */
function budget(ms: number = WAIT_MS): number {
  return Math.max(1, Math.min(ms, sessionEnd - Date.now()));
}

/** `host:port` (IPv6 in brackets) split. */
function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(":");
  return [key.slice(0, at).replace(/^\[|\]$/g, ""), Number(key.slice(at + 1))];
}

function log(message: string): void {
  console.error(`[session] ${message}`);
}

function randomNonce(): bigint {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return ((BigInt(high) << 32n) | BigInt(low)) || 1n;
}

function isPong(nonce: bigint): (m: Received) => m is PongMessage {
  return (m): m is PongMessage => m.command === "pong" && m.nonce === nonce;
}

/**
 * Sends a ping and waits for its pong. bcoin handles one message at a time per peer and
 * writes its answers in order, so whatever it sent in reply to earlier messages arrived
 * before this pong: an answer missing then was not sent.
 */
async function barrier(
  peer: Peer,
  inbox: Inbox,
): Promise<{ before: Received[]; nonce: bigint; pong: PongMessage; rttMs: number }> {
  const from = inbox.length;
  const nonce = randomNonce();
  const start = performance.now();
  await peer.queueMessage({ command: "ping", nonce });
  const { index, message } = await inbox.waitFor(`pong ${nonce}`, isPong(nonce), {
    from,
    timeoutMs: budget(),
  });
  return {
    before: inbox.slice(from, index),
    nonce,
    pong: message,
    rttMs: performance.now() - start,
  };
}

function addrReply(messages: Received[]): ReportedAddress[] | null {
  const addrs = messages.filter((m): m is AddrMessage => m.command === "addr");
  return addrs.length === 0 ? null : addrs.flatMap((m) => m.addresses.map(reported));
}

async function withTimeout<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  try {
    return await deadline(promise, ms);
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw new Error(`${what}: nothing within ${ms} ms`);
    }
    throw error;
  }
}

async function run(prefix: string, report: InteropReport, step: (name: string) => void) {
  const installDir = new URL("./bcoin", import.meta.url).pathname;
  step("start bcoin");
  log(`starting bcoin 1.0.2 (prefix ${prefix})`);
  const bcoin = await Bcoin.start({ installDir, prefix, startTimeoutMs: budget(30_000) });
  const peers: Peer[] = [];
  let listener: Deno.Listener | undefined;
  let server: Server | undefined;
  const rpc = <T>(method: string, params: unknown[] = []) =>
    bcoin.rpc<T>(method, params, budget(15_000));
  try {
    const info = await rpc<{ subversion: string; protocolversion: number }>("getnetworkinfo");
    report.bcoin = {
      subversion: info.subversion,
      protocolVersion: info.protocolversion,
      p2pPort: bcoin.p2pPort,
    };
    log(`bcoin up: ${info.subversion}, protocol ${info.protocolversion}`);

    step("mine");
    const hashes = await rpc<string[]>("generatetoaddress", [BLOCKS_MINED, MINING_ADDRESS]);
    report.mined = {
      hashes,
      bestBlockHash: await rpc<string>("getbestblockhash"),
      blockCount: await rpc<number>("getblockcount"),
    };
    log(`mined ${hashes.length} blocks, tip ${report.mined.bestBlockHash}`);

    const connect = async (inbox: Inbox): Promise<Peer> => {
      const conn = await withTimeout(
        "connect",
        Deno.connect({ hostname: "127.0.0.1", port: bcoin.p2pPort }),
        budget(),
      );
      const peer = new Peer(conn, {
        network: "regtest",
        address: `127.0.0.1:${bcoin.p2pPort}`,
        userAgentName: "interop",
        userAgentVersion: "0.1",
        negotiateTimeoutMs: budget(),
        listeners: inbox.listeners,
      });
      peers.push(peer);
      inbox.watch(peer);
      return peer;
    };

    // 1. Our outbound handshake.
    step("outbound handshake");
    const inbox = new Inbox();
    const peer = await connect(inbox);
    const ready = await peer.ready;
    report.handshake = {
      ready,
      userAgent: peer.userAgent,
      remoteProtocolVersion: peer.remoteVersion?.protocolVersion ?? 0,
      negotiatedProtocolVersion: peer.protocolVersion,
      services: peer.services.toString(),
      startingHeight: peer.startingHeight,
      commandsDuringHandshake: inbox.commands.slice(0, inbox.commands.indexOf("verack") + 1),
    };
    if (!ready) throw new Error(`Handshake failed: ${(await peer.closed).message}`);
    log(`outbound ready: ${peer.userAgent}, protocol ${peer.protocolVersion}`);

    // 2. Ping with our nonce, the pong echoes it.
    step("ping");
    const ping = await barrier(peer, inbox);
    report.ping = {
      nonce: ping.nonce.toString(),
      pongNonce: ping.pong.nonce.toString(),
      rttMs: ping.rttMs,
      lastPingMicros: peer.lastPingMicros,
    };

    // 3. Headers from genesis.
    step("getheaders");
    const headersFrom = inbox.length;
    await peer.pushGetHeadersMsg([hexToHash(REGTEST_GENESIS_HASH)], new Uint8Array(32));
    const { message: headers } = await inbox.waitFor(
      "headers",
      (m): m is HeadersMessage => m.command === "headers",
      { from: headersFrom, timeoutMs: budget() },
    );
    report.headers = {
      count: headers.headers.length,
      rawHex: headers.headers.map((h) => bytesToHex(encodeBlockHeader(h))),
      hashes: headers.headers.map((h) => hashToHex(blockHash(h))),
    };
    log(`${headers.headers.length} headers`);

    // 4. The blocks, witness serialization.
    step("getdata");
    const blocksFrom = inbox.length;
    const wanted = headers.headers.map((h) => blockHash(h));
    await peer.queueMessage({
      command: "getdata",
      inventory: wanted.map((hash) => ({ type: InvType.WITNESS_BLOCK, hash })),
    });
    const blocks: BlockMessage[] = [];
    for (let from = blocksFrom; blocks.length < wanted.length;) {
      const { index, message } = await inbox.waitFor(
        `block ${blocks.length + 1} of ${wanted.length}`,
        (m): m is BlockMessage => m.command === "block",
        { from, timeoutMs: budget() },
      );
      blocks.push(message);
      from = index + 1;
    }
    report.blocks = blocks.map((block, i) => {
      const coinbase = block.transactions[0];
      return {
        requested: hashToHex(wanted[i]),
        hash: hashToHex(blockHash(block.header)),
        merkleRootInHeader: hashToHex(block.header.merkleRoot),
        merkleRootComputed: hashToHex(merkleRoot(block.transactions.map(txid))),
        merkleRootOk: checkMerkleRoot(block),
        txCount: block.transactions.length,
        coinbaseScripts: coinbase.outputs.map((o) => bytesToHex(o.pkScript)),
        coinbaseHasWitness: hasWitness(coinbase),
      };
    });
    log(`${blocks.length} blocks`);

    // 5. addr, then getaddr: on the sending connection and on a second one.
    step("addr");
    const now = Math.floor(Date.now() / 1000);
    const full = ServiceFlag.NETWORK | ServiceFlag.WITNESS;
    const fit = [
      netAddressFromHost("11.22.33.44", 8333, { services: full, timestamp: now - 60 }),
      netAddressFromHost("44.55.66.77", 18444, { services: full, timestamp: now - 120 }),
      netAddressFromHost("2a01:4f8:10a:1::5", 8333, { services: full, timestamp: now - 180 }),
      // bcoin asks NODE_WITNESS of addresses only once segwit is active on its chain, which
      // five regtest blocks are not.
      netAddressFromHost("66.77.88.99", 8333, {
        services: ServiceFlag.NETWORK,
        timestamp: now - 240,
      }),
    ];
    const unfit = [
      netAddressFromHost("10.1.2.3", 8333, { services: full, timestamp: now }), // RFC 1918
      netAddressFromHost("203.0.113.9", 8333, { services: full, timestamp: now }), // RFC 5737
      netAddressFromHost("127.0.0.1", 8333, { services: full, timestamp: now }), // loopback
      netAddressFromHost("55.66.77.88", 0, { services: full, timestamp: now }), // port 0
      netAddressFromHost("77.88.99.11", 8333, { services: ServiceFlag.WITNESS, timestamp: now }),
    ];
    peer.pushAddrMsg([...fit, ...unfit]);
    await barrier(peer, inbox);
    await peer.queueMessage({ command: "getaddr" });
    const toSender = await barrier(peer, inbox);

    step("getaddr on a second connection");
    const inbox2 = new Inbox();
    const peer2 = await connect(inbox2);
    if (!(await peer2.ready)) {
      throw new Error(`Second handshake failed: ${(await peer2.closed).message}`);
    }
    await peer2.queueMessage({ command: "getaddr" });
    const toOther = await barrier(peer2, inbox2);
    await peer2.queueMessage({ command: "getaddr" });
    const toOtherAgain = await barrier(peer2, inbox2);
    report.addr = {
      sent: fit.map(reported),
      sentUnfit: unfit.map(reported),
      replyToSender: addrReply(toSender.before),
      replyToOther: addrReply(toOther.before),
      secondReplyToOther: addrReply(toOtherAgain.before),
      replyOnBcoinsOutbound: null,
      getaddrFromBcoin: {
        outbound: inbox.commands.includes("getaddr"),
        second: inbox2.commands.includes("getaddr"),
        inbound: false,
      },
    };
    log(`getaddr answers: ${JSON.stringify(report.addr.replyToOther)}`);

    // 6. bcoin dials our listener.
    step("inbound handshake");
    listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const accepted = listener.accept();
    await rpc("addnode", [`127.0.0.1:${port}`, "onetry"]);
    const conn = await withTimeout("bcoin's connection to our listener", accepted, budget());
    const remote = conn.remoteAddr as Deno.NetAddr;
    const inbox3 = new Inbox();
    const inbound = new Peer(conn, {
      inbound: true,
      network: "regtest",
      address: `${remote.hostname}:${remote.port}`,
      services: ServiceFlag.NETWORK | ServiceFlag.WITNESS,
      sentNonces: new SentNonces(),
      userAgentName: "interop",
      userAgentVersion: "0.1",
      negotiateTimeoutMs: budget(),
      listeners: inbox3.listeners,
    });
    peers.push(inbound);
    inbox3.watch(inbound);
    const inboundReady = await inbound.ready;
    report.inbound = {
      ready: inboundReady,
      remoteAddress: inbound.address,
      userAgent: inbound.userAgent,
      protocolVersion: inbound.remoteVersion?.protocolVersion ?? 0,
      services: inbound.services.toString(),
      startingHeight: inbound.startingHeight,
      commands: inbox3.commands,
    };
    if (!inboundReady) {
      throw new Error(`Inbound handshake failed: ${(await inbound.closed).message}`);
    }
    await barrier(inbound, inbox3);
    // bcoin answers a getaddr on a connection it made too, not only on those it accepted.
    await inbound.queueMessage({ command: "getaddr" });
    report.addr.replyOnBcoinsOutbound = addrReply((await barrier(inbound, inbox3)).before);
    report.inbound.commands = inbox3.commands;
    report.addr.getaddrFromBcoin.inbound = inbox3.commands.includes("getaddr");
    log(`inbound ready: ${inbound.userAgent}, protocol ${inbound.protocolVersion}`);

    step("getpeerinfo");
    const peerInfo = await rpc<
      { addr: string; subver: string; inbound: boolean; version: number }[]
    >("getpeerinfo");
    report.peerInfo = peerInfo.map(({ addr, subver, inbound, version }) => ({
      addr,
      subver,
      inbound,
      version,
    }));
    // 7. Our HeaderSync: a few hundred more blocks, synced from bcoin into a HeaderChain.
    step("header sync");
    await bcoin.rpc("generatetoaddress", [HEADER_SYNC_BLOCKS, MINING_ADDRESS], budget(60_000));
    const chain = new HeaderChain({ network: "regtest" });
    const syncPeer = await connect(new Inbox());
    const sync = new HeaderSync(chain, { peers: [syncPeer] });
    let streamed = 0;
    const reading = (async () => {
      for await (const event of sync.events()) streamed += event.added.length;
    })();
    try {
      const synced = await withTimeout("header sync", sync.synced, budget(30_000));
      report.headerSync = {
        synced,
        height: chain.height,
        tipHash: hashToHex(chain.tip.hash),
        streamed,
        bestBlockHash: await rpc<string>("getbestblockhash"),
        blockCount: await rpc<number>("getblockcount"),
      };
    } finally {
      await sync.close();
      await reading;
    }
    log(`header sync: height ${chain.height}, ${streamed} headers streamed`);

    // 8. Our Server, the same way round both ways: it dials bcoin (a permanent peer), asks it
    // for addresses, and accepts bcoin's connection to its listener.
    step("server");
    server = new Server({
      network: "regtest",
      listen: { hostname: "127.0.0.1", port: 0 },
      connect: [`127.0.0.1:${bcoin.p2pPort}`],
      userAgentName: "interop-server",
      userAgentVersion: "0.1",
      // bcoin drops an outbound peer without NODE_NETWORK ("Peer does not support network
      // services"), the rule our server applies to its own automatic outbound peers.
      services: ServiceFlag.NETWORK | ServiceFlag.WITNESS,
      dnsSeed: false,
      onConnectionFailed: (f) =>
        log(`server: ${f.direction} ${f.address} ended (${f.reason.code}): ${f.reason.message}`),
    });
    const dialed = server.nextPeer();
    await server.start();
    await withTimeout("the server's connection to bcoin", dialed, budget());
    const dialedBack = server.nextPeer();
    await rpc("addnode", [`127.0.0.1:${server.listenAddresses[0].port}`, "onetry"]);
    await withTimeout("bcoin's connection to the server", dialedBack, budget());
    const book = server.addrManager;
    const until = Date.now() + budget();
    while (book.numAddresses() < report.addr!.sent.length && Date.now() < until) {
      await delay(20);
    }
    const infos = server.peerInfo();
    report.server = {
      peers: infos.map((p) => ({
        addr: p.addr,
        subver: p.subver,
        inbound: p.inbound,
        version: p.version,
        type: p.connection_type,
      })),
      book: report.addr!.sent.map((a) => `${a.host}:${a.port}`).filter((key) => {
        const [host, port] = splitKey(key);
        return book.knownAddress(netAddressV2FromString(host, port)) !== undefined;
      }),
      addrProcessed: infos.find((p) => !p.inbound)?.addr_processed ?? 0,
    };
    log(`server: ${infos.length} peers, ${book.numAddresses()} addresses in its book`);

    step("stop");
  } finally {
    await server?.stop().catch((error) => log(`server stop: ${error}`));
    for (const peer of peers) peer.disconnect();
    listener?.close();
    await withTimeout("peers closing", Promise.all(peers.map((p) => p.closed)), 5_000)
      .catch((error) => log(String(error)));
    const status = await bcoin.stop();
    log(`bcoin stopped (${status.signal ?? status.code})`);
    report.bcoinLogTail = bcoin.logTail(60);
  }
}

if (import.meta.main) {
  const [prefix] = Deno.args;
  if (prefix === undefined) {
    console.error("Usage: _bcoin_session.ts <prefix dir>");
    Deno.exit(2);
  }
  await configure({
    sinks: {
      stderr: (record: LogRecord) =>
        console.error(`[${record.level}] ${record.category.join(".")}: ${record.message.join("")}`),
    },
    loggers: [
      { category: ["btcstream"], lowestLevel: "info", sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
  const report: InteropReport = {};
  let current = "";
  try {
    await run(prefix, report, (name) => (current = name));
  } catch (error) {
    report.error = {
      step: current,
      message: error instanceof Error ? error.message : String(error),
    };
    log(`failed at "${current}": ${report.error.message}`);
  }
  if (report.error === undefined) delete report.bcoinLogTail;
  console.log(JSON.stringify(report));
  Deno.exit(report.error === undefined ? 0 : 1);
}

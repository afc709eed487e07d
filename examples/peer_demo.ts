// Two Bitcoin nodes in one process, talking over a real TCP connection on 127.0.0.1: the
// version handshake, a ping and its round trip, transaction announcements trickled into one
// `inv`, a `getdata` answered with the transactions (or with a real block, given --block), the
// statistics each side keeps, and a clean disconnect. LogTape prints the library's log lines.
//
//   deno run --allow-net=127.0.0.1 examples/peer_demo.ts
//   deno run --allow-net=127.0.0.1 --allow-read examples/peer_demo.ts --block path/to/block.blk
import {
  blockHash,
  decodeBlock,
  hashToHex,
  InvType,
  type InvVect,
  type Message,
  Peer,
  type PeerStatsSnapshot,
  SentNonces,
  serviceFlagsToString,
  type Tx,
  txid,
} from "../mod.ts";
import * as cli from "./_cli.ts";
import { type Output, setupOutput } from "./_log.ts";

const HELP = `peer_demo: two peers over TCP on 127.0.0.1

Usage: deno run --allow-net=127.0.0.1 [--allow-read] examples/peer_demo.ts [options]

Options:
  --txs N          transactions bob announces (default 5)
  --trickle MS     bob's transaction trickle interval (default 500; a node uses 10000)
  --block FILE     bob also serves this serialized block (needs --allow-read)
  --quiet-logs     do not print the library's log lines
  --log-format F   text (default) or json (JSON Lines: the demo's lines and the library's)
  --help           show this text

A bad option or file is one line on stderr and exit 1.`;

interface Options {
  txs: number;
  trickleMs: number;
  block?: string;
  logs: boolean;
  format: "text" | "json";
}

function parseOptions(args: readonly string[]): Options {
  const parsed = cli.parseArgs(args, {
    options: ["txs", "trickle", "block"],
    flags: ["quiet-logs"],
  });
  if (parsed.positionals.length > 0) {
    throw new cli.UsageError(`Unexpected argument ${parsed.positionals[0]}`);
  }
  const options: Options = {
    txs: Number(parsed.values.get("txs") ?? 5),
    trickleMs: Number(parsed.values.get("trickle") ?? 500),
    block: parsed.values.get("block"),
    logs: !parsed.flags.has("quiet-logs"),
    format: cli.logFormatOption(parsed),
  };
  if (!Number.isInteger(options.txs) || options.txs < 0 || options.txs > 50_000) {
    throw new RangeError("--txs must be an integer from 0 to 50000");
  }
  if (!(options.trickleMs > 0)) throw new RangeError("--trickle must be a positive number");
  return options;
}

/** A small transaction, different for each `n`. */
function demoTx(n: number): Tx {
  return {
    version: 2,
    inputs: [{
      previousOutput: { hash: new Uint8Array(32).fill(n & 0xff), index: n },
      signatureScript: new Uint8Array([0x51]),
      witness: [],
      sequence: 0xffffffff,
    }],
    outputs: [{ value: 1000n + BigInt(n), pkScript: new Uint8Array([0x51]) }],
    lockTime: 0,
  };
}

function printStats(out: Output, name: string, s: PeerStatsSnapshot): void {
  const perCommand = (table: PeerStatsSnapshot["sentPerCommand"]) =>
    Object.entries(table).map(([c, { messages, bytes }]) => `${c} ${messages}/${bytes} B`).join(
      ", ",
    );
  out.info(`  ${name}: sent ${s.bytesSent} B, received ${s.bytesReceived} B`, {
    peer: name,
    bytesSent: s.bytesSent,
    bytesReceived: s.bytesReceived,
  });
  out.info(`    sent:     ${perCommand(s.sentPerCommand)}`, { peer: name, sent: s.sentPerCommand });
  out.info(`    received: ${perCommand(s.receivedPerCommand)}`, {
    peer: name,
    received: s.receivedPerCommand,
  });
}

async function main(args: readonly string[]): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(args);
  } catch (error) {
    // This demo has always answered a bad command line with exit 1.
    throw new Error(cli.errorMessage(error));
  }
  const out = await setupOutput("peer_demo", options.format, {
    libraryLevel: options.logs ? "debug" : undefined,
  });
  const txs = Array.from({ length: options.txs }, (_, i) => demoTx(i));
  const txsById = new Map(txs.map((tx) => [hashToHex(txid(tx)), tx]));
  const block = options.block === undefined
    ? undefined
    : decodeBlock(await Deno.readFile(options.block));

  // Bob listens; alice dials. Each is its own node, with its own version nonces.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = listener.accept();
  const aliceConn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const bobConn = await accepting;
  listener.close();
  const alicePort = (aliceConn.localAddr as Deno.NetAddr).port;
  out.info(`TCP 127.0.0.1:${alicePort} -> ${listener.addr.port}`, {
    from: alicePort,
    to: listener.addr.port,
  });

  const received = Promise.withResolvers<void>();
  let wanted = txs.length + (block === undefined ? 0 : 1);
  const gotOne = () => {
    if (--wanted === 0) received.resolve();
  };
  if (wanted === 0) received.resolve();
  const ponged = Promise.withResolvers<void>();

  const alice = new Peer(aliceConn, {
    network: "regtest",
    address: `127.0.0.1:${listener.addr.port}`,
    userAgentName: "alice",
    userAgentVersion: "1.0",
    logCategory: ["btcstream", "alice"],
    listeners: {
      onInv: (peer, inv) => {
        out.info(`alice: inv of ${inv.inventory.length} from bob; asking for all of them`, {
          inv: inv.inventory.length,
        });
        void peer.queueMessage({ command: "getdata", inventory: inv.inventory });
      },
      onTx: (_peer, { tx }) => {
        const id = hashToHex(txid(tx));
        out.info(`alice: tx ${id.slice(0, 16)}...`, { txid: id });
        gotOne();
      },
      onBlock: (_peer, b) => {
        const hash = hashToHex(blockHash(b.header));
        out.info(`alice: block ${hash}, ${b.transactions.length} txs`, {
          block: hash,
          transactions: b.transactions.length,
        });
        gotOne();
      },
      // The peer has timed the round trip by the time this runs.
      onPong: () => ponged.resolve(),
    },
  });
  const bob = new Peer(bobConn, {
    network: "regtest",
    inbound: true,
    address: `127.0.0.1:${(aliceConn.localAddr as Deno.NetAddr).port}`,
    userAgentName: "bob",
    userAgentVersion: "2.0",
    sentNonces: new SentNonces(),
    trickleIntervalMs: options.trickleMs,
    logCategory: ["btcstream", "bob"],
    newestBlock: () => ({ hash: new Uint8Array(32), height: 850_000 }),
    listeners: {
      onGetData: async (peer, request) => {
        for (const inv of request.inventory) {
          const base = inv.type & ~InvType.WITNESS_FLAG;
          const tx = base === InvType.TX ? txsById.get(hashToHex(inv.hash)) : undefined;
          let answer: Message = { command: "notfound", inventory: [inv] };
          if (tx !== undefined) answer = { command: "tx", tx };
          if (base === InvType.BLOCK && block !== undefined) {
            answer = { command: "block", ...block };
          }
          await peer.queueMessage(answer);
        }
      },
    },
  });

  const [aliceReady, bobReady] = await Promise.all([alice.ready, bob.ready]);
  if (!aliceReady || !bobReady) throw new Error("the handshake failed");
  out.info("handshake complete:");
  for (const [name, p] of [["alice", alice], ["bob", bob]] as const) {
    out.info(
      `  ${name} sees ${p.userAgent}, protocol ${p.protocolVersion}, services ` +
        `${serviceFlagsToString(p.services)}, height ${p.startingHeight}, addrv2 ` +
        `${p.wantsAddrV2}, wtxidrelay ${p.wtxidRelay}`,
      {
        peer: name,
        userAgent: p.userAgent,
        protocolVersion: p.protocolVersion,
        services: serviceFlagsToString(p.services),
        height: p.startingHeight,
        addrv2: p.wantsAddrV2,
        wtxidrelay: p.wtxidRelay,
      },
    );
  }

  // A ping whose pong alice times.
  await alice.queueMessage({ command: "ping", nonce: 1n });
  await ponged.promise;
  out.info(`ping round trip: ${alice.lastPingMicros} µs`, { rttMicros: alice.lastPingMicros });

  // Bob announces: transactions wait for the trickle, a block goes at once.
  out.info(
    `bob: queueing ${txs.length} transaction announcements (trickle ${options.trickleMs} ms)`,
    { txs: txs.length, trickleMs: options.trickleMs },
  );
  for (const tx of txs) bob.queueInventory({ type: InvType.TX, hash: txid(tx) });
  for (const tx of txs) bob.queueInventory({ type: InvType.TX, hash: txid(tx) }); // repeats: skipped
  if (block !== undefined) {
    const inv: InvVect = { type: InvType.BLOCK, hash: blockHash(block.header) };
    bob.queueInventory(inv);
  }
  await received.promise;

  out.info("statistics:");
  printStats(out, "alice", alice.statsSnapshot());
  printStats(out, "bob", bob.statsSnapshot());

  alice.disconnect("demo finished");
  const [aliceReason, bobReason] = await Promise.all([alice.closed, bob.closed]);
  out.info(`closed: alice ${aliceReason.code} (${aliceReason.message}), bob ${bobReason.code}`, {
    alice: aliceReason.code,
    bob: bobReason.code,
  });
  return 0;
}

await cli.runCli("peer_demo", HELP, main);

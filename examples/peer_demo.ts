// Two Bitcoin nodes in one process, talking over a real TCP connection on 127.0.0.1: the
// version handshake, a ping and its round trip, transaction announcements trickled into one
// `inv`, a `getdata` answered with the transactions (or with a real block, given --block), the
// statistics each side keeps, and a clean disconnect. LogTape prints the library's log lines.
//
//   deno run --allow-net=127.0.0.1 examples/peer_demo.ts
//   deno run --allow-net=127.0.0.1 --allow-read examples/peer_demo.ts --block path/to/block.blk
import { configure, getConsoleSink } from "@logtape/logtape";
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

const HELP = `peer_demo: two peers over TCP on 127.0.0.1

Usage: deno run --allow-net=127.0.0.1 [--allow-read] examples/peer_demo.ts [options]

Options:
  --txs N          transactions bob announces (default 5)
  --trickle MS     bob's transaction trickle interval (default 500; a node uses 10000)
  --block FILE     bob also serves this serialized block (needs --allow-read)
  --quiet-logs     do not print the library's log lines
  --help           show this text`;

interface Options {
  txs: number;
  trickleMs: number;
  block?: string;
  logs: boolean;
}

function parseArgs(args: string[]): Options | undefined {
  const options: Options = { txs: 5, trickleMs: 500, logs: true };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new TypeError(`${arg} needs a value`);
      return v;
    };
    if (arg === "--help") return undefined;
    else if (arg === "--txs") options.txs = Number(value());
    else if (arg === "--trickle") options.trickleMs = Number(value());
    else if (arg === "--block") options.block = value();
    else if (arg === "--quiet-logs") options.logs = false;
    else throw new TypeError(`Unknown option ${arg}`);
  }
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

function printStats(name: string, s: PeerStatsSnapshot): void {
  const perCommand = (table: PeerStatsSnapshot["sentPerCommand"]) =>
    Object.entries(table).map(([c, { messages, bytes }]) => `${c} ${messages}/${bytes} B`).join(
      ", ",
    );
  console.log(`  ${name}: sent ${s.bytesSent} B, received ${s.bytesReceived} B`);
  console.log(`    sent:     ${perCommand(s.sentPerCommand)}`);
  console.log(`    received: ${perCommand(s.receivedPerCommand)}`);
}

async function main(options: Options): Promise<void> {
  if (options.logs) {
    await configure({
      sinks: { console: getConsoleSink() },
      loggers: [
        { category: ["btcstream"], lowestLevel: "debug", sinks: ["console"] },
        { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
      ],
    });
  }
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
  console.log(
    `TCP 127.0.0.1:${(aliceConn.localAddr as Deno.NetAddr).port} -> ${listener.addr.port}`,
  );

  const received = Promise.withResolvers<void>();
  let wanted = txs.length + (block === undefined ? 0 : 1);
  const gotOne = () => {
    if (--wanted === 0) received.resolve();
  };
  if (wanted === 0) received.resolve();

  const alice = new Peer(aliceConn, {
    network: "regtest",
    address: `127.0.0.1:${listener.addr.port}`,
    userAgentName: "alice",
    userAgentVersion: "1.0",
    logCategory: ["btcstream", "alice"],
    listeners: {
      onInv: (peer, inv) => {
        console.log(`alice: inv of ${inv.inventory.length} from bob; asking for all of them`);
        void peer.queueMessage({ command: "getdata", inventory: inv.inventory });
      },
      onTx: (_peer, { tx }) => {
        console.log(`alice: tx ${hashToHex(txid(tx)).slice(0, 16)}...`);
        gotOne();
      },
      onBlock: (_peer, b) => {
        console.log(`alice: block ${hashToHex(blockHash(b.header))}, ${b.transactions.length} txs`);
        gotOne();
      },
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
  console.log("handshake complete:");
  for (const [name, p] of [["alice", alice], ["bob", bob]] as const) {
    console.log(
      `  ${name} sees ${p.userAgent}, protocol ${p.protocolVersion}, services ` +
        `${serviceFlagsToString(p.services)}, height ${p.startingHeight}, addrv2 ` +
        `${p.wantsAddrV2}, wtxidrelay ${p.wtxidRelay}`,
    );
  }

  // A ping whose pong alice times.
  await alice.queueMessage({ command: "ping", nonce: 1n });
  const rtt = Promise.withResolvers<void>();
  const poll = setInterval(() => alice.lastPingNonce === 0n && rtt.resolve(), 5);
  await rtt.promise;
  clearInterval(poll);
  console.log(`ping round trip: ${alice.lastPingMicros} µs`);

  // Bob announces: transactions wait for the trickle, a block goes at once.
  console.log(
    `bob: queueing ${txs.length} transaction announcements (trickle ${options.trickleMs} ms)`,
  );
  for (const tx of txs) bob.queueInventory({ type: InvType.TX, hash: txid(tx) });
  for (const tx of txs) bob.queueInventory({ type: InvType.TX, hash: txid(tx) }); // repeats: skipped
  if (block !== undefined) {
    const inv: InvVect = { type: InvType.BLOCK, hash: blockHash(block.header) };
    bob.queueInventory(inv);
  }
  await received.promise;

  console.log("statistics:");
  printStats("alice", alice.statsSnapshot());
  printStats("bob", bob.statsSnapshot());

  alice.disconnect("demo finished");
  const [aliceReason, bobReason] = await Promise.all([alice.closed, bob.closed]);
  console.log(`closed: alice ${aliceReason.code} (${aliceReason.message}), bob ${bobReason.code}`);
}

try {
  const options = parseArgs(Deno.args);
  if (options === undefined) console.log(HELP);
  else await main(options);
} catch (error) {
  console.error(`peer_demo: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}

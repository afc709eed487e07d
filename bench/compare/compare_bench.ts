// Our codec against bcoin 1.0.2, the most complete JavaScript Bitcoin P2P implementation, in
// the same process and run, so that the README can quote ratios rather than figures measured
// on other machines. Each group's baseline is bcoin; a ratio of 2.00 means twice bcoin's rate.
//
// Run with `deno task bench:compare`. This folder has its own deno.json (and lock file) and is
// excluded from the root configuration, so that the quality gate never downloads or
// type-checks bcoin.
//
// How bcoin is loaded: only the modules measured (the P2P parser, the packet decoders and the
// primitives), from the npm registry, without node_modules and without install scripts, so
// none of its native addons (bcrypto, mrmr, bsip, leveldown...) is built. NODE_BACKEND=js
// makes its dependencies use their pure-JavaScript code; without it mrmr (murmur3 for bloom
// filters, loaded by bcoin's packet module) has no fallback and fails to load. Here it only
// changes the hash behind the 8-byte ping checksums: with bcrypto's JavaScript hash256,
// bcoin parsed pings about 1.6x faster than with its node:crypto fallback when we tried
// both, so bcoin is measured at its faster setting. n64 (used by bcoin's script code)
// assigns `__proto__`, hence `--unsafe-proto` in the task.
//
// The block and transaction figures, ours and bcoin's, move between runs by up to 2x, in
// steps rather than noise: V8 decides per allocation site, from how many objects survived
// the collections so far, whether to allocate straight into the old generation
// (pretenuring), and the decision depends on collection timing. Run it a few times and quote
// the range; `--v8-flags=--no-allocation-site-pretenuring` steadies both sides. The
// transaction group runs before the block group: the two share bcoin's allocation sites, and
// once Block.fromRaw had run, bcoin's TX.fromRaw was 2-3x slower than before it.
//
// bitcore-p2p is not compared. Versions 5.0 to 10.10.7 (the latest) depend on `buffers` as
// the GitHub reference "bitpay/node-buffers#v0.1.2-bitpay", which Deno's npm resolver
// rejects (denoland/deno#17679), so none of their files can be imported. Versions 0.9 to
// 1.1.0 take `buffers` ^0.1.1 from npm and do load, but their parser fails on the first
// frame: buffers 0.1.1 calls `Buffer.prototype.get`, which Node removed long ago and Deno
// does not have. Either way it runs only with a patched global or a patched dependency
// (npm `overrides` and a node_modules directory), which would not be bitcore-p2p as shipped.
import { Buffer } from "node:buffer";
import {
  decodeBlock,
  decodePayload,
  decodeTx,
  encodeMessage,
  encodeTx,
  InvType,
  type Message,
  MessageDecoderStream,
} from "../../wire/mod.ts";
import { HAVE_SHARED_DATA, readShared } from "../../tests/_util/shared_data.ts";
import { benchThroughput } from "../_throughput.ts";
import { touchTx } from "../_data.ts";

// The parts of bcoin used here (it ships no types).
interface BcoinParser {
  on(event: "packet", listener: (packet: { cmd: string; nonce?: Uint8Array }) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  feed(data: Buffer): void;
}
interface BcoinTx {
  version: number;
  locktime: number;
  inputs: {
    prevout: { hash: string; index: number };
    script: { raw: Uint8Array; code: unknown[] };
    sequence: number;
    witness: { items: Uint8Array[] };
  }[];
  outputs: { value: number; script: { raw: Uint8Array; code: unknown[] } }[];
}
interface BcoinInv {
  items: { type: number; hash: string }[];
}

// Must be set before the first bcoin module is evaluated, hence the dynamic imports.
Deno.env.set("NODE_BACKEND", "js");
const Parser: new () => BcoinParser = (await import("bcoin/lib/net/parser.js")).default;
const packets: { fromRaw(cmd: string, data: Buffer): unknown } =
  (await import("bcoin/lib/net/packets.js")).default;
const Block: { fromRaw(data: Buffer): { txs: BcoinTx[] } } =
  (await import("bcoin/lib/primitives/block.js")).default;
const TX: { fromRaw(data: Buffer): BcoinTx } = (await import("bcoin/lib/primitives/tx.js")).default;

/** A Node Buffer over the same memory (no copy): bcoin takes Buffers. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

function check(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${what}: got ${got}, expected ${want}`);
}

// --- Framing: 8-byte pings, each with its own nonce (and so its own checksum), in 1,400-byte
// chunks as a socket would deliver them (frames straddle chunk boundaries).

const PINGS = 20_000;
const pingStream = concat(
  Array.from({ length: PINGS }, (_, i) => encodeMessage({ command: "ping", nonce: BigInt(i) })),
);
const pingChunks = chunked(pingStream, 1400);
const pingBuffers = pingChunks.map(asBuffer);

/** bcoin: a fresh parser fed every chunk; counts the `packet` events. */
function bcoinPings(): { count: number; lastNonce: bigint } {
  const parser = new Parser();
  let count = 0;
  let last: Uint8Array | undefined;
  parser.on("packet", (packet) => {
    count++;
    last = packet.nonce;
  });
  parser.on("error", (e) => {
    throw e;
  });
  for (const chunk of pingBuffers) parser.feed(chunk);
  return { count, lastNonce: last ? asBuffer(last).readBigUInt64LE(0) : -1n };
}

/** Ours: a fresh MessageDecoderStream over the same chunks, consumed with `for await`. */
async function ourPings(): Promise<number> {
  let count = 0;
  const messages = ReadableStream.from(pingChunks).pipeThrough(new MessageDecoderStream());
  for await (const _ of messages) count++;
  return count;
}

const first = bcoinPings();
check("bcoin pings", first.count, PINGS);
check("bcoin last nonce", Number(first.lastNonce), PINGS - 1);
check("our pings", await ourPings(), PINGS);

const pingOptions = { group: "ping", items: PINGS, itemName: "msgs", bytes: pingStream.length };
benchThroughput(
  `bcoin Parser.feed: ${PINGS} pings, 1,400-byte chunks`,
  { ...pingOptions, baseline: true },
  () => check("bcoin pings", bcoinPings().count, PINGS),
);
benchThroughput(
  `MessageDecoderStream + for await: ${PINGS} pings, 1,400-byte chunks`,
  pingOptions,
  async () => check("our pings", await ourPings(), PINGS),
);

// --- Payload decoding: 1,000-entry inv payloads (no framing, no checksum: that is measured
// above and would otherwise only compare hash functions).

const INVS = 50;
const invPayloads = Array.from({ length: INVS }, () =>
  encodeMessage({
    command: "inv",
    inventory: Array.from({ length: 1000 }, () => ({
      type: InvType.WITNESS_TX,
      hash: crypto.getRandomValues(new Uint8Array(32)),
    })),
  } as Message).subarray(24));
const invBuffers = invPayloads.map(asBuffer);
const invBytes = invPayloads.reduce((n, p) => n + p.length, 0);

function bcoinInvs(): number {
  let entries = 0;
  for (const b of invBuffers) entries += (packets.fromRaw("inv", b) as BcoinInv).items.length;
  return entries;
}

function ourInvs(): number {
  let entries = 0;
  for (const p of invPayloads) {
    const m = decodePayload("inv", p);
    if (m.command === "inv") entries += m.inventory.length;
  }
  return entries;
}

check("bcoin inv entries", bcoinInvs(), INVS * 1000);
check("our inv entries", ourInvs(), INVS * 1000);

const invOptions = { group: "inv", items: INVS, itemName: "invs", bytes: invBytes };
benchThroughput(
  `bcoin packets.fromRaw("inv"): ${INVS} payloads of 1,000 entries`,
  { ...invOptions, baseline: true },
  () => check("bcoin inv entries", bcoinInvs(), INVS * 1000),
);
benchThroughput(
  `decodePayload("inv"): ${INVS} payloads of 1,000 entries`,
  invOptions,
  () => check("our inv entries", ourInvs(), INVS * 1000),
);

// --- Transactions: full decode of every transaction of a real 1.2 MB mainnet block, every
// input, output, script and witness item built and read.

/** Where the field reads go, so that no optimizer can drop them. */
let sink = 0;

/** The same fields of a bcoin transaction (already fully built by its decoder). */
function touchBcoin(tx: BcoinTx): number {
  let n = tx.version + tx.locktime;
  for (const i of tx.inputs) {
    n += i.prevout.hash.length + i.prevout.index + i.script.raw.length + i.sequence +
      i.witness.items.length;
    for (const w of i.witness.items) n += w.length;
  }
  for (const o of tx.outputs) n += o.script.raw.length + (o.value & 1);
  return n;
}

/** Transaction, input and output counts, to check that both decoders saw the same block. */
function shape(txs: Iterable<{ inputs: readonly unknown[]; outputs: readonly unknown[] }>): string {
  let count = 0;
  let inputs = 0;
  let outputs = 0;
  for (const tx of txs) {
    count++;
    inputs += tx.inputs.length;
    outputs += tx.outputs.length;
  }
  return `${count} txs, ${inputs} inputs, ${outputs} outputs`;
}

const BLOCK_FILE = "block-0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2.blk";

if (!HAVE_SHARED_DATA) {
  console.warn(
    `Skipping the block and transaction comparisons: ${BLOCK_FILE} is in ../shared/data, ` +
      "which is absent; the ping and inv comparisons still run",
  );
} else {
  const block = readShared(BLOCK_FILE);
  const blockBuffer = asBuffer(block);
  // Each transaction's own bytes, as a peer's `tx` messages would carry them.
  const txBytes = decodeBlock(block).transactions.map((tx) => encodeTx(tx));
  const txBuffers = txBytes.map(asBuffer);
  const count = txBytes.length;
  const txTotal = txBytes.reduce((n, b) => n + b.length, 0);

  // One transaction at a time: keeping thousands of decoded transactions alive here would
  // teach V8 to pretenure them, and slow the timed loops below (see the note at the top).
  const ourShape = shape(decodeBlock(block).transactions);
  const bcoinShapes = [
    shape((function* () {
      for (const b of txBuffers) yield TX.fromRaw(b);
    })()),
    shape(Block.fromRaw(blockBuffer).txs),
  ];
  for (const s of bcoinShapes) {
    if (s !== ourShape) throw new Error(`bcoin decoded ${s} where we decoded ${ourShape}`);
  }

  const txOptions = { group: "tx", items: count, itemName: "txs", bytes: txTotal };
  benchThroughput(
    `bcoin TX.fromRaw on each tx's bytes, then every field (${count} txs)`,
    { ...txOptions, baseline: true },
    () => {
      for (const b of txBuffers) sink += touchBcoin(TX.fromRaw(b));
    },
  );
  benchThroughput(
    `decodeTx on each tx's bytes, then every field (${count} txs)`,
    txOptions,
    () => {
      for (const b of txBytes) sink += touchTx(decodeTx(b));
    },
  );

  const blockOptions = { group: "block", items: count, itemName: "txs", bytes: block.length };
  benchThroughput(
    `bcoin Block.fromRaw, then every field of every tx (${count} txs, 1.2 MB)`,
    { ...blockOptions, baseline: true },
    () => {
      for (const tx of Block.fromRaw(blockBuffer).txs) sink += touchBcoin(tx);
    },
  );
  benchThroughput(
    `decodeBlock, then every field of every tx (${count} txs, 1.2 MB)`,
    blockOptions,
    () => {
      for (const tx of decodeBlock(block).transactions) sink += touchTx(tx);
    },
  );
}

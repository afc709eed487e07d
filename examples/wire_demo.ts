// A tour of the wire codec: the messages of a peer's first seconds (handshake, address
// gossip, inventory, a header request, a transaction) are encoded through
// MessageEncoderStream, cut into random segments as TCP would deliver them, and decoded back
// through MessageDecoderStream. Then a corrupted frame shows how bad input is reported, and
// optionally a real block file is decoded.
//
//   deno run examples/wire_demo.ts
//   deno run --allow-read examples/wire_demo.ts --block path/to/block.blk --seed 7
import { encodeHex } from "@std/encoding/hex";
import {
  blockHash,
  checkMerkleRoot,
  decodeBlock,
  encodeMessage,
  formatUserAgent,
  hashToHex,
  hexToHash,
  InvType,
  type Message,
  MessageDecoderStream,
  MessageEncoderStream,
  MessageError,
  netAddressFromHost,
  netAddressV2FromString,
  netAddressV2ToString,
  type Network,
  PROTOCOL_VERSION,
  ServiceFlag,
  serviceFlagsToString,
  txid,
  type UnknownMessage,
} from "../mod.ts";
import * as cli from "./_cli.ts";
import { type Output, setupOutput } from "./_log.ts";

const HELP = `wire_demo: encode, segment and decode a peer's first messages

Usage: deno run [--allow-read] examples/wire_demo.ts [options]

Options:
  --network NAME   mainnet, testnet3, testnet4, regtest, signet or simnet (default regtest)
  --seed N         repeat a run: the same segmentation, hashes and timestamps, so the same
                   bytes (an integer from 0 to 4294967295; default: a random one)
  --block FILE     also decode a serialized block (needs --allow-read)
  --log-format F   text (default) or json (JSON Lines, one object per line)
  --help           show this text`;

/** The clock of a seeded run, so that it repeats byte for byte (2023-11-14T22:13:20Z). */
const SEEDED_NOW = 1_700_000_000;

/** A small deterministic generator (xorshift32), so that a run can be repeated with --seed. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** `n` bytes from the generator. */
function randomBytes(next: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

function firstMessages(network: Network, now: number, next: () => number): Message[] {
  const port = network.defaultPort;
  const services = ServiceFlag.NETWORK | ServiceFlag.WITNESS | ServiceFlag.NETWORK_LIMITED;
  const genesis = hexToHash("0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206");
  return [
    {
      command: "version",
      protocolVersion: PROTOCOL_VERSION,
      services,
      timestamp: BigInt(now),
      addrRecv: netAddressFromHost("127.0.0.1", port),
      addrFrom: netAddressFromHost("::", 0, { services }),
      nonce: 0x5eed_cafe_f00dn,
      userAgent: formatUserAgent([{ name: "btcstream", version: "0.1.0", comments: ["demo"] }]),
      startHeight: 0,
      relay: true,
    },
    { command: "wtxidrelay" },
    { command: "sendaddrv2" },
    { command: "verack" },
    { command: "sendheaders" },
    { command: "ping", nonce: 0x0123456789abcdefn },
    {
      command: "addrv2",
      addresses: [
        netAddressV2FromString("203.0.113.7", 8333, { services, timestamp: now - 600 }),
        netAddressV2FromString("2001:db8::7", 8333, { services, timestamp: now - 60 }),
        netAddressV2FromString(
          "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
          8333,
          { services, timestamp: now },
        ),
      ],
    },
    {
      command: "inv",
      inventory: [1, 2, 3].map((i) => ({
        type: InvType.WTX,
        hash: randomBytes(next, 32).fill(i, 0, 1),
      })),
    },
    {
      command: "getheaders",
      protocolVersion: PROTOCOL_VERSION,
      locator: [genesis],
      hashStop: new Uint8Array(32),
    },
    {
      command: "tx",
      tx: {
        version: 2,
        inputs: [{
          previousOutput: { hash: randomBytes(next, 32), index: 0 },
          signatureScript: new Uint8Array(),
          sequence: 0xfffffffd,
          witness: [new Uint8Array(71).fill(0x30), new Uint8Array(33).fill(0x02)],
        }],
        outputs: [{
          value: 50_000n,
          pkScript: new Uint8Array([0x00, 0x14, ...new Uint8Array(20)]),
        }],
        lockTime: 0,
      },
    },
  ];
}

function summarize(m: Message | UnknownMessage): string {
  switch (m.command) {
    case "version":
      return `v${m.protocolVersion} ${m.userAgent} services=${serviceFlagsToString(m.services)}`;
    case "ping":
    case "pong":
      return `nonce=0x${m.nonce.toString(16)}`;
    case "addrv2":
      return m.addresses.map((a) => {
        const host = netAddressV2ToString(a);
        return `${host.includes(":") ? `[${host}]` : host}:${a.port}`;
      }).join(", ");
    case "inv":
      return `${m.inventory.length} entries, first ${hashToHex(m.inventory[0].hash).slice(0, 16)}…`;
    case "getheaders":
      return `${m.locator.length} locator hash(es), from ${hashToHex(m.locator[0]).slice(0, 16)}…`;
    case "tx":
      return `txid ${
        hashToHex(txid(m.tx)).slice(0, 16)
      }…, ${m.tx.inputs.length} in, ${m.tx.outputs.length} out, witness`;
    case "unknown":
      return `unknown command "${m.name}" (${m.payload.length} bytes), skipped`;
    default:
      return "";
  }
}

/** Reads and decodes a block file, or fails with one line that says why. */
async function readBlock(file: string) {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (error) {
    throw new Error(`Cannot read ${file}: ${cli.errorMessage(error)}`);
  }
  const start = performance.now();
  try {
    const block = decodeBlock(bytes);
    return { block, size: bytes.length, ms: performance.now() - start };
  } catch (error) {
    if (!(error instanceof MessageError)) throw error;
    throw new Error(`${file} is not a block: ${error.message}`);
  }
}

async function main(args: readonly string[]): Promise<number> {
  const parsed = cli.parseArgs(args, { options: ["network", "seed", "block"] });
  if (parsed.positionals.length > 0) {
    throw new cli.UsageError(`Unexpected argument ${parsed.positionals[0]}`);
  }
  const network = cli.networkOption(parsed, { fallback: "regtest", simnet: true });
  const given = parsed.values.has("seed");
  const seed = cli.intOption(parsed, "seed", Math.floor(Math.random() * 2 ** 31), 0, 2 ** 32 - 1);
  const file = parsed.values.get("block");
  const out = await setupOutput("wire_demo", cli.logFormatOption(parsed));
  // Before anything is printed: a bad file is one line, not a tour and then a failure.
  const block = file === undefined ? undefined : await readBlock(file);

  const next = random(seed);
  const now = given ? SEEDED_NOW : Math.floor(Date.now() / 1000);
  const messages = firstMessages(network, now, next);
  out.info(
    `Encoding ${messages.length} messages for ${network.name} (magic 0x${
      network.magic.toString(16)
    }), protocol ${PROTOCOL_VERSION}, seed ${seed}\n`,
    { network: network.name, messages: messages.length, protocolVersion: PROTOCOL_VERSION, seed },
  );

  // Encode, then re-cut the byte stream into random segments of 1 to 120 bytes.
  const frames = await Array.fromAsync(
    ReadableStream.from(messages).pipeThrough(new MessageEncoderStream({ network })),
  );
  const wire = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    wire.set(f, at);
    at += f.length;
  }
  const segments: Uint8Array[] = [];
  for (let p = 0; p < wire.length;) {
    const n = 1 + Math.floor(next() * 120);
    segments.push(wire.subarray(p, p + n));
    p += n;
  }
  const digest = encodeHex(await crypto.subtle.digest("SHA-256", wire));
  out.info(
    `${wire.length} bytes on the wire (SHA-256 ${
      digest.slice(0, 16)
    }…), delivered in ${segments.length} segments\n`,
    { bytes: wire.length, sha256: digest, segments: segments.length },
  );

  const sizes: number[] = [];
  const decoded = ReadableStream.from(segments).pipeThrough(
    new MessageDecoderStream({ network, onFrame: (_, size) => sizes.push(size) }),
  );
  let i = 0;
  for await (const m of decoded) {
    const name = m.command === "unknown" ? m.name : m.command;
    const size = sizes[i++];
    const summary = summarize(m);
    out.info(`  ${name.padEnd(11)} ${String(size).padStart(5)} B  ${summary}`.trimEnd(), {
      command: name,
      bytes: size,
      summary,
    });
  }

  await corruptedFrame(out, network);

  if (block !== undefined) {
    const hash = hashToHex(blockHash(block.block.header));
    const count = block.block.transactions.length;
    const merkle = checkMerkleRoot(block.block);
    out.info(
      `\nBlock ${hash}\n  ${count} transactions, ${block.size} bytes, decoded and validated in ${
        block.ms.toFixed(2)
      } ms; merkle root ${merkle ? "matches" : "DOES NOT match"}`,
      { block: hash, transactions: count, bytes: block.size, ms: block.ms, merkleRoot: merkle },
    );
  }
  return 0;
}

/** Bad input: one payload bit of a ping frame flipped, and what the decoder stream says. */
async function corruptedFrame(out: Output, network: Network): Promise<void> {
  const ping = encodeMessage({ command: "ping", nonce: 1n }, { network });
  ping[30] ^= 0x10;
  out.info(`\nA ping frame with one flipped bit: ${encodeHex(ping)}`, { frame: encodeHex(ping) });
  try {
    const decoder = new MessageDecoderStream({ network });
    for await (const _ of ReadableStream.from([ping]).pipeThrough(decoder)) {
      // not reached
    }
  } catch (e) {
    if (!(e instanceof MessageError)) throw e;
    out.info(`  -> MessageError ${e.code}: ${e.message}`, { code: e.code, error: e.message });
  }
}

await cli.runCli("wire_demo", HELP, main);

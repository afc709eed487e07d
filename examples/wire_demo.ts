// A tour of the wire codec: the messages of a peer's first seconds (handshake, address
// gossip, inventory, a header request, a transaction) are encoded through
// MessageEncoderStream, cut into random segments as TCP would deliver them, and decoded back
// through MessageDecoderStream. Then a corrupted frame shows how bad input is reported, and
// optionally a real block file is decoded.
//
//   deno run examples/wire_demo.ts
//   deno run --allow-read examples/wire_demo.ts --block path/to/block.blk
import {
  blockHash,
  bytesToHex,
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
  NETWORKS,
  PROTOCOL_VERSION,
  ServiceFlag,
  serviceFlagsToString,
  txid,
  type UnknownMessage,
} from "../mod.ts";

const HELP = `wire_demo: encode, segment and decode a peer's first messages

Usage: deno run [--allow-read] examples/wire_demo.ts [options]

Options:
  --network NAME   mainnet, testnet3, testnet4, regtest, signet or simnet (default regtest)
  --seed N         seed for the random TCP segmentation (default: random)
  --block FILE     also decode a serialized block (needs --allow-read)
  --help           show this text`;

function parseArgs(
  args: string[],
): { network: keyof typeof NETWORKS; seed: number; block?: string } {
  const out: { network: keyof typeof NETWORKS; seed: number; block?: string } = {
    network: "regtest",
    seed: Math.floor(Math.random() * 2 ** 31),
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--help" || a === "-h") {
      console.log(HELP);
      Deno.exit(0);
    } else if (a === "--network" && args[i + 1] in NETWORKS) {
      out.network = args[++i] as keyof typeof NETWORKS;
    } else if (a === "--seed" && /^\d+$/.test(args[i + 1] ?? "")) {
      out.seed = Number(args[++i]);
    } else if (a === "--block" && args[i + 1]) {
      out.block = args[++i];
    } else {
      console.error(`Unknown or incomplete option ${a}\n\n${HELP}`);
      Deno.exit(2);
    }
  }
  return out;
}

/** A small deterministic generator, so that a run can be repeated with --seed. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function firstMessages(network: keyof typeof NETWORKS): Message[] {
  const port = NETWORKS[network].defaultPort;
  const now = Math.floor(Date.now() / 1000);
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
        hash: crypto.getRandomValues(new Uint8Array(32)).fill(i, 0, 1),
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
          previousOutput: { hash: crypto.getRandomValues(new Uint8Array(32)), index: 0 },
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

async function main(): Promise<void> {
  const args = parseArgs(Deno.args);
  const next = random(args.seed);
  const messages = firstMessages(args.network);
  console.log(
    `Encoding ${messages.length} messages for ${args.network} (magic 0x${
      NETWORKS[args.network].magic.toString(16)
    }), protocol ${PROTOCOL_VERSION}, segmentation seed ${args.seed}\n`,
  );

  // Encode, then re-cut the byte stream into random segments of 1 to 120 bytes.
  const frames: Uint8Array[] = [];
  const encoded = ReadableStream.from(messages).pipeThrough(
    new MessageEncoderStream({ network: args.network }),
  );
  for await (const frame of encoded) frames.push(frame);
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
  console.log(`${wire.length} bytes on the wire, delivered in ${segments.length} segments\n`);

  const sizes: number[] = [];
  const decoded = ReadableStream.from(segments).pipeThrough(
    new MessageDecoderStream({ network: args.network, onFrame: (_, size) => sizes.push(size) }),
  );
  let i = 0;
  for await (const m of decoded) {
    const name = m.command === "unknown" ? m.name : m.command;
    console.log(`  ${name.padEnd(11)} ${String(sizes[i++]).padStart(5)} B  ${summarize(m)}`);
  }

  // Bad input: flip one payload bit of the ping frame.
  const ping = encodeMessage({ command: "ping", nonce: 1n }, { network: args.network });
  ping[30] ^= 0x10;
  console.log(`\nA ping frame with one flipped bit: ${bytesToHex(ping)}`);
  try {
    for await (
      const _ of ReadableStream.from([ping]).pipeThrough(
        new MessageDecoderStream({ network: args.network }),
      )
    ) {
      // not reached
    }
  } catch (e) {
    if (!(e instanceof MessageError)) throw e;
    console.log(`  -> MessageError ${e.code}: ${e.message}`);
  }

  if (args.block) {
    const bytes = await Deno.readFile(args.block);
    const start = performance.now();
    const block = decodeBlock(bytes);
    const ms = performance.now() - start;
    console.log(
      `\nBlock ${
        hashToHex(blockHash(block.header))
      }\n  ${block.transactions.length} transactions, ${bytes.length} bytes, decoded and validated in ${
        ms.toFixed(2)
      } ms; merkle root ${checkMerkleRoot(block) ? "matches" : "DOES NOT match"}`,
    );
  }
}

if (import.meta.main) await main();

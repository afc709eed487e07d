// A light client: syncs a network's block headers from its peers (checked as Bitcoin Core checks
// them), then runs the scripts and addresses to watch against each block's BIP 158 filter
// (checked through BIP 157's filter header chain, across peers), fetches the blocks that match,
// and prints one line per transaction that pays or spends a watched script. Keeps following the
// tip until stopped, or exits at the tip with --exit-at-tip.
//
//   deno run --allow-net examples/light_client.ts --network signet --from 250000 \
//     --watch tb1q...
//   deno run --allow-net=127.0.0.1 examples/light_client.ts --network regtest \
//     --connect 127.0.0.1:18444 --watch bcrt1q... --exit-at-tip
import { parseArgs } from "@std/cli/parse-args";
import { ProgressBar } from "@std/cli/unstable-progress-bar";
import { bech32, bech32m, createBase58check } from "@scure/base";
import { sha256 } from "@noble/hashes/sha2.js";
import { FileHeaderStorage, HeaderChain } from "../headers/mod.ts";
import { DNS_SEEDS, Server } from "../server/mod.ts";
import { FilterSync, HeaderSync } from "../sync/mod.ts";
import {
  type Block,
  bytesToHex,
  hashToHex,
  hexToBytes,
  type Network,
  type NetworkName,
  ServiceFlag,
  txid,
} from "../wire/mod.ts";
import * as cli from "./_cli.ts";

const HELP =
  `light_client: follow a chain's headers and a wallet's transactions with compact filters

Usage: deno run --allow-net examples/light_client.ts [options]

Options:
  --network NAME           mainnet (default), testnet3, testnet4, signet or regtest
  --connect HOST:PORT      a peer to use (repeatable; default: peers from the DNS seeds that
                           serve compact block filters)
  --watch ADDRESS|SCRIPT   an address (base58check or bech32/bech32m, of --network) or an
                           output script in hex to watch (repeatable)
  --from HEIGHT            the first block to look at (default 0)
  --headers FILE           keep the header chain in FILE (default: in memory only)
  --exit-at-tip            exit 0 once headers and filters reach the peers' tip
  --help                   show this text

Prints "match height H block HASH tx TXID" for each transaction that pays a watched script or
spends an output that paid one (seen from --from on). Progress and notes go to stderr. Ctrl-C
(or SIGTERM) stops it.`;

/** Address prefixes per network: bech32 human-readable part, base58 P2PKH and P2SH versions. */
const PREFIXES: Record<string, { hrp: string; p2pkh: number; p2sh: number }> = {
  mainnet: { hrp: "bc", p2pkh: 0x00, p2sh: 0x05 },
  testnet3: { hrp: "tb", p2pkh: 0x6f, p2sh: 0xc4 },
  testnet4: { hrp: "tb", p2pkh: 0x6f, p2sh: 0xc4 },
  signet: { hrp: "tb", p2pkh: 0x6f, p2sh: 0xc4 },
  regtest: { hrp: "bcrt", p2pkh: 0x6f, p2sh: 0xc4 },
};

const base58check = createBase58check(sha256);

/** The output script an address or a hex script stands for (a `UsageError` if neither). */
export function watchedScript(text: string, network: Network): Uint8Array {
  const prefix = PREFIXES[network.name];
  const segwit = segwitScript(text, prefix.hrp);
  if (segwit !== undefined) return segwit;
  let payload: Uint8Array | undefined;
  try {
    payload = base58check.decode(text);
  } catch {
    payload = undefined;
  }
  if (payload !== undefined && payload.length === 21) {
    const hash = payload.subarray(1);
    // P2PKH: OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG; P2SH: OP_HASH160 <20> OP_EQUAL.
    if (payload[0] === prefix.p2pkh) return Uint8Array.of(0x76, 0xa9, 0x14, ...hash, 0x88, 0xac);
    if (payload[0] === prefix.p2sh) return Uint8Array.of(0xa9, 0x14, ...hash, 0x87);
    throw new cli.UsageError(`--watch ${text}: an address of another network than ${network.name}`);
  }
  if (/^([0-9a-fA-F]{2})+$/.test(text)) return hexToBytes(text);
  throw new cli.UsageError(
    `--watch ${text}: not an address of ${network.name} nor a script in hex`,
  );
}

/** BIP 173/350: a segwit address's output script, or undefined if `text` is not one. */
function segwitScript(text: string, hrp: string): Uint8Array | undefined {
  if (!text.toLowerCase().startsWith(`${hrp}1`)) return undefined;
  let decoded: { prefix: string; words: number[] } | undefined;
  let version = -1;
  // Version 0 is bech32, later versions bech32m (BIP 350): one of the two checksums fits.
  for (const codec of [bech32, bech32m]) {
    try {
      const d = codec.decode(text as `${string}1${string}`);
      const v = d.words[0];
      if ((v === 0) !== (codec === bech32)) continue;
      decoded = d;
      version = v;
      break;
    } catch {
      // Not this checksum.
    }
  }
  if (decoded === undefined || decoded.prefix !== hrp || version > 16) {
    throw new cli.UsageError(`--watch ${text}: not a valid ${hrp} segwit address`);
  }
  const program = bech32.fromWords(decoded.words.slice(1));
  const sizeOk = version === 0
    ? program.length === 20 || program.length === 32
    : program.length >= 2 && program.length <= 40;
  if (!sizeOk) throw new cli.UsageError(`--watch ${text}: a witness program of a wrong size`);
  return Uint8Array.of(version === 0 ? 0 : 0x50 + version, program.length, ...program);
}

/** The transactions of `block` that pay a watched script or spend a coin that paid one. */
function matches(block: Block, watched: Set<string>, coins: Set<string>): string[] {
  const out: string[] = [];
  for (const tx of block.transactions) {
    const id = hashToHex(txid(tx));
    let hit = false;
    for (const input of tx.inputs) {
      const key = `${hashToHex(input.previousOutput.hash)}:${input.previousOutput.index}`;
      if (coins.delete(key)) hit = true;
    }
    for (const [index, output] of tx.outputs.entries()) {
      if (!watched.has(bytesToHex(output.pkScript))) continue;
      coins.add(`${id}:${index}`);
      hit = true;
    }
    if (hit) out.push(id);
  }
  return out;
}

async function main(args: readonly string[]): Promise<number> {
  const parsed = parseArgs([...args], {
    string: ["network", "connect", "watch", "from", "headers"],
    boolean: ["exit-at-tip"],
    collect: ["connect", "watch"],
    unknown: (arg) => {
      throw new cli.UsageError(`Unknown option ${arg}`);
    },
  });
  if (parsed._.length > 0) throw new cli.UsageError(`Unexpected ${parsed._[0]}`);
  const values = new Map<string, string>();
  if (parsed.network !== undefined) values.set("network", parsed.network);
  if (parsed.from !== undefined) values.set("from", parsed.from);
  const options = { values, flags: new Set<string>(), positionals: [] };
  const network = cli.networkOption(options);
  const from = cli.intOption(options, "from", 0, 0);
  const peers = parsed.connect.map((c) => {
    const { host, port } = cli.parseHostPort(c, network.defaultPort);
    return cli.joinHostPort(host, port);
  });
  // Hex of each script: whatever case it was typed in, its bytes are what a block holds.
  const watched = new Set(parsed.watch.map((w) => bytesToHex(watchedScript(w, network))));
  if (peers.length === 0 && !DNS_SEEDS[network.name]?.length) {
    throw new cli.UsageError(`${network.name} has no DNS seeds: give --connect`);
  }

  const server = new Server({
    network,
    connect: peers.length > 0 ? peers : undefined,
    // From the DNS seeds, only peers that serve filters (and blocks, with witnesses).
    requiredServices: ServiceFlag.NETWORK | ServiceFlag.WITNESS | ServiceFlag.COMPACT_FILTERS,
    disableRelayTx: true,
    userAgentName: "light_client",
    userAgentVersion: "0.1.0",
  });
  const chainOptions = {
    network: network.name as NetworkName,
    adjustedTime: () => server.timeSource.adjustedTime(),
  };
  const chain = parsed.headers === undefined
    ? new HeaderChain(chainOptions)
    : await HeaderChain.open(new FileHeaderStorage(parsed.headers), chainOptions);
  const headers = new HeaderSync(chain, { server });
  const scripts = [...watched].map((hex) => hexToBytes(hex));
  const filters = new FilterSync(headers, { scripts, startHeight: from, fetchBlocks: true });
  const done = Promise.withResolvers<number>();
  const stopListening = cli.onInterrupt((signal) => {
    console.error(`light_client: stopped (${signal})`);
    done.resolve(0);
  });
  const out = cli.lineWriter(Deno.stdout);
  await server.start();
  console.error(
    `light_client: ${network.name}, ${watched.size} script(s) watched from height ${from}, ` +
      `peers: ${peers.length > 0 ? peers.join(", ") : "from the DNS seeds"}`,
  );

  const work = (async () => {
    // Headers first, with a progress bar, then the filters from --from on.
    const events = headers.events();
    const bar = new ProgressBar({
      max: Math.max(1, headers.targetHeight),
      formatter: (f) => `headers ${f.value}/${f.max} [${f.progressBar}] ${f.styledTime}`,
    });
    const synced = headers.synced;
    const reader = events.getReader();
    for (;;) {
      const next = await Promise.race([reader.read(), synced.then(() => undefined)]);
      bar.max = Math.max(1, headers.targetHeight);
      bar.value = chain.height;
      if (next === undefined || next.done) break;
    }
    await reader.cancel();
    await bar.stop();
    if (!await synced) return;
    console.error(`light_client: headers at the tip, height ${chain.height}`);
    const coins = new Set<string>();
    for await (const event of filters.readable) {
      if (event.type === "reorg") {
        console.error(`light_client: reorganization above height ${event.fork}`);
      } else if (event.type === "block" && event.block !== undefined) {
        for (const id of matches(event.block, watched, coins)) {
          out.write(`match height ${event.height} block ${hashToHex(event.blockHash)} tx ${id}`);
        }
      } else if (event.type === "synced") {
        console.error(`light_client: filters at the tip, height ${event.height}`);
        if (parsed["exit-at-tip"] && headers.atTip && event.height === chain.height) {
          done.resolve(0);
          return;
        }
      }
    }
  })();
  work.catch((error) => done.reject(error));
  try {
    return await done.promise;
  } finally {
    stopListening();
    await filters.close();
    await headers.close();
    await server.stop();
    await work.catch(() => {});
    await chain.close();
    await out.close();
  }
}

if (import.meta.main) await cli.runCli("light_client", HELP, main);

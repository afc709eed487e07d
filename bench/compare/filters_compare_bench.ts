// Our BIP 158 filters against bcoin-org's `golomb` 1.2.0 (npm; the Golomb-coded sets bcoin's
// later releases build and match BIP 158 filters with; bcoin 1.0.2 has none), in the same
// process and run; each group's baseline is golomb, so a ratio of 2.00 means twice its rate.
//
// The block is the real 1.2 MB mainnet block; as in bench/filters_bench.ts its spent scripts
// are synthetic (one per input, the sizes of common outputs), the same for both libraries. The
// two filters are compared byte for byte before anything is timed: golomb is an independent
// implementation of BIP 158, so this is also a cross-check of ours on a filter of 10,000
// elements. golomb loads bcrypto's JavaScript backend (NODE_BACKEND=js, as the other compare
// benches load bcoin) and uses Node's Buffer.
import { Buffer } from "node:buffer";
import { buildGcs } from "../../filters/_gcs.ts";
import { BASIC_PARAMS, basicFilterElements } from "../../filters/basic_filter.ts";
import { matchFilterAny } from "../../filters/mod.ts";
import { blockHash, bytesToHex, decodeBlock } from "../../wire/mod.ts";
import { BLOCK_FILES } from "../_data.ts";
import { benchThroughput } from "../_throughput.ts";

interface GolombFilter {
  fromItems(p: number, key: Buffer, items: Buffer[]): GolombFilter;
  matchFilterAny(key: Buffer, items: Buffer[]): boolean;
  toNBytes(): Buffer;
}

Deno.env.set("NODE_BACKEND", "js");
const Golomb: new () => GolombFilter = (await import("golomb")).default;

let seed = 0x2545f491;
function randomScript(i: number): Uint8Array {
  const out = new Uint8Array(i % 2 === 0 ? 22 : 25);
  for (let j = 0; j < out.length; j++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    out[j] = seed;
  }
  return out;
}

const block = BLOCK_FILES.find((b) => b.name === "block 1.2 MB");
if (block === undefined) {
  console.warn("Skipping: ../shared/data is absent");
} else {
  const decoded = decodeBlock(block.bytes);
  let inputs = 0;
  for (const tx of decoded.transactions.slice(1)) inputs += tx.inputs.length;
  const spent = Array.from({ length: inputs }, (_, i) => randomScript(i));
  const hash = blockHash(decoded.header);
  const key = Buffer.from(hash.subarray(0, 16));
  const elements = basicFilterElements(decoded, spent);
  const elementBuffers = elements.map((e) => Buffer.from(e));
  const ours = buildGcs(elements, hash, BASIC_PARAMS);
  const theirs = new Golomb().fromItems(BASIC_PARAMS.p, key, elementBuffers);
  if (bytesToHex(theirs.toNBytes()) !== bytesToHex(ours)) {
    throw new Error("golomb and btcstream built different filters for the same elements");
  }
  const wallet = Array.from({ length: 1000 }, (_, i) => randomScript(i + 1));
  const walletBuffers = wallet.map((s) => Buffer.from(s));

  const build = { group: "build", items: elements.length, itemName: "elements" };
  benchThroughput(
    "golomb fromItems, the 1.2 MB block's elements",
    { ...build, baseline: true },
    () => {
      new Golomb().fromItems(BASIC_PARAMS.p, key, elementBuffers);
    },
  );
  benchThroughput("btcstream, the same elements", build, () => {
    buildGcs(elements, hash, BASIC_PARAMS);
  });
  const match = { group: "matchFilterAny", items: 1000, itemName: "scripts" };
  benchThroughput("golomb matchFilterAny, 1,000 scripts, no match", { ...match, baseline: true }, () => {
    if (theirs.matchFilterAny(key, walletBuffers)) throw new Error("unexpected match");
  });
  benchThroughput("btcstream matchFilterAny, the same", match, () => {
    if (matchFilterAny(ours, hash, wallet)) throw new Error("unexpected match");
  });
}

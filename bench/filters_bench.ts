// BIP 158 filters on the real 1.2 MB mainnet block: building its basic filter, matching 1,000
// wallet scripts against it (the target: under 2 ms), and SipHash-2-4 throughput
// beside the npm packages it could have come from.
//
// The spent scripts of the block's inputs are not in ../shared/data (they live in other
// blocks), so the filter is built from the block's real output scripts plus one synthetic
// spent script per input, random bytes with the shapes and the mix of sizes of mainnet's
// common outputs (P2WPKH 22 bytes, P2PKH 25, P2SH 23, P2TR and P2WSH 34). The filter has the
// size a real one would; its bytes differ from the block's real filter.
import siphash24 from "siphash24";
import * as posthogSiphash from "@posthog/siphash";
import { buildBasicFilter, matchFilter, matchFilterAny } from "../filters/mod.ts";
import { basicFilterElements } from "../filters/basic_filter.ts";
import { sipHash24Halves, sipKey, sipLo } from "../filters/_siphash.ts";
import { validateGcs } from "../filters/_gcs.ts";
import { BASIC_PARAMS } from "../filters/basic_filter.ts";
import { blockHash, decodeBlock } from "../wire/mod.ts";
import { BLOCK_FILES, HAVE_SHARED_DATA } from "./_data.ts";
import { benchThroughput } from "./_throughput.ts";

// A deterministic generator, so that every run builds the same synthetic scripts.
let seed = 0x9e3779b9;
function nextByte(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed & 0xff;
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = nextByte();
  return out;
}

/** A random script shaped like a common mainnet output: P2WPKH, P2PKH, P2SH, P2TR, P2WSH. */
function syntheticScript(i: number): Uint8Array {
  const kind = i % 20;
  if (kind < 10) return new Uint8Array([0x00, 0x14, ...randomBytes(20)]); // P2WPKH, half
  if (kind < 15) return new Uint8Array([0x76, 0xa9, 0x14, ...randomBytes(20), 0x88, 0xac]);
  if (kind < 18) return new Uint8Array([0xa9, 0x14, ...randomBytes(20), 0x87]); // P2SH
  if (kind < 19) return new Uint8Array([0x51, 0x20, ...randomBytes(32)]); // P2TR
  return new Uint8Array([0x00, 0x20, ...randomBytes(32)]); // P2WSH
}

if (!HAVE_SHARED_DATA) console.warn("Skipping the block cases: ../shared/data is absent");
const block = BLOCK_FILES.find((b) => b.name === "block 1.2 MB");
if (block !== undefined) {
  const decoded = decodeBlock(block.bytes);
  let inputs = 0;
  for (const tx of decoded.transactions.slice(1)) inputs += tx.inputs.length;
  const spent = Array.from({ length: inputs }, (_, i) => syntheticScript(i));
  const hash = blockHash(decoded.header);
  const filter = buildBasicFilter(decoded, spent);
  const elements = basicFilterElements(decoded, spent);
  const n = validateGcs(filter, BASIC_PARAMS);
  console.log(
    `block 1.2 MB: ${decoded.transactions.length} txs, ${inputs} inputs, ${elements.length} ` +
      `elements, ${n} distinct; filter ${filter.length} bytes`,
  );
  // A wallet's scripts: none in the block (the whole filter is walked, the usual case).
  const wallet = Array.from({ length: 1000 }, (_, i) => syntheticScript(i));
  const walletWithHit = [...wallet.slice(0, 999), elements[elements.length >> 1]];

  benchThroughput(
    `buildBasicFilter, block 1.2 MB (${n} elements), transactions already built`,
    { group: "build", baseline: true, items: n, itemName: "elements", bytes: block.bytes.length },
    () => {
      buildBasicFilter(decoded, spent);
    },
  );
  benchThroughput(
    "decodeBlock then buildBasicFilter, block 1.2 MB",
    { group: "build", items: n, itemName: "elements", bytes: block.bytes.length },
    () => {
      buildBasicFilter(decodeBlock(block.bytes), spent);
    },
  );
  benchThroughput(
    `matchFilterAny, 1,000 scripts against the ${filter.length}-byte filter, no match`,
    { group: "match", baseline: true, items: 1000, itemName: "scripts" },
    () => {
      if (matchFilterAny(filter, hash, wallet)) throw new Error("unexpected match");
    },
  );
  benchThroughput(
    "matchFilterAny, 1,000 scripts, one of them in the block",
    { group: "match", items: 1000, itemName: "scripts" },
    () => {
      if (!matchFilterAny(filter, hash, walletWithHit)) throw new Error("expected a match");
    },
  );
  benchThroughput(
    "match, one script (one walk of the filter)",
    { group: "match", items: 1, itemName: "scripts" },
    () => {
      matchFilter(filter, hash, wallet[0]);
    },
  );
  benchThroughput(
    `validating the filter alone (${n} elements decoded)`,
    { group: "match", items: n, itemName: "elements", bytes: filter.length },
    () => {
      validateGcs(filter, BASIC_PARAMS);
    },
  );
}

// SipHash-2-4 over 10,000 scripts of the sizes above: the package the filters use
// (`filters/_siphash.ts`, npm:siphash24) through our wrapper and bare, and a pure-JavaScript one.
const scripts = Array.from({ length: 10_000 }, (_, i) => syntheticScript(i));
const scriptBytes = scripts.reduce((s, x) => s + x.length, 0);
const key = randomBytes(16);
const k = sipKey(key);
const keyWords = new Uint32Array(key.slice().buffer);
const out = new Uint8Array(8);
let sink = 0;
const sip = { group: "siphash", items: scripts.length, itemName: "hashes", bytes: scriptBytes };
benchThroughput(
  "SipHash-2-4 as the filters call it (sipHash24Halves, npm:siphash24)",
  { ...sip, baseline: true },
  () => {
    for (const s of scripts) {
      sipHash24Halves(k, s, 0, s.length);
      sink ^= sipLo;
    }
  },
);
benchThroughput("npm:siphash24 1.3.1 bare (WebAssembly)", sip, () => {
  for (const s of scripts) sink ^= siphash24(s, key, out, true)[0];
});
benchThroughput("npm:@posthog/siphash 1.1.1 (as npm:siphash, pure JavaScript)", sip, () => {
  for (const s of scripts) sink ^= posthogSiphash.hash(keyWords, s).l;
});
globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink); // keeps the hashes from being optimized away
});

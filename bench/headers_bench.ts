// The header chain: headers validated per second (every header hashed, its proof of work,
// difficulty, median time past, future limit and version checked, then stored), and the
// memory a 1,000,000-header chain holds.
//
//   - throughput: a chain of 20,000 mined regtest headers connected in `headers`-message
//     batches of 2,000 into a fresh chain, from decoded headers (what a peer delivers) and
//     from the frames themselves (decode + connect); and the double SHA-256 of 20,000
//     headers alone, the floor a chain cannot beat;
//   - memory (with `deno task bench:headers`, which exposes gc): 1,000,000 mined headers
//     connected, the heap and array buffers measured after a full collection before and
//     after, so that only what the chain holds is counted.
import { HeaderChain } from "../headers/mod.ts";
import {
  BLOCK_HEADER_SIZE,
  type BlockHeader,
  decodeBlockHeader,
  decodeMessage,
  doubleSha256,
  encodeBlockHeader,
  encodeMessage,
  MAX_BLOCK_HEADERS_PER_MSG,
} from "../wire/mod.ts";
import { CHAIN_PARAMS } from "../headers/params.ts";
import { benchThroughput } from "./_throughput.ts";

const REGTEST = CHAIN_PARAMS.regtest;
const FAR_FUTURE_MS = 4_000_000_000_000;

/** Mines `n` regtest headers after genesis into one buffer (80 bytes each, height order). */
function mine(n: number): Uint8Array {
  const out = new Uint8Array(n * BLOCK_HEADER_SIZE);
  const scratch = encodeBlockHeader(REGTEST.genesis);
  const view = new DataView(scratch.buffer);
  let prev = REGTEST.genesisHash;
  let time = REGTEST.genesis.timestamp;
  for (let i = 0; i < n; i++) {
    scratch.set(prev, 4);
    view.setUint32(36, i, true); // a distinct merkle root
    view.setInt32(0, 0x20000000, true);
    view.setUint32(68, time += 600, true);
    view.setUint32(72, 0x207fffff, true);
    let nonce = 0;
    let hash: Uint8Array;
    do {
      view.setUint32(76, nonce++, true);
      hash = doubleSha256(scratch);
    } while (hash[31] >= 0x80); // regtest's target: the top bit clear
    out.set(scratch, i * BLOCK_HEADER_SIZE);
    prev = hash;
  }
  return out;
}

/** Decoded headers `[from, to)` of a mined buffer, as a peer's decoder would hand them over. */
function decoded(bytes: Uint8Array, from: number, to: number): BlockHeader[] {
  const out: BlockHeader[] = [];
  for (let i = from; i < to; i++) {
    out.push(decodeBlockHeader(bytes.subarray(i * BLOCK_HEADER_SIZE, (i + 1) * BLOCK_HEADER_SIZE)));
  }
  return out;
}

function connectAll(chain: HeaderChain, bytes: Uint8Array, count: number): void {
  for (let i = 0; i < count; i += MAX_BLOCK_HEADERS_PER_MSG) {
    const r = chain.connect(decoded(bytes, i, Math.min(count, i + MAX_BLOCK_HEADERS_PER_MSG)));
    if (r.error !== undefined) throw r.error;
  }
}

const N = 20_000;
const mined = mine(N);
const batches: BlockHeader[][] = [];
for (let i = 0; i < N; i += MAX_BLOCK_HEADERS_PER_MSG) {
  batches.push(decoded(mined, i, i + MAX_BLOCK_HEADERS_PER_MSG));
}
const frames = batches.map((headers) =>
  encodeMessage({ command: "headers", headers }, { network: "regtest" })
);

benchThroughput("double SHA-256 of 20,000 headers alone", {
  group: "headers",
  baseline: true,
  items: N,
  itemName: "headers",
}, () => {
  for (let i = 0; i < N; i++) {
    doubleSha256(mined.subarray(i * BLOCK_HEADER_SIZE, (i + 1) * BLOCK_HEADER_SIZE));
  }
});

benchThroughput("HeaderChain.connect, 20,000 decoded headers in batches of 2,000", {
  group: "headers",
  items: N,
  itemName: "headers",
}, () => {
  const chain = new HeaderChain({ network: "regtest", adjustedTime: FAR_FUTURE_MS });
  for (const batch of batches) {
    const r = chain.connect(batch);
    if (r.error !== undefined) throw r.error;
  }
});

benchThroughput("decode headers frames + HeaderChain.connect, 20,000 headers", {
  group: "headers",
  items: N,
  itemName: "headers",
  bytes: frames.reduce((n, f) => n + f.length, 0),
}, () => {
  const chain = new HeaderChain({ network: "regtest", adjustedTime: FAR_FUTURE_MS });
  for (const frame of frames) {
    const message = decodeMessage(frame, { network: "regtest" });
    if (message.command !== "headers") throw new Error("not headers");
    const r = chain.connect(message.headers);
    if (r.error !== undefined) throw r.error;
  }
});

// Memory for a million headers: only when a full collection can be forced.
const gc = (globalThis as { gc?: (options?: object) => void }).gc;

function settle(): { heap: number; buffers: number; rss: number } {
  for (let i = 0; i < 3; i++) gc?.({ type: "major", execution: "sync", flavor: "last-resort" });
  const m = Deno.memoryUsage();
  return { heap: m.heapUsed, buffers: m.external, rss: m.rss };
}

if (gc === undefined) {
  console.log("(memory for 1,000,000 headers: run `deno task bench:headers`, which exposes gc)");
} else {
  const M = 1_000_000;
  const start = performance.now();
  const million = mine(M);
  const minedIn = performance.now() - start;
  const before = settle();
  const chain = new HeaderChain({ network: "regtest", adjustedTime: FAR_FUTURE_MS });
  const t0 = performance.now();
  connectAll(chain, million, M);
  const connectedIn = performance.now() - t0;
  const after = settle();
  const mb = (n: number) => (n / 1e6).toFixed(1);
  console.log(
    `1,000,000 headers (mined in ${(minedIn / 1000).toFixed(1)} s, connected in ${
      (connectedIn / 1000).toFixed(1)
    } s: ${Math.round(M / (connectedIn / 1000)).toLocaleString("en")} headers/s)\n` +
      `  chain memory: ${mb(after.heap - before.heap + after.buffers - before.buffers)} MB ` +
      `(JavaScript heap ${mb(after.heap - before.heap)} MB, array buffers ${
        mb(after.buffers - before.buffers)
      } MB; RSS grew ${mb(after.rss - before.rss)} MB)`,
  );
  if (chain.height !== M) throw new Error(`height ${chain.height}`);
}

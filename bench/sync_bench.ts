// Headers through HeaderSync's stream per second: mined regtest headers served by a peer in
// memory, synced into a fresh HeaderChain by a HeaderSync whose event stream is read to the tip:
// framing, decoding, checking, storing and the stream, everything but the network. The serving
// side is a raw remote that answers each `getheaders` with a `headers` frame encoded beforehand
// (2,000 a message): encoding is the remote node's work, not ours, and would otherwise share our
// cores. Beside it, the same headers connected straight into a chain (the floor the sync adds
// its work to).
import { HeaderChain } from "../headers/mod.ts";
import { CHAIN_PARAMS } from "../headers/params.ts";
import { memoryConnectionPair, Peer, SentNonces } from "../peer/mod.ts";
import { RawRemote } from "../tests/_util/raw_remote.ts";
import { HeaderSync } from "../sync/mod.ts";
import {
  BLOCK_HEADER_SIZE,
  type BlockHeader,
  decodeBlockHeader,
  doubleSha256,
  encodeBlockHeader,
  encodeMessage,
  hashToHex,
  MAX_BLOCK_HEADERS_PER_MSG,
} from "../wire/mod.ts";
import { benchThroughput } from "./_throughput.ts";

const REGTEST = CHAIN_PARAMS.regtest;
const N = 100_000;

/** Mines `n` regtest headers after genesis; returns them decoded and their hashes. */
function mine(n: number): { headers: BlockHeader[]; hashes: string[] } {
  const scratch = encodeBlockHeader(REGTEST.genesis);
  const view = new DataView(scratch.buffer);
  let prev = REGTEST.genesisHash;
  let time = REGTEST.genesis.timestamp;
  const headers: BlockHeader[] = [];
  const hashes: string[] = [];
  for (let i = 0; i < n; i++) {
    scratch.set(prev, 4);
    view.setUint32(36, i, true);
    view.setInt32(0, 0x20000000, true);
    view.setUint32(68, time += 600, true);
    view.setUint32(72, 0x207fffff, true);
    let nonce = 0;
    let hash: Uint8Array;
    do {
      view.setUint32(76, nonce++, true);
      hash = doubleSha256(scratch);
    } while (hash[31] >= 0x80);
    headers.push(decodeBlockHeader(scratch.slice(0, BLOCK_HEADER_SIZE)));
    hashes.push(hashToHex(hash));
    prev = hash;
  }
  return { headers, hashes };
}

const { headers, hashes } = mine(N);
const heightOf = new Map(hashes.map((h, i) => [h, i + 1]));
heightOf.set(hashToHex(REGTEST.genesisHash), 0);

/** `headers` frames of the mined chain, encoded once, by the height they start after. */
const frames = new Map<number, Uint8Array>();
for (let from = 0; from < N; from += MAX_BLOCK_HEADERS_PER_MSG) {
  frames.set(
    from,
    encodeMessage({
      command: "headers",
      headers: headers.slice(from, from + MAX_BLOCK_HEADERS_PER_MSG),
    }, { network: "regtest" }),
  );
}

/** Our peer, and a remote in memory that answers `getheaders` with the frames above. */
async function servingPair(): Promise<{ local: Peer; stop(): Promise<void> }> {
  const [a, b] = memoryConnectionPair({ bufferBytes: 1 << 20 });
  const remote = new RawRemote(b);
  const local = new Peer(a, { network: "regtest", sentNonces: new SentNonces() });
  await remote.handshake();
  const serving = (async () => {
    for (;;) {
      const m = await remote.next().catch(() => undefined);
      if (m === undefined) return;
      if (m.command !== "getheaders") continue;
      let from = 0;
      for (const hash of m.locator) {
        const h = heightOf.get(hashToHex(hash));
        if (h !== undefined) {
          from = h;
          break;
        }
      }
      const frame = frames.get(from) ?? encodeMessage({
        command: "headers",
        headers: headers.slice(from, from + MAX_BLOCK_HEADERS_PER_MSG),
      }, { network: "regtest" });
      await remote.sendBytes(frame);
    }
  })();
  return {
    local,
    async stop() {
      local.disconnect();
      await local.closed;
      await remote.close();
      await serving;
    },
  };
}

benchThroughput(
  `HeaderChain.connect, ${N.toLocaleString("en")} decoded headers (no peer, no sync)`,
  {
    group: "sync",
    baseline: true,
    items: N,
    itemName: "headers",
  },
  () => {
    const chain = new HeaderChain({ network: "regtest" });
    for (let i = 0; i < N; i += MAX_BLOCK_HEADERS_PER_MSG) {
      const r = chain.connect(headers.slice(i, i + MAX_BLOCK_HEADERS_PER_MSG));
      if (r.error !== undefined) throw r.error;
    }
  },
);

benchThroughput(
  `HeaderSync from a peer in memory, ${N.toLocaleString("en")} headers through its stream`,
  {
    group: "sync",
    items: N,
    itemName: "headers",
    bytes: N * 81,
  },
  async () => {
    const chain = new HeaderChain({ network: "regtest" });
    const { local, stop } = await servingPair();
    const sync = new HeaderSync(chain, { peers: [local] });
    let streamed = 0;
    for await (const event of sync.events()) {
      streamed += event.added.length;
      if (streamed >= N) break;
    }
    await sync.close();
    await stop();
    if (chain.height !== N) throw new Error(`height ${chain.height}`);
  },
);

benchThroughput(
  `HeaderSync from a peer in memory, ${N.toLocaleString("en")} headers, no stream (synced)`,
  {
    group: "sync",
    items: N,
    itemName: "headers",
    bytes: N * 81,
  },
  async () => {
    const chain = new HeaderChain({ network: "regtest" });
    const { local, stop } = await servingPair();
    const sync = new HeaderSync(chain, { peers: [local] });
    await sync.synced;
    await sync.close();
    await stop();
    if (chain.height !== N) throw new Error(`height ${chain.height}`);
  },
);

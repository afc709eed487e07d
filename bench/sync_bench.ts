// Headers through HeaderSync's stream per second: 20,000 mined regtest headers served by a peer
// in memory (a Peer answering `getheaders` from the mined chain, 2,000 a message), synced into a
// fresh HeaderChain by a HeaderSync whose event stream is read to the tip: framing, decoding,
// checking, storing and the stream, everything but the network. Beside it, the same headers
// connected straight into a chain (the floor the sync adds its work to).
import { HeaderChain } from "../headers/mod.ts";
import { CHAIN_PARAMS } from "../headers/params.ts";
import { memoryConnectionPair, Peer, SentNonces } from "../peer/mod.ts";
import { HeaderSync } from "../sync/mod.ts";
import {
  BLOCK_HEADER_SIZE,
  type BlockHeader,
  decodeBlockHeader,
  doubleSha256,
  encodeBlockHeader,
  hashToHex,
  MAX_BLOCK_HEADERS_PER_MSG,
} from "../wire/mod.ts";
import { benchThroughput } from "./_throughput.ts";

const REGTEST = CHAIN_PARAMS.regtest;
const N = 20_000;

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

/** A remote node in memory that answers `getheaders` from the mined chain. */
function servingPair(): { local: Peer; remote: Peer } {
  const [a, b] = memoryConnectionPair({ bufferBytes: 1 << 20 });
  const remote = new Peer(b, {
    network: "regtest",
    inbound: true,
    sentNonces: new SentNonces(),
    listeners: {
      onGetHeaders: (peer, m) => {
        let from = 0;
        for (const hash of m.locator) {
          const h = heightOf.get(hashToHex(hash));
          if (h !== undefined) {
            from = h;
            break;
          }
        }
        void peer.queueMessage({
          command: "headers",
          headers: headers.slice(from, from + MAX_BLOCK_HEADERS_PER_MSG),
        });
      },
    },
  });
  const local = new Peer(a, { network: "regtest" });
  return { local, remote };
}

benchThroughput("HeaderChain.connect, 20,000 decoded headers (no peer, no sync)", {
  group: "sync",
  baseline: true,
  items: N,
  itemName: "headers",
}, () => {
  const chain = new HeaderChain({ network: "regtest" });
  for (let i = 0; i < N; i += MAX_BLOCK_HEADERS_PER_MSG) {
    const r = chain.connect(headers.slice(i, i + MAX_BLOCK_HEADERS_PER_MSG));
    if (r.error !== undefined) throw r.error;
  }
});

benchThroughput("HeaderSync from a peer in memory, 20,000 headers through its stream", {
  group: "sync",
  items: N,
  itemName: "headers",
  bytes: N * 81,
}, async () => {
  const chain = new HeaderChain({ network: "regtest" });
  const { local, remote } = servingPair();
  const sync = new HeaderSync(chain, { peers: [local] });
  let streamed = 0;
  for await (const event of sync.events()) {
    streamed += event.added.length;
    if (streamed >= N) break;
  }
  await sync.close();
  local.disconnect();
  await Promise.all([local.closed, remote.closed]);
  if (chain.height !== N) throw new Error(`height ${chain.height}`);
});

benchThroughput("HeaderSync from a peer in memory, 20,000 headers, no stream (synced)", {
  group: "sync",
  items: N,
  itemName: "headers",
  bytes: N * 81,
}, async () => {
  const chain = new HeaderChain({ network: "regtest" });
  const { local, remote } = servingPair();
  const sync = new HeaderSync(chain, { peers: [local] });
  await sync.synced;
  await sync.close();
  local.disconnect();
  await Promise.all([local.closed, remote.closed]);
  if (chain.height !== N) throw new Error(`height ${chain.height}`);
});

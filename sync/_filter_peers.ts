// The peers a FilterSync asks, and its requests to them: which peers may be asked about a block
// (those serving filters, or blocks, that have shown us they have it), one PeerLink each, and
// what a failed request costs a peer (a lie is misbehaviour, a timeout a disconnection). Filters
// and blocks are fetched and checked here; the filter header chain's trust is _cf_client.ts's.
import type { Logger } from "@logtape/logtape";
import { FilterError, matchFilterAny, verifyCFilter } from "../filters/mod.ts";
import type { Peer } from "../peer/peer.ts";
import {
  type Block,
  blockHash,
  checkMerkleRoot,
  hashToHex,
  InvType,
  ServiceFlag,
} from "../wire/mod.ts";
import type { FilterHeaderStore } from "./_filter_headers.ts";
import { PeerLink, RequestFailed } from "./_peer_link.ts";
import type { SyncContext } from "./header_sync.ts";

/** BIP 159: a NODE_NETWORK_LIMITED peer serves at least the last 288 blocks. */
const LIMITED_BLOCKS = 288;
/** Peers tried for one block before giving up for now. */
const BLOCK_ATTEMPTS = 8;
/** Bitcoin Core's score for a provable lie: disconnect and discourage at once. */
const LIE = 100;

/** One checked `cfilter`: the block and whether the wallet's scripts may be in it. */
export interface FilterResult {
  readonly height: number;
  readonly blockHash: Uint8Array;
  readonly matched: boolean;
}

/** The filter sync's peers, links and requests. */
export class FilterPeers {
  readonly #ctx: SyncContext;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #links = new Map<Peer, PeerLink>();
  /** Peers no longer used (lied, stalled, or lost a dispute). */
  readonly #dropped = new WeakSet<Peer>();
  #turn = 0;
  #closed = false;

  constructor(context: SyncContext, log: Logger, responseTimeoutMs: number) {
    this.#ctx = context;
    this.#log = log;
    this.#timeoutMs = responseTimeoutMs;
  }

  /** Peers serving filters that have shown us the block at `height`. */
  filterPeers(height: number): Peer[] {
    return this.#eligible(height, (peer) => (peer.services & ServiceFlag.COMPACT_FILTERS) !== 0n);
  }

  /**
   * Whether a peer of the header sync may soon be asked about the block at `height`, so that
   * nothing is to be taken without it: one still in its handshake (its services unknown), or a
   * filter peer that has not shown the block and whose exchange of headers is not over (not
   * asked yet, as every peer but the download peer while the chain is behind, or its answer
   * awaited). BIP 157: filter headers are compared across every peer serving them. The wait
   * ends by the header sync's deadlines (its progress timeout, the peer's stall detector).
   */
  settling(height: number): boolean {
    for (const info of this.#ctx.peers()) {
      const peer = info.peer;
      if (peer.ended || this.#dropped.has(peer)) continue;
      if (!peer.connected) return true;
      if ((peer.services & ServiceFlag.COMPACT_FILTERS) === 0n) continue;
      if (!info.atTip && (info.bestHeight ?? -1) < height) return true;
    }
    return false;
  }

  /** Peers serving the block at `height` (BIP 159's limited ones for the last 288). */
  blockPeers(height: number): Peer[] {
    const recent = height > this.#ctx.chain.height - LIMITED_BLOCKS;
    return this.#eligible(height, (peer) =>
      (peer.services & ServiceFlag.NETWORK) !== 0n ||
      (recent && (peer.services & ServiceFlag.NETWORK_LIMITED) !== 0n));
  }

  /**
   * Fetches the filters of heights `from` to `to` (≤ 1,000, headers stored) from one peer,
   * checks each against its filter header and matches `scripts` against it. Returns those
   * checked before any failure (the peer is dropped then), or `wait` when no peer has them.
   */
  async fetchFilters(
    from: number,
    to: number,
    store: FilterHeaderStore,
    scripts: readonly Uint8Array[],
  ): Promise<FilterResult[] | "wait"> {
    const peers = this.filterPeers(to);
    if (peers.length === 0) return "wait";
    const peer = this.pick(peers);
    const results: FilterResult[] = [];
    const count = to - from + 1;
    try {
      await this.link(peer).request(
        { command: "getcfilters", filterType: 0, startHeight: from, stopHash: store.hashAt(to)! },
        (m) => {
          if (m.command !== "cfilter") return "ignore";
          const height = from + results.length;
          const hash = store.hashAt(height);
          const header = store.headerAt(height);
          const previous = store.headerAt(height - 1);
          if (hash === undefined || header === undefined || previous === undefined) {
            return "done"; // truncated by a reorganization meanwhile
          }
          verifyCFilter(m, {
            blockHash: hash,
            filterHeader: header,
            previousFilterHeader: previous,
          });
          results.push({
            height,
            blockHash: hash.slice(),
            matched: matches(m.filter, hash, scripts),
          });
          return results.length === count ? "done" : "more";
        },
      );
    } catch (error) {
      this.failed(peer, error, "cfilter");
    }
    return results;
  }

  /**
   * Fetches the block at `height` with hash `hash` from a peer that has it, checked against
   * the hash and its merkle root; `undefined` when no peer could give it.
   */
  async fetchBlock(height: number, hash: Uint8Array): Promise<Block | undefined> {
    const refused = new Set<Peer>();
    for (let attempt = 0; attempt < BLOCK_ATTEMPTS && !this.#closed; attempt++) {
      const peers = this.blockPeers(height).filter((p) => !refused.has(p));
      if (peers.length === 0) return undefined;
      // BIP 157: blocks from peers at random, so that no one peer sees which ones we want.
      const peer = peers[Math.floor(Math.random() * peers.length)];
      let block: Block | undefined;
      let notFound = false;
      try {
        const type = peer.witnessEnabled ? InvType.WITNESS_BLOCK : InvType.BLOCK;
        await this.link(peer).request({ command: "getdata", inventory: [{ type, hash }] }, (m) => {
          if (m.command === "notfound") {
            if (!m.inventory.some((inv) => sameBytes(inv.hash, hash))) return "ignore";
            notFound = true;
            return "done";
          }
          if (m.command !== "block" || !sameBytes(blockHash(m.header), hash)) return "ignore";
          block = { header: m.header, transactions: m.transactions };
          return "done";
        });
      } catch (error) {
        this.failed(peer, error, "block");
        continue;
      }
      if (notFound || block === undefined) {
        refused.add(peer);
        continue;
      }
      if (!checkMerkleRoot(block)) {
        // Core: a block whose transactions its header does not commit to is a lie.
        this.punish(peer, `block ${hashToHex(hash)} does not match its merkle root`);
        continue;
      }
      return block;
    }
    return undefined;
  }

  /** Ends every link. */
  async close(): Promise<void> {
    this.#closed = true;
    const links = [...this.#links.values()];
    this.#links.clear();
    await Promise.all(links.map((l) => l.close()));
  }

  /** Forgets links to peers that are gone. */
  prune(): void {
    const current = new Set(this.#ctx.peers().map((p) => p.peer));
    for (const [peer, link] of this.#links) {
      if (!current.has(peer) || link.closed) {
        this.#links.delete(peer);
        void link.close();
      }
    }
  }

  #eligible(height: number, serves: (peer: Peer) => boolean): Peer[] {
    const out: Peer[] = [];
    for (const info of this.#ctx.peers()) {
      const peer = info.peer;
      if (!peer.connected || this.#dropped.has(peer) || !serves(peer)) continue;
      if ((info.bestHeight ?? -1) >= height) out.push(peer);
    }
    return out;
  }

  /** The next of `peers` in turn, spreading the requests. */
  pick(peers: readonly Peer[]): Peer {
    return peers[this.#turn++ % peers.length];
  }

  /** The link to `peer`, made when first needed. */
  link(peer: Peer): PeerLink {
    let link = this.#links.get(peer);
    if (link === undefined || link.closed) {
      link = new PeerLink(peer, this.#ctx.clock, this.#timeoutMs);
      this.#links.set(peer, link);
    }
    return link;
  }

  /** Handles a failed request: a lie is punished, a timeout disconnects, a closed peer goes. */
  failed(peer: Peer, error: unknown, what: string): void {
    if (error instanceof FilterError) {
      this.punish(peer, `bad "${what}": ${error.message}`);
    } else if (error instanceof RequestFailed) {
      if (error.reason === "timeout") this.drop(peer, error.message);
      else this.drop(peer, undefined);
    } else {
      throw error;
    }
  }

  /** Reports a provable lie and stops using the peer. */
  punish(peer: Peer, reason: string): void {
    this.#ctx.discipline.misbehaving(peer, LIE, reason);
    this.drop(peer, undefined);
  }

  /** Stops using `peer`; disconnects it when `why` is given. */
  drop(peer: Peer, why: string | undefined): void {
    this.#dropped.add(peer);
    const link = this.#links.get(peer);
    this.#links.delete(peer);
    void link?.close();
    if (why !== undefined) {
      this.#log.info("Dropping filter peer {peer}: {why}", { peer: peer.address, why });
      peer.disconnect(why);
    }
  }
}

/** Whether any script may be in the block; a malformed filter counts as a match (fetch it). */
function matches(filter: Uint8Array, hash: Uint8Array, scripts: readonly Uint8Array[]): boolean {
  if (scripts.length === 0) return false;
  try {
    return matchFilterAny(filter, hash, scripts);
  } catch (error) {
    if (error instanceof FilterError) return true;
    throw error;
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// The BIP 157 client under a FilterSync: the filter header chain, learned from several peers
// and checked against the block header chain; the peers that lie about it found out
// (_cf_disputes.ts); filters and blocks fetched and checked (_filter_peers.ts).
//
// Trust. Filter headers form a hash chain, so a range of them is settled by its last header.
// Peers' `cfcheckpt` answers (every 1,000th header) are compared first; where they agree, the
// `cfheaders` for a range ending on a checkpoint are taken from one peer that gave them and
// must chain into them (headers that miss one contradict that peer's own checkpoints). Past the
// last checkpoint every eligible peer is asked and their answers compared, for every new range
// (BIP 157: "each time a new valid block header is received, request the filter headers from
// all eligible peers"). Disagreements, over checkpoints or ranges, are settled by the block.
//
// Every filter peer is compared, not only those that answered first. A peer is only asked
// about blocks it has shown us it has (BIP 157 servers such as Bitcoin Core disconnect a client
// that asks for an unknown stop hash), so a peer that the header sync has not heard from yet
// (every peer but the download peer, while the chain is behind; or one whose answer is on its
// way) is waited for, as neutrino waits for its header sync before it asks for checkpoints. A
// filter peer that comes later has its checkpoints compared with the agreed ones before the
// next range is taken; if it wins a dispute over them, the filter headers they contradict are
// fetched again (filters already reported from them cannot be taken back). With one filter
// peer there is nothing to compare: its filter headers are taken as they come.
import type { Logger } from "@logtape/logtape";
import { firstDisagreement, verifyCFCheckpt } from "../filters/mod.ts";
import type { Peer } from "../peer/peer.ts";
import { type Block, CF_CHECKPT_INTERVAL, MAX_CF_HEADERS_PER_MSG } from "../wire/mod.ts";
import { type Answer, FilterHeaderDisputes, groupAnswers, groupBy } from "./_cf_disputes.ts";
import { FilterHeaderStore } from "./_filter_headers.ts";
import { FilterPeers, type FilterResult } from "./_filter_peers.ts";
import type { SyncContext } from "./header_sync.ts";

const ZERO_HASH = new Uint8Array(32);

/** What a step needs before it can go on: `wait` for peers or blocks, `retry` at once. */
export type Outcome = "ok" | "wait" | "retry";

/** Options for {@linkcode CFClient}. */
export interface CFClientOptions {
  readonly context: SyncContext;
  readonly log: Logger;
  readonly maxFilterPeers: number;
  readonly responseTimeoutMs: number;
}

/** The filter header chain, learned and checked across peers. */
export class CFClient {
  readonly store: FilterHeaderStore = new FilterHeaderStore();
  readonly #ctx: SyncContext;
  readonly #log: Logger;
  readonly #maxPeers: number;
  readonly #peers: FilterPeers;
  readonly #disputes: FilterHeaderDisputes;
  /** Agreed filter headers at heights 1,000, 2,000, ... */
  #checkpoints: Uint8Array[] = [];
  /** Peers whose checkpoints were compared with the agreed ones and match them. */
  #vouched = new WeakSet<Peer>();
  /** The store has its first height. */
  #started = false;
  #closed = false;

  constructor(options: CFClientOptions) {
    this.#ctx = options.context;
    this.#log = options.log;
    this.#maxPeers = options.maxFilterPeers;
    this.#peers = new FilterPeers(options.context, options.log, options.responseTimeoutMs);
    this.#disputes = new FilterHeaderDisputes(options.context, options.log, this.#peers);
  }

  /**
   * Fetches and checks the filters of heights `from` to `to` (headers stored) from one peer
   * and matches `scripts` against them (see {@linkcode FilterPeers.fetchFilters}).
   */
  fetchFilters(
    from: number,
    to: number,
    scripts: readonly Uint8Array[],
  ): Promise<FilterResult[] | "wait"> {
    return this.#peers.fetchFilters(from, to, this.store, scripts);
  }

  /** Fetches a block, checked (see {@linkcode FilterPeers.fetchBlock}). */
  fetchBlock(height: number, hash: Uint8Array): Promise<Block | undefined> {
    return this.#peers.fetchBlock(height, hash);
  }

  /** Forgets links to peers that are gone. */
  prune(): void {
    this.#peers.prune();
  }

  /** Ends every link. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#peers.close();
  }

  /**
   * Forgets the filter headers above `height` after a reorganization, and the checkpoints above
   * it (of blocks no longer on the chain); below the first header stored, starts over.
   */
  rewind(height: number): void {
    const kept = Math.floor(Math.max(0, height) / CF_CHECKPT_INTERVAL);
    if (kept < this.#checkpoints.length) this.#checkpoints = this.#checkpoints.slice(0, kept);
    if (height >= this.store.base) {
      this.store.truncate(height);
      return;
    }
    this.store.reset(0, ZERO_HASH);
    this.#started = false;
  }

  /**
   * Makes the filter header chain reach at least `height` (fetching up to the tip), for a
   * wallet whose first block is `first`.
   */
  async ensureHeaders(first: number, height: number): Promise<Outcome> {
    const chain = this.#ctx.chain;
    if (!this.#started) {
      if (chain.height >= CF_CHECKPT_INTERVAL && this.#checkpoints.length === 0) {
        const got = await this.#agreeCheckpoints();
        if (got !== "ok") return got;
      }
      // Start right after a checkpoint the peers agree on, or at genesis.
      const k = Math.min(
        Math.floor(Math.max(0, first - 1) / CF_CHECKPT_INTERVAL),
        this.#checkpoints.length,
      );
      if (k === 0) this.store.reset(0, ZERO_HASH);
      else this.store.reset(k * CF_CHECKPT_INTERVAL + 1, this.#checkpoints[k - 1]);
      this.#started = true;
    }
    while (this.store.top < height && !this.#closed) {
      const from = this.store.top + 1;
      let end = Math.min(chain.height, from + MAX_CF_HEADERS_PER_MSG - 1);
      // Inside the agreed checkpoints a range ends on one, so that a single peer's answer is
      // settled whole by them; past them, everyone's is compared.
      const last = this.#checkpoints.length * CF_CHECKPT_INTERVAL;
      const onCheckpoint = Math.floor(Math.min(end, last) / CF_CHECKPT_INTERVAL) *
        CF_CHECKPT_INTERVAL;
      const covered = onCheckpoint > 0 && onCheckpoint >= from;
      if (covered) end = onCheckpoint;
      if (end < from) return "wait";
      // Nothing is taken while a peer that is to be compared is still on its way.
      if (this.#peers.settling(end)) return "wait";
      const newcomers = await this.#checkNewcomers();
      if (newcomers !== "ok") return newcomers;
      const stopHash = chain.hashAt(end)!;
      const peers = this.#peers.filterPeers(end);
      // A range inside the checkpoints goes to a peer that gave them: headers that miss one
      // contradict its own word.
      const vouched = covered ? peers.filter((p) => this.#vouched.has(p)) : [];
      const asked = covered
        ? vouched.length === 0 ? [] : [this.#peers.pick(vouched)]
        : peers.slice(0, this.#maxPeers);
      if (asked.length === 0) return "wait";
      const previous = this.store.headerAt(from - 1)!.slice();
      const answers = await Promise.all(
        asked.map((p) =>
          this.#disputes.cfheaders(p, from, end, stopHash, previous, this.#checkpoints)
        ),
      );
      if (!sameBytes(chain.hashAt(end), stopHash)) return "retry";
      const good = answers.filter((a): a is Answer => a !== undefined);
      if (good.length === 0) return "retry";
      const winner = await this.#disputes.settle(groupAnswers(good), from);
      if (winner === undefined) return "wait";
      if (!sameBytes(chain.hashAt(end), stopHash) || this.store.top !== from - 1) return "retry";
      const hashes: Uint8Array[] = [];
      for (let h = from; h <= end; h++) hashes.push(chain.hashAt(h)!);
      this.store.append(hashes, winner.headers);
    }
    return "ok";
  }

  // ─── Checkpoints ───────────────────────────────────────────────────────────────────────

  /**
   * Asks every filter peer (up to the limit) for its checkpoints to the last multiple of 1,000
   * on the chain, and settles their disagreements; the winners vouch for them. When the store
   * holds headers the new checkpoints contradict, it is cut back to the last one they agree on.
   */
  async #agreeCheckpoints(): Promise<Outcome> {
    const chain = this.#ctx.chain;
    const height = Math.floor(chain.height / CF_CHECKPT_INTERVAL) * CF_CHECKPT_INTERVAL;
    if (this.#peers.settling(height)) return "wait";
    const stopHash = chain.hashAt(height)!;
    const peers = this.#peers.filterPeers(height).slice(0, this.#maxPeers);
    if (peers.length === 0) return "wait";
    const answers = await this.#askCheckpoints(peers, height, stopHash);
    if (!sameBytes(chain.hashAt(height), stopHash)) return "retry";
    let groups = groupBy(answers, (a) => a.list);
    if (groups.length === 0) return "retry";
    while (groups.length > 1) {
      const [a, b] = [groups[0][0], groups[1][0]];
      // The first checkpoint they disagree on; the ranges before it agree.
      const i = firstDisagreement(a.list, b.list);
      const from = i === 0 ? 0 : i * CF_CHECKPT_INTERVAL + 1;
      const end = (i + 1) * CF_CHECKPT_INTERVAL;
      const previous = i === 0 ? ZERO_HASH : a.list[i - 1];
      const stop = chain.hashAt(end);
      if (stop === undefined) return "retry";
      // Each side's headers for the range must lead to its own checkpoint.
      const [ra, rb] = await Promise.all([
        this.#disputes.cfheaders(a.peer, from, end, stop, previous, a.list),
        this.#disputes.cfheaders(b.peer, from, end, stop, previous, b.list),
      ]);
      let loser: number;
      if (ra === undefined || rb === undefined) {
        loser = ra === undefined ? 0 : 1;
      } else {
        // A group's peers gave the same checkpoint, which commits to the same filter headers
        // (a hash chain): they stand or fall with its first peer's.
        const sides = [
          groups[0].map((x) => ({ ...ra, peer: x.peer })),
          groups[1].map((x) => ({ ...rb, peer: x.peer })),
        ];
        const winner = await this.#disputes.judge(sides, from);
        if (winner === undefined) return "wait";
        if (winner === "neither") {
          groups = groups.slice(2);
          continue;
        }
        loser = 1 - winner;
      }
      groups = groups.filter((_, g) => g !== loser);
    }
    if (groups.length === 0) return "retry";
    this.#checkpoints = groups[0][0].list;
    this.#vouched = new WeakSet(groups[0].map((a) => a.peer));
    this.#log.debug("{count} filter header checkpoints agreed by {peers} peers", {
      count: this.#checkpoints.length,
      peers: groups[0].length,
    });
    if (this.#started) this.#keepAgreed();
    return "ok";
  }

  /**
   * Compares the checkpoints of the filter peers that came since they were agreed (they may be
   * asked about the last one) with them: those that agree vouch for them too; on a
   * disagreement every filter peer's are compared again and the dispute settled (`retry`).
   */
  async #checkNewcomers(): Promise<Outcome> {
    const height = this.#checkpoints.length * CF_CHECKPT_INTERVAL;
    const stopHash = this.#ctx.chain.hashAt(height);
    if (height === 0 || stopHash === undefined) return "ok";
    const newcomers = this.#peers.filterPeers(height).filter((p) => !this.#vouched.has(p));
    if (newcomers.length === 0) return "ok";
    const answers = await this.#askCheckpoints(
      newcomers.slice(0, this.#maxPeers),
      height,
      stopHash,
    );
    if (!sameBytes(this.#ctx.chain.hashAt(height), stopHash)) return "retry";
    let agreed = true;
    for (const { peer, list } of answers) {
      if (firstDisagreement(list, this.#checkpoints) === -1) this.#vouched.add(peer);
      else agreed = false;
    }
    if (agreed) return "ok";
    this.#log.info("A filter peer disagrees with the agreed checkpoints; comparing them again");
    const got = await this.#agreeCheckpoints();
    return got === "ok" ? "retry" : got;
  }

  /** Each answering peer's checkpoints to `height`, checked (failures handled, left out). */
  async #askCheckpoints(
    peers: readonly Peer[],
    height: number,
    stopHash: Uint8Array,
  ): Promise<{ peer: Peer; list: Uint8Array[] }[]> {
    const answers = await Promise.all(peers.map(async (peer) => {
      let list: Uint8Array[] | undefined;
      try {
        await this.#peers.link(peer).request(
          { command: "getcfcheckpt", filterType: 0, stopHash },
          (m) => {
            if (m.command !== "cfcheckpt") return "ignore";
            list = verifyCFCheckpt(m, { stopHash, stopHeight: height }).map((h) => h.slice());
            return "done";
          },
        );
      } catch (error) {
        this.#peers.failed(peer, error, "cfcheckpt");
        return undefined;
      }
      return list === undefined ? undefined : { peer, list };
    }));
    return answers.filter((a) => a !== undefined);
  }

  /**
   * Cuts the stored filter headers back to the last checkpoint the agreed ones match: those
   * above it were taken from peers since found wrong (filters already reported from them are
   * not reported again; the event stream cannot take them back).
   */
  #keepAgreed(): void {
    const store = this.store;
    for (let k = 1; k <= this.#checkpoints.length; k++) {
      const height = k * CF_CHECKPT_INTERVAL;
      if (height > store.top) return;
      const ours = store.headerAt(height);
      if (ours === undefined || sameBytes(ours, this.#checkpoints[k - 1])) continue;
      const keep = height - CF_CHECKPT_INTERVAL;
      this.#log.warn(
        "Filter headers from block {from} on contradict the agreed checkpoints; fetching them " +
          "again (filters of blocks already reported from them may have been wrong)",
        { from: keep + 1 },
      );
      if (keep >= store.base - 1) store.truncate(keep);
      else this.#started = false; // the store starts after a checkpoint that changed
      return;
    }
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

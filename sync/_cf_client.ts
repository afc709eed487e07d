// The BIP 157 client under a FilterSync: the filter header chain, learned from several peers
// and checked against the block header chain; the peers that lie about it found out; filters
// and blocks fetched and checked.
//
// Trust. Filter headers form a hash chain, so a range of them is settled by its last header.
// Peers' `cfcheckpt` answers (every 1,000th header) are compared first; where they agree, the
// `cfheaders` for each 1,000-block range are taken from one peer and must chain into the
// agreed checkpoints. Past the last checkpoint every eligible peer is asked and their answers
// compared, for every new range (BIP 157: "each time a new valid block header is received,
// request the filter headers from all eligible peers"). Where peers disagree, the first block
// they disagree on is found (from their `cfheaders`), the block is fetched (checked against the
// header chain by its hash and merkle root) and so is each side's filter (checked against that
// side's own filter hash), and `checkBlockFilter` tests each filter against the block: a side
// whose filter provably is not the block's (an output script missing, or malformed) is
// misbehaving. Without the scripts the block's inputs spend, two filters that both hold every
// output script cannot be told apart by the block: the one with more elements is kept (a filter
// that hides a wallet's spend has fewer; one padded with extra elements costs only false
// positives) and the other peer is no longer used for filters, unpunished. A peer padding its
// filters can so push honest filter peers aside (they stay connected, for headers and blocks):
// a limit of checking against blocks alone.
//
// A peer is only asked about blocks it has shown us it has (BIP 157 servers such as Bitcoin
// Core disconnect a client that asks for an unknown stop hash). With one filter peer there is
// nothing to compare: its filter headers are taken as they come.
import type { Logger } from "@logtape/logtape";
import {
  checkBlockFilter,
  filterElementCount,
  FilterError,
  firstDisagreement,
  verifyCFCheckpt,
  verifyCFHeaders,
  verifyCFilter,
} from "../filters/mod.ts";
import type { Peer } from "../peer/peer.ts";
import { type Block, CF_CHECKPT_INTERVAL, MAX_CF_HEADERS_PER_MSG } from "../wire/mod.ts";
import { FilterHeaderStore } from "./_filter_headers.ts";
import { FilterPeers, type FilterResult } from "./_filter_peers.ts";
import type { SyncContext } from "./header_sync.ts";

const ZERO_HASH = new Uint8Array(32);

/** What a step needs before it can go on: `wait` for peers or blocks, `retry` at once. */
export type Outcome = "ok" | "wait" | "retry";

/** One peer's checked answer for a range of filter headers. */
interface Answer {
  readonly peer: Peer;
  /** Filter headers of the range's blocks, in height order. */
  readonly headers: Uint8Array[];
  /** The filter hashes they chain. */
  readonly filterHashes: Uint8Array[];
}

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
  /** Agreed filter headers at heights 1,000, 2,000, ... */
  #checkpoints: Uint8Array[] = [];
  /** The store has its first height. */
  #started = false;
  #closed = false;

  constructor(options: CFClientOptions) {
    this.#ctx = options.context;
    this.#log = options.log;
    this.#maxPeers = options.maxFilterPeers;
    this.#peers = new FilterPeers(options.context, options.log, options.responseTimeoutMs);
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
   * Forgets the filter headers above `height` after a reorganization; below the first one
   * stored, starts over (and asks for checkpoints again if the reorganization reached them).
   */
  rewind(height: number): void {
    if (height >= this.store.base) {
      this.store.truncate(height);
      return;
    }
    this.store.reset(0, ZERO_HASH);
    if (height < this.#checkpoints.length * CF_CHECKPT_INTERVAL) this.#checkpoints = [];
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
        const got = await this.#fetchCheckpoints();
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
      const end = Math.min(chain.height, from + MAX_CF_HEADERS_PER_MSG - 1);
      if (end < from) return "wait";
      const stopHash = chain.hashAt(end)!;
      const peers = this.#peers.filterPeers(end);
      if (peers.length === 0) return "wait";
      // Inside the agreed checkpoints one answer settles it; past them, everyone's is compared.
      const covered = end <= this.#checkpoints.length * CF_CHECKPT_INTERVAL;
      const asked = covered ? [this.#peers.pick(peers)] : peers.slice(0, this.#maxPeers);
      const previous = this.store.headerAt(from - 1)!.slice();
      const answers = await Promise.all(
        asked.map((p) => this.#cfheaders(p, from, end, stopHash, previous, this.#checkpoints)),
      );
      if (!sameBytes(chain.hashAt(end), stopHash)) return "retry";
      const good = answers.filter((a): a is Answer => a !== undefined);
      if (good.length === 0) return "retry";
      const winner = await this.#settle(groupAnswers(good), from);
      if (winner === undefined) return "wait";
      if (!sameBytes(chain.hashAt(end), stopHash) || this.store.top !== from - 1) return "retry";
      const hashes: Uint8Array[] = [];
      for (let h = from; h <= end; h++) hashes.push(chain.hashAt(h)!);
      this.store.append(hashes, winner.headers);
    }
    return "ok";
  }

  // ─── Filter headers ────────────────────────────────────────────────────────────────────

  async #fetchCheckpoints(): Promise<Outcome> {
    const chain = this.#ctx.chain;
    const height = Math.floor(chain.height / CF_CHECKPT_INTERVAL) * CF_CHECKPT_INTERVAL;
    const stopHash = chain.hashAt(height)!;
    const peers = this.#peers.filterPeers(height).slice(0, this.#maxPeers);
    if (peers.length === 0) return "wait";
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
    if (!sameBytes(chain.hashAt(height), stopHash)) return "retry";
    let groups = groupBy(answers.filter((a) => a !== undefined), (a) => a.list);
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
        this.#cfheaders(a.peer, from, end, stop, previous, a.list),
        this.#cfheaders(b.peer, from, end, stop, previous, b.list),
      ]);
      let loser: number;
      if (ra === undefined || rb === undefined) {
        loser = ra === undefined ? 0 : 1;
      } else {
        const winner = await this.#judge([[ra], [rb]], from);
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
    this.#log.debug("{count} filter header checkpoints agreed by {peers} peers", {
      count: this.#checkpoints.length,
      peers: groups[0].length,
    });
    return "ok";
  }

  /** Asks one peer for the filter headers of `from`..`end`, checked; undefined if it failed. */
  async #cfheaders(
    peer: Peer,
    from: number,
    end: number,
    stopHash: Uint8Array,
    previous: Uint8Array,
    checkpoints: readonly Uint8Array[],
  ): Promise<Answer | undefined> {
    let answer: Answer | undefined;
    try {
      await this.#peers.link(peer).request(
        { command: "getcfheaders", filterType: 0, startHeight: from, stopHash },
        (m) => {
          if (m.command !== "cfheaders") return "ignore";
          const headers = verifyCFHeaders(m, {
            stopHash,
            count: end - from + 1,
            previousFilterHeader: previous,
          });
          checkCheckpoints(headers, from, checkpoints);
          answer = { peer, headers, filterHashes: m.filterHashes.map((h) => h.slice()) };
          return "done";
        },
      );
    } catch (error) {
      this.#peers.failed(peer, error, "cfheaders");
      return undefined;
    }
    return answer;
  }

  /** One answer for the range, after disputes; undefined when none could be settled now. */
  async #settle(groups: Answer[][], from: number): Promise<Answer | undefined> {
    let current = groups;
    while (current.length > 1) {
      const winner = await this.#judge(current, from);
      if (winner === undefined) return undefined;
      current = winner === "neither" ? current.slice(2) : [current[winner], ...current.slice(2)];
    }
    return current[0]?.[0];
  }

  /**
   * Settles the dispute between the first two groups (each holds peers that gave the same
   * answer for the range starting at `from`): the block they first disagree on and each
   * side's filter for it. Returns the winning group's index (0 or 1), or "neither"; the
   * losers are dropped; undefined when the block could not be had.
   */
  async #judge(groups: Answer[][], from: number): Promise<0 | 1 | "neither" | undefined> {
    const sides = [groups[0], groups[1]];
    const i = firstDisagreement(sides[0][0].headers, sides[1][0].headers);
    const height = from + i;
    const chain = this.#ctx.chain;
    const hash = chain.hashAt(height);
    if (hash === undefined) return undefined; // reorganized meanwhile: settled on the next try
    this.#log.info("Peers disagree on the filter header of block {height}; checking its block", {
      height,
    });
    const block = await this.#peers.fetchBlock(height, hash);
    if (block === undefined) return undefined;
    const verdicts = await Promise.all(sides.map(async (side) => {
      const claim = side[0];
      const peer = claim.peer;
      let filter: Uint8Array | undefined;
      try {
        await this.#peers.link(peer).request(
          { command: "getcfilters", filterType: 0, startHeight: height, stopHash: hash },
          (m) => {
            if (m.command !== "cfilter") return "ignore";
            verifyCFilter(m, { blockHash: hash, filterHash: claim.filterHashes[i] });
            filter = m.filter.slice();
            return "done";
          },
        );
      } catch (error) {
        if (error instanceof FilterError) return { verdict: "mismatch" as const, filter };
        return { verdict: "gone" as const, filter };
      }
      return { verdict: checkBlockFilter(filter!, block, { blockHash: hash }), filter };
    }));
    const plausible = verdicts.map((v) => v.verdict === "consistent" || v.verdict === "match");
    for (const [s, side] of sides.entries()) {
      if (verdicts[s].verdict !== "mismatch") continue;
      for (const answer of side) {
        this.#peers.punish(
          answer.peer,
          `its filter headers commit to a filter that is not block ${height}'s`,
        );
      }
    }
    if (plausible[0] !== plausible[1]) return plausible[0] ? 0 : 1;
    if (!plausible[0]) return "neither";
    // Both hold every output script: keep the one with more elements (see the top).
    const n = verdicts.map((v) => safeCount(v.filter!));
    const winner = n[0] >= n[1] ? 0 : 1;
    for (const answer of sides[1 - winner]) {
      // Not provably lying: not punished, not disconnected; its filter headers now differ from
      // ours from this block on, so it is of no further use for them.
      this.#log.warn(
        "Filter peers disagree on block {height} and the block cannot tell which is right; " +
          "keeping the filter with more elements, no longer using {peer} for filters",
        { height, peer: answer.peer.address },
      );
      this.#peers.drop(answer.peer, undefined);
    }
    return winner;
  }
}

/** Peers' answers grouped by the range's last filter header (which settles the range). */
function groupAnswers(answers: readonly Answer[]): Answer[][] {
  return groupBy(answers, (a) => [a.headers[a.headers.length - 1]]);
}

function groupBy<T>(items: readonly T[], key: (item: T) => readonly Uint8Array[]): T[][] {
  const groups: T[][] = [];
  outer: for (const item of items) {
    for (const group of groups) {
      const a = key(group[0]), b = key(item);
      if (a.length === b.length && firstDisagreement(a, b) === -1) {
        group.push(item);
        continue outer;
      }
    }
    groups.push([item]);
  }
  return groups;
}

/** Throws `header-mismatch` unless every checkpoint in the range equals its header there. */
function checkCheckpoints(
  headers: readonly Uint8Array[],
  from: number,
  checkpoints: readonly Uint8Array[],
): void {
  const end = from + headers.length - 1;
  for (let k = Math.max(1, Math.ceil(from / CF_CHECKPT_INTERVAL)); k <= checkpoints.length; k++) {
    const height = k * CF_CHECKPT_INTERVAL;
    if (height > end) break;
    if (!sameBytes(headers[height - from], checkpoints[k - 1])) {
      throw new FilterError(
        "header-mismatch",
        `Cannot accept "cfheaders": the filter header at height ${height} is not the agreed checkpoint`,
      );
    }
  }
}

function safeCount(filter: Uint8Array): number {
  try {
    return filterElementCount(filter);
  } catch {
    return -1;
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

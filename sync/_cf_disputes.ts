// Disagreements over filter headers, settled by the block (BIP 157), for the BIP 157 client
// (_cf_client.ts): a peer's `cfheaders` for a range, checked; peers' answers grouped by what
// they claim; and between two claims, the first block they disagree on (from their `cfheaders`)
// fetched (checked against the header chain by its hash and merkle root), each side's filter
// for it (checked against that side's own filter hash), and `checkBlockFilter` testing each
// filter against the block: a side whose filter provably is not the block's (an output script
// missing, or malformed) is misbehaving. Without the scripts the block's inputs spend, two
// filters that both hold every output script cannot be told apart by the block: the one with
// more elements is kept (a filter that hides a wallet's spend has fewer; one padded with extra
// elements costs only false positives) and the other peer is no longer used for filters,
// unpunished. A peer padding its filters can so push honest filter peers aside (they stay
// connected, for headers and blocks): a limit of checking against blocks alone.
import type { Logger } from "@logtape/logtape";
import {
  checkBlockFilter,
  filterElementCount,
  FilterError,
  firstDisagreement,
  verifyCFHeaders,
  verifyCFilter,
} from "../filters/mod.ts";
import type { Peer } from "../peer/peer.ts";
import { CF_CHECKPT_INTERVAL } from "../wire/mod.ts";
import type { FilterPeers } from "./_filter_peers.ts";
import { RequestFailed } from "./_peer_link.ts";
import type { SyncContext } from "./header_sync.ts";

/** One peer's checked answer for a range of filter headers. */
export interface Answer {
  readonly peer: Peer;
  /** Filter headers of the range's blocks, in height order. */
  readonly headers: Uint8Array[];
  /** The filter hashes they chain. */
  readonly filterHashes: Uint8Array[];
}

/** Asks for filter headers and settles disagreements over them. */
export class FilterHeaderDisputes {
  readonly #ctx: SyncContext;
  readonly #log: Logger;
  readonly #peers: FilterPeers;

  constructor(context: SyncContext, log: Logger, peers: FilterPeers) {
    this.#ctx = context;
    this.#log = log;
    this.#peers = peers;
  }

  /** Asks one peer for the filter headers of `from`..`end`, checked; undefined if it failed. */
  async cfheaders(
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
  async settle(groups: Answer[][], from: number): Promise<Answer | undefined> {
    let current = groups;
    while (current.length > 1) {
      const winner = await this.judge(current, from);
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
  async judge(groups: Answer[][], from: number): Promise<0 | 1 | "neither" | undefined> {
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
        // Timed out (disconnected) or gone: no longer asked, so not compared again and again.
        if (error instanceof RequestFailed) this.#peers.failed(peer, error, "cfilter");
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
export function groupAnswers(answers: readonly Answer[]): Answer[][] {
  return groupBy(answers, (a) => [a.headers[a.headers.length - 1]]);
}

/** Items grouped by equal keys (lists of hashes), in the order each key first appears. */
export function groupBy<T>(items: readonly T[], key: (item: T) => readonly Uint8Array[]): T[][] {
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

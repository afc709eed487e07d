// The contextual header rules of Bitcoin Core's `ContextualCheckBlockHeader` and
// `GetNextWorkRequired`, over a view of the header's ancestors. The chain keeps its headers
// in flat buffers and gives these functions a view over them; tests give a view over made-up
// histories (mainnet retarget vectors) without building a chain.
import type { HeaderErrorCode } from "./errors.ts";
import type { ChainParams } from "./params.ts";
import { calculateNextWorkRequired, difficultyAdjustmentInterval, targetToCompact } from "./pow.ts";

/** Blocks whose timestamps make the median time past (BIP 113, Core's `nMedianTimeSpan`). */
export const MEDIAN_TIME_SPAN = 11;

/** medianTimePast's sort buffer (it calls nothing that could re-enter it). */
const MEDIAN_SCRATCH = new Float64Array(MEDIAN_TIME_SPAN);

/**
 * How far past the adjusted time a header's timestamp may be (Core's
 * `MAX_FUTURE_BLOCK_TIME`, two hours).
 *
 * @example
 * ```ts
 * import { MAX_FUTURE_BLOCK_TIME_MS } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * assertEquals(MAX_FUTURE_BLOCK_TIME_MS, 7_200_000);
 * ```
 */
export const MAX_FUTURE_BLOCK_TIME_MS = 2 * 60 * 60 * 1000;

/**
 * BIP 94: how far before its parent the first block of a period may be timestamped (Core's
 * `MAX_TIMEWARP`, 600 seconds).
 *
 * @example
 * ```ts
 * import { MAX_TIMEWARP_MS } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * assertEquals(MAX_TIMEWARP_MS, 600_000);
 * ```
 */
export const MAX_TIMEWARP_MS = 600 * 1000;

/**
 * A header's ancestors as the rules read them: timestamp and `bits` by height, for heights
 * from 0 up to the parent's.
 *
 * @example
 * ```ts
 * import type { AncestorView } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const times = [100, 200, 300];
 * const view: AncestorView = { time: (h) => times[h], bits: () => 0x207fffff };
 * assertEquals(view.time(2), 300);
 * ```
 */
export interface AncestorView {
  /**
   * Timestamp of the ancestor at a height.
   *
   * @param height A height from 0 to the parent's.
   * @returns Seconds since the Unix epoch.
   */
  time(height: number): number;
  /**
   * Compact target of the ancestor at a height.
   *
   * @param height A height from 0 to the parent's.
   * @returns Its `bits`.
   */
  bits(height: number): number;
}

/**
 * Remembers the last min-difficulty walk back along one chain, so that a long run of
 * min-difficulty testnet blocks costs one step per header instead of one step per block of
 * the run. The caller resets it when the chain it views changes below its `height`.
 */
export interface MinDifficultyWalkCache {
  /** Height the walk started from; -1 when empty. */
  height: number;
  /** What the walk returned. */
  bits: number;
}

/**
 * The median time past of the block at `height`: the median of its timestamp and those of
 * its (up to) 10 predecessors (BIP 113; Core's `GetMedianTimePast`).
 *
 * @param view The ancestors.
 * @param height The block whose median time past is wanted (a header's parent).
 * @returns Seconds since the Unix epoch.
 *
 * @example
 * ```ts
 * import { medianTimePast } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const times = [10, 50, 20, 40, 30];
 * assertEquals(medianTimePast({ time: (h) => times[h], bits: () => 0 }, 4), 30);
 * ```
 */
export function medianTimePast(view: AncestorView, height: number): number {
  const n = Math.min(MEDIAN_TIME_SPAN, height + 1);
  const times = MEDIAN_SCRATCH;
  for (let i = 0; i < n; i++) {
    // Insertion sort: at most 11 elements.
    const t = view.time(height - i);
    let j = i;
    while (j > 0 && times[j - 1] > t) {
      times[j] = times[j - 1];
      j--;
    }
    times[j] = t;
  }
  return times[n >> 1];
}

/**
 * The `bits` a header at `parentHeight + 1` must carry, as Bitcoin Core's
 * `GetNextWorkRequired`: the parent's between retargets; at a retarget, the parent's target
 * scaled by how long the period took (its first block's under BIP 94); on networks with
 * testnet's rule, the pow limit for a header more than 20 minutes after its parent, and
 * otherwise the difficulty of the last block that was not such an exception.
 *
 * @param params The network.
 * @param parentHeight The parent's height.
 * @param time The new header's timestamp (seconds), for testnet's 20-minute rule.
 * @param view The ancestors.
 * @param cache A walk-back cache for repeated calls along one chain.
 * @returns The required compact target.
 *
 * @example
 * ```ts
 * import { CHAIN_PARAMS, nextWorkRequired } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * // Mainnet, first retarget to go below difficulty 1: height 32,256.
 * const view = {
 *   time: (h: number) => (h === 30240 ? 1261130161 : 1262152739),
 *   bits: () => 0x1d00ffff,
 * };
 * assertEquals(nextWorkRequired(CHAIN_PARAMS.mainnet, 32255, 1262153464, view), 0x1d00d86a);
 * assertEquals(nextWorkRequired(CHAIN_PARAMS.mainnet, 32254, 1262152739, view), 0x1d00ffff);
 * ```
 */
export function nextWorkRequired(
  params: ChainParams,
  parentHeight: number,
  time: number,
  view: AncestorView,
  cache?: MinDifficultyWalkCache,
): number {
  const interval = derived(params).interval;
  if ((parentHeight + 1) % interval !== 0) {
    if (!params.allowMinDifficultyBlocks) return view.bits(parentHeight);
    const limitBits = derived(params).limitBits;
    if (time > view.time(parentHeight) + (params.targetSpacingMs / 1000) * 2) return limitBits;
    return lastRealBits(parentHeight, interval, limitBits, view, cache);
  }
  const first = parentHeight - (interval - 1);
  const from = params.enforceBip94 ? view.bits(first) : view.bits(parentHeight);
  return calculateNextWorkRequired(from, view.time(parentHeight), view.time(first), params);
}

/** The bits of the last block at or below `height` that is a period start or not at the limit. */
function lastRealBits(
  height: number,
  interval: number,
  limitBits: number,
  view: AncestorView,
  cache: MinDifficultyWalkCache | undefined,
): number {
  let h = height;
  let bits = view.bits(h);
  while (h > 0 && h % interval !== 0 && bits === limitBits) {
    if (cache !== undefined && cache.height === h - 1) {
      bits = cache.bits;
      break;
    }
    h--;
    bits = view.bits(h);
  }
  if (cache !== undefined) {
    cache.height = height;
    cache.bits = bits;
  }
  return bits;
}

/** Values derived from a network's parameters, for the last params seen (one chain is usual). */
let derivedFor: ChainParams | undefined;
let derivedValues = { interval: 0, limitBits: 0 };

function derived(params: ChainParams): { interval: number; limitBits: number } {
  if (params !== derivedFor) {
    derivedValues = {
      interval: difficultyAdjustmentInterval(params),
      limitBits: targetToCompact(params.powLimit),
    };
    derivedFor = params;
  }
  return derivedValues;
}

/**
 * The network's pow limit in compact form (what testnet's min-difficulty blocks carry).
 *
 * @param params The network.
 * @returns The compact pow limit.
 *
 * @example
 * ```ts
 * import { CHAIN_PARAMS, powLimitBits } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * assertEquals(powLimitBits(CHAIN_PARAMS.testnet3), 0x1d00ffff);
 * ```
 */
export function powLimitBits(params: ChainParams): number {
  return derived(params).limitBits;
}

/** A header's fields the contextual rules read. */
export interface ContextualHeader {
  /** Its version. */
  readonly version: number;
  /** Its timestamp (seconds). */
  readonly timestamp: number;
  /** Its compact target. */
  readonly bits: number;
}

/**
 * Checks a header against its ancestors, in Bitcoin Core's order
 * (`ContextualCheckBlockHeader`): difficulty, median time past, BIP 94's time-warp rule, the
 * future limit, and the version minimums of BIP 34, 66 and 65. Proof of work and checkpoints
 * are checked by the chain.
 *
 * @param params The network.
 * @param header The header's version, timestamp and bits.
 * @param height Its height (its parent's plus one; at least 1).
 * @param view Its ancestors.
 * @param nowSeconds The adjusted time in seconds, or `undefined` to skip the future limit
 *   (headers read back from our own file).
 * @param cache A walk-back cache (see {@linkcode nextWorkRequired}).
 * @returns The reason for refusal, or `undefined` when the header passes.
 *
 * @example
 * ```ts
 * import { CHAIN_PARAMS, checkHeaderContext } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const { genesis } = CHAIN_PARAMS.regtest;
 * const view = { time: () => genesis.timestamp, bits: () => genesis.bits };
 * const next = { version: 4, timestamp: genesis.timestamp + 600, bits: 0x207fffff };
 * assertEquals(checkHeaderContext(CHAIN_PARAMS.regtest, next, 1, view, undefined), undefined);
 * assertEquals(
 *   checkHeaderContext(CHAIN_PARAMS.regtest, { ...next, version: 1 }, 1, view, undefined),
 *   "bad-version",
 * );
 * ```
 */
export function checkHeaderContext(
  params: ChainParams,
  header: ContextualHeader,
  height: number,
  view: AncestorView,
  nowSeconds: number | undefined,
  cache?: MinDifficultyWalkCache,
): HeaderErrorCode | undefined {
  const parent = height - 1;
  const time = header.timestamp;
  if (header.bits !== nextWorkRequired(params, parent, time, view, cache)) return "bad-diffbits";
  if (time <= medianTimePast(view, parent)) return "time-too-old";
  if (
    params.enforceBip94 && height % derived(params).interval === 0 &&
    time < view.time(parent) - MAX_TIMEWARP_MS / 1000
  ) return "time-timewarp-attack";
  if (nowSeconds !== undefined && time > nowSeconds + MAX_FUTURE_BLOCK_TIME_MS / 1000) {
    return "time-too-new";
  }
  const version = header.version;
  if (
    (version < 2 && height >= params.bip34Height) ||
    (version < 3 && height >= params.bip66Height) ||
    (version < 4 && height >= params.bip65Height)
  ) return "bad-version";
  return undefined;
}

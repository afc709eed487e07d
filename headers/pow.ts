// Proof of work arithmetic, as Bitcoin Core's `arith_uint256` (SetCompact, GetCompact) and
// `pow.cpp` (GetBlockProof, CheckProofOfWork, CalculateNextWorkRequired,
// PermittedDifficultyTransition) define it. Targets and work are bigints here: these functions
// run once per distinct `bits` value or once per retarget, never per header (the chain's hot
// path compares hashes against a cached byte form of the target, in `_target.ts`).

/** 2^256: targets and hashes are 256-bit unsigned integers. */
const TWO_256 = 1n << 256n;

/**
 * A compact target decoded as Bitcoin Core's `SetCompact` decodes it.
 *
 * @example
 * ```ts
 * import { compactToTarget, type CompactTarget } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const decoded: CompactTarget = compactToTarget(0x1d00ffff);
 * assertEquals(decoded.target, 0xffffn << 208n);
 * assertEquals(decoded.negative, false);
 * ```
 */
export interface CompactTarget {
  /** The 256-bit target (truncated to 256 bits when `overflow` is set, as Core does). */
  readonly target: bigint;
  /** The sign bit (0x00800000) was set on a non-zero mantissa. */
  readonly negative: boolean;
  /** The value does not fit in 256 bits. */
  readonly overflow: boolean;
}

/**
 * Decodes a compact (`bits`) target: a one-byte size and a three-byte mantissa whose top bit
 * is a sign, exactly as Bitcoin Core's `arith_uint256::SetCompact`, negative and overflow
 * flags included.
 *
 * @param bits The compact form (uint32).
 * @returns The target and its flags.
 *
 * @example
 * ```ts
 * import { compactToTarget } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * assertEquals(compactToTarget(0x04123456).target, 0x12345600n);
 * assertEquals(compactToTarget(0x01fedcba).negative, true);
 * assertEquals(compactToTarget(0xff123456).overflow, true);
 * ```
 */
export function compactToTarget(bits: number): CompactTarget {
  const size = bits >>> 24;
  let word = bits & 0x007fffff;
  let target: bigint;
  if (size <= 3) {
    word >>>= 8 * (3 - size);
    target = BigInt(word);
  } else {
    // arith_uint256's shift drops bits past 256: keep that, so that an overflowing value
    // decodes to what Core's does.
    target = BigInt.asUintN(256, BigInt(word) << BigInt(8 * (size - 3)));
  }
  const negative = word !== 0 && (bits & 0x00800000) !== 0;
  const overflow = word !== 0 &&
    (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
  return { target, negative, overflow };
}

/**
 * Encodes a target in compact form, as Bitcoin Core's `arith_uint256::GetCompact`: the
 * mantissa is truncated to three bytes and never has its sign bit set.
 *
 * @param target A target in 0..2^256-1.
 * @param negative Whether to set the sign bit (Core's `GetCompact(true)`; only for tests).
 * @returns The compact form (uint32).
 * @throws {RangeError} If `target` is negative or 2^256 or more.
 *
 * @example
 * ```ts
 * import { targetToCompact } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * assertEquals(targetToCompact(0xffffn << 208n), 0x1d00ffff);
 * assertEquals(targetToCompact(0x80n), 0x02008000);
 * ```
 */
export function targetToCompact(target: bigint, negative = false): number {
  if (target < 0n || target >= TWO_256) {
    throw new RangeError(`Cannot encode a target of ${target}: it must be in 0..2^256-1`);
  }
  let size = byteLength(target);
  let compact: number;
  if (size <= 3) compact = Number(target) * 2 ** (8 * (3 - size));
  else compact = Number(target >> BigInt(8 * (size - 3)));
  // The mantissa's top bit is the sign: move a set bit into the next byte instead.
  if (compact & 0x00800000) {
    compact >>>= 8;
    size++;
  }
  compact = (compact | (size << 24)) >>> 0;
  if (negative && (compact & 0x007fffff) !== 0) compact = (compact | 0x00800000) >>> 0;
  return compact;
}

function byteLength(n: bigint): number {
  return n === 0n ? 0 : Math.ceil(n.toString(16).length / 2);
}

/**
 * The work a header's `bits` proves: the expected number of hashes to meet its target,
 * 2^256 / (target + 1), as Bitcoin Core's `GetBlockProof`. Invalid targets (negative,
 * overflowing or zero) prove nothing.
 *
 * @param bits The compact target.
 * @returns The work.
 *
 * @example
 * ```ts
 * import { blockProof } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * assertEquals(blockProof(0x1d00ffff), 0x100010001n); // difficulty 1
 * assertEquals(blockProof(0x207fffff), 2n); // regtest
 * ```
 */
export function blockProof(bits: number): bigint {
  const { target, negative, overflow } = compactToTarget(bits);
  if (negative || overflow || target === 0n) return 0n;
  return TWO_256 / (target + 1n);
}

/**
 * Whether `bits` is a target the network accepts at all: positive, not overflowing, and no
 * easier than the network's proof-of-work limit (the range check of Core's
 * `CheckProofOfWork`).
 *
 * @param bits The compact target.
 * @param powLimit The network's easiest target.
 * @returns The target, or `undefined` when out of range.
 *
 * @example
 * ```ts
 * import { CHAIN_PARAMS, validTarget } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * assertEquals(validTarget(0x1d00ffff, CHAIN_PARAMS.mainnet.powLimit), 0xffffn << 208n);
 * assertEquals(validTarget(0x207fffff, CHAIN_PARAMS.mainnet.powLimit), undefined);
 * ```
 */
export function validTarget(bits: number, powLimit: bigint): bigint | undefined {
  const { target, negative, overflow } = compactToTarget(bits);
  if (negative || overflow || target === 0n || target > powLimit) return undefined;
  return target;
}

/**
 * Checks a block hash against the target in `bits`, as Bitcoin Core's `CheckProofOfWork`:
 * the target must be in range (see {@linkcode validTarget}) and the hash, read as a
 * little-endian 256-bit number, at most the target.
 *
 * @param hash The block hash, 32 bytes in wire order.
 * @param bits The header's compact target.
 * @param powLimit The network's easiest target.
 * @returns Whether the proof of work is valid.
 *
 * @example
 * ```ts
 * import { checkProofOfWork, CHAIN_PARAMS } from "@btcstream/p2p/headers";
 * import { assert } from "@std/assert";
 * const mainnet = CHAIN_PARAMS.mainnet;
 * assert(checkProofOfWork(mainnet.genesisHash, mainnet.genesis.bits, mainnet.powLimit));
 * assert(!checkProofOfWork(new Uint8Array(32).fill(0xff), 0x1d00ffff, mainnet.powLimit));
 * ```
 */
export function checkProofOfWork(hash: Uint8Array, bits: number, powLimit: bigint): boolean {
  const target = validTarget(bits, powLimit);
  return target !== undefined && hashToBigInt(hash) <= target;
}

/**
 * A hash in wire order read as the little-endian 256-bit number that proof of work compares.
 *
 * @param hash 32 bytes in wire order.
 * @returns The number.
 *
 * @example
 * ```ts
 * import { hashToBigInt } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const hash = new Uint8Array(32);
 * hash[0] = 1;
 * assertEquals(hashToBigInt(hash), 1n);
 * ```
 */
export function hashToBigInt(hash: Uint8Array): bigint {
  let hex = "";
  for (let i = hash.length - 1; i >= 0; i--) hex += hash[i].toString(16).padStart(2, "0");
  return hex === "" ? 0n : BigInt("0x" + hex);
}

/** The retarget parameters {@linkcode calculateNextWorkRequired} needs. */
export interface RetargetParams {
  /** The easiest target allowed. */
  readonly powLimit: bigint;
  /** The time a retarget period should take, in milliseconds (two weeks on Bitcoin). */
  readonly targetTimespanMs: number;
  /** Regtest: the target never changes. */
  readonly noRetargeting: boolean;
}

/**
 * The `bits` of the first block of a new difficulty period, as Bitcoin Core's
 * `CalculateNextWorkRequired`: the old target scaled by the time the period took, that time
 * clamped to a quarter and four times the target timespan, and capped at the pow limit.
 *
 * Bitcoin measures a period from its first block to its last, 2,015 intervals for 2,016 blocks
 * (the off-by-one Satoshi's code shipped with and every implementation keeps).
 *
 * @param lastBits `bits` the new target is scaled from: the period's last block's, or its
 *   first block's under BIP 94 (testnet4).
 * @param lastTime Timestamp of the period's last block (seconds).
 * @param firstTime Timestamp of the period's first block (seconds).
 * @param params The pow limit, target timespan and whether retargeting is off.
 * @returns The new compact target.
 *
 * @example
 * ```ts
 * import { calculateNextWorkRequired, CHAIN_PARAMS } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * // Mainnet's retarget at height 32,256 (Core's pow_tests `get_next_work`):
 * // block 32,255 at 1262152739, block 30,240 at 1261130161.
 * const bits = calculateNextWorkRequired(0x1d00ffff, 1262152739, 1261130161, CHAIN_PARAMS.mainnet);
 * assertEquals(bits, 0x1d00d86a);
 * ```
 */
export function calculateNextWorkRequired(
  lastBits: number,
  lastTime: number,
  firstTime: number,
  params: RetargetParams,
): number {
  if (params.noRetargeting) return lastBits;
  const timespan = Math.floor(params.targetTimespanMs / 1000);
  let actual = lastTime - firstTime;
  if (actual < Math.floor(timespan / 4)) actual = Math.floor(timespan / 4);
  if (actual > timespan * 4) actual = timespan * 4;
  // Core computes this in arith_uint256, which would wrap at 2^256; its chain parameters are
  // checked never to get there (pow limit x 4 timespans < 2^256), so exact arithmetic gives
  // the same bits on every Core network, and btcd's on simnet, whose limit is 2^255.
  let target = compactToTarget(lastBits).target * BigInt(actual) / BigInt(timespan);
  if (target > params.powLimit) target = params.powLimit;
  return targetToCompact(target);
}

/** What {@linkcode permittedDifficultyTransition} needs to know about the network. */
export interface TransitionParams extends RetargetParams {
  /** Testnet's 20-minute rule: any transition is permitted. */
  readonly allowMinDifficultyBlocks: boolean;
  /** Spacing between blocks, in milliseconds (the retarget interval is timespan / spacing). */
  readonly targetSpacingMs: number;
}

/**
 * Whether `newBits` can follow `oldBits` at `height` at all, whatever the timestamps, as
 * Bitcoin Core's `PermittedDifficultyTransition` (used where the full context is not kept:
 * the headers presync). Between retargets the bits may not change; at a retarget the new
 * target must lie within the factor-4 clamp (rounded through the compact form).
 *
 * @param params The network's retarget parameters.
 * @param height Height of the header carrying `newBits`.
 * @param oldBits Its parent's `bits`.
 * @param newBits Its `bits`.
 * @returns Whether the transition is permitted.
 *
 * @example
 * ```ts
 * import { CHAIN_PARAMS, permittedDifficultyTransition } from "@btcstream/p2p/headers";
 * import { assert } from "@std/assert";
 * const mainnet = CHAIN_PARAMS.mainnet;
 * assert(permittedDifficultyTransition(mainnet, 32256, 0x1d00ffff, 0x1d00d86a));
 * assert(!permittedDifficultyTransition(mainnet, 32257, 0x1d00d86a, 0x1d00ffff));
 * ```
 */
export function permittedDifficultyTransition(
  params: TransitionParams,
  height: number,
  oldBits: number,
  newBits: number,
): boolean {
  if (params.allowMinDifficultyBlocks) return true;
  const timespan = Math.floor(params.targetTimespanMs / 1000);
  const interval = difficultyAdjustmentInterval(params);
  if (height % interval === 0) {
    const observed = compactToTarget(newBits).target;
    const old = compactToTarget(oldBits).target;
    const bound = (factorTimespan: number) => {
      let t = old * BigInt(factorTimespan) / BigInt(timespan);
      if (t > params.powLimit) t = params.powLimit;
      // Round as a header would carry it.
      return compactToTarget(targetToCompact(t)).target;
    };
    if (bound(timespan * 4) < observed) return false;
    if (bound(Math.floor(timespan / 4)) > observed) return false;
  } else if (oldBits !== newBits) {
    return false;
  }
  return true;
}

/**
 * Blocks per difficulty period: the target timespan over the target spacing (2,016 on every
 * network but today's regtest, whose one-day timespan makes it 144).
 *
 * @param params The timespan and spacing.
 * @returns The interval in blocks.
 *
 * @example
 * ```ts
 * import { CHAIN_PARAMS, difficultyAdjustmentInterval } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * assertEquals(difficultyAdjustmentInterval(CHAIN_PARAMS.mainnet), 2016);
 * ```
 */
export function difficultyAdjustmentInterval(
  params: { readonly targetTimespanMs: number; readonly targetSpacingMs: number },
): number {
  return Math.floor(params.targetTimespanMs / params.targetSpacingMs);
}

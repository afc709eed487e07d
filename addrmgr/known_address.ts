// What the manager knows about one address, and the two judgements made on it: whether it is
// bad (may be dropped when room is needed, and is not handed out to peers) and the relative
// chance of selecting it.
import type { NetAddressV2 } from "../wire/net_address_v2.ts";
import { isBadValues } from "./_record.ts";

const MINUTE_MS = 60_000;

/**
 * An address in the book, with its connection history. Returned by
 * {@linkcode AddrManager.getAddress}; read-only, and updated by the manager.
 *
 * @example
 * ```ts
 * import { AddrManager, MemoryStorage } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assertEquals, assertExists } from "@std/assert";
 * const manager = new AddrManager({ storage: new MemoryStorage() });
 * const now = Math.floor(Date.now() / 1000);
 * const a = netAddressV2FromString("8.8.8.8", 8333, { timestamp: now });
 * manager.addAddress(a, netAddressV2FromString("9.9.9.9", 8333));
 * const known = manager.getAddress();
 * assertExists(known);
 * assertEquals(known.attempts, 0);
 * assertEquals(known.tried, false);
 * ```
 */
export interface KnownAddress {
  /** The address, with its last-seen timestamp (unix seconds) and services. */
  readonly netAddress: NetAddressV2;
  /** The peer that told us about it first. */
  readonly source: NetAddressV2;
  /** Connection attempts since the last success. */
  readonly attempts: number;
  /** When we last tried to connect (ms since the epoch), 0 if never. */
  readonly lastAttemptMs: number;
  /** When we last completed a handshake (ms since the epoch), 0 if never. */
  readonly lastSuccessMs: number;
  /** Whether it is in the tried table (we connected to it) rather than the new table. */
  readonly tried: boolean;
  /** How many new buckets reference it (0 when tried). */
  readonly refs: number;
}

/**
 * Whether an address is bad (btcd's `isBad`, Core's `IsTerrible`): never when tried in the
 * last minute; otherwise when its timestamp is more than 10 minutes in the future or more
 * than 30 days old, when it never succeeded after 3 attempts, or when it failed 10 times
 * with no success in the last 7 days.
 *
 * @param ka The address.
 * @param nowMs The current time in milliseconds.
 * @returns True when bad.
 *
 * @example
 * ```ts
 * import { isBad, type KnownAddress } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * const nowMs = Date.UTC(2026, 0, 1);
 * const ka: KnownAddress = {
 *   netAddress: netAddressV2FromString("8.8.8.8", 8333, { timestamp: nowMs / 1000 - 40 * 86400 }),
 *   source: netAddressV2FromString("9.9.9.9", 8333),
 *   attempts: 0, lastAttemptMs: 0, lastSuccessMs: 0, tried: false, refs: 1,
 * };
 * assert(isBad(ka, nowMs)); // not heard of for 40 days
 * ```
 */
export function isBad(ka: KnownAddress, nowMs: number): boolean {
  return isBadValues(
    ka.netAddress.timestamp,
    ka.attempts,
    ka.lastAttemptMs,
    ka.lastSuccessMs,
    nowMs,
  );
}

/** 0.66^n for n = 0..8. */
const PENALTY = Array.from({ length: 9 }, (_, n) => Math.pow(0.66, n));

/** How long after an attempt {@linkcode chance} is cut to 1%. */
export const RECENT_ATTEMPT_MS: number = 10 * MINUTE_MS;

/**
 * The factor of {@linkcode chance} for failed attempts: 0.66 per attempt, up to 8.
 *
 * @param attempts Attempts since the last success.
 * @returns 0.66^min(attempts, 8).
 */
export function attemptPenalty(attempts: number): number {
  return PENALTY[attempts < 8 ? attempts : 8];
}

/**
 * The relative chance of selecting an address: 1, times 0.01 when tried in the last 10
 * minutes, times 0.66 per failed attempt up to 8. As Bitcoin Core (`GetChance`): btcd divides
 * by 1.5 per attempt without a cap, so an address that failed often is all but forgotten.
 *
 * @param ka The address.
 * @param nowMs The current time in milliseconds.
 * @returns A factor in (0, 1].
 *
 * @example
 * ```ts
 * import { chance, type KnownAddress } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * const ka: KnownAddress = {
 *   netAddress: netAddressV2FromString("8.8.8.8", 8333),
 *   source: netAddressV2FromString("9.9.9.9", 8333),
 *   attempts: 1, lastAttemptMs: 0, lastSuccessMs: 0, tried: false, refs: 1,
 * };
 * assertEquals(chance(ka, Date.now()), 0.66); // one failed attempt, none in the last 10 minutes
 * assertAlmostEquals(chance(ka, 60_000), 0.0066); // tried a minute ago
 * ```
 */
export function chance(ka: KnownAddress, nowMs: number): number {
  const c = nowMs - ka.lastAttemptMs < RECENT_ATTEMPT_MS ? 0.01 : 1;
  return c * attemptPenalty(ka.attempts);
}

// The address manager's sizes and limits (REFERENCE 3.1). Where btcd and Bitcoin Core differ,
// these are Core's, and each such value says so.

/**
 * Buckets of the new table (addresses heard of but never connected to).
 *
 * @example
 * ```ts
 * import { NEW_BUCKET_COUNT, NEW_BUCKET_SIZE } from "@btcstream/p2p/addrmgr";
 * import { assertEquals } from "@std/assert";
 * assertEquals(NEW_BUCKET_COUNT * NEW_BUCKET_SIZE, 65536);
 * ```
 */
export const NEW_BUCKET_COUNT = 1024;

/**
 * Addresses per new bucket.
 *
 * @example
 * ```ts
 * import { NEW_BUCKET_SIZE } from "@btcstream/p2p/addrmgr";
 * import { assertEquals } from "@std/assert";
 * assertEquals(NEW_BUCKET_SIZE, 64);
 * ```
 */
export const NEW_BUCKET_SIZE = 64;

/**
 * Buckets of the tried table (addresses we connected to). As Bitcoin Core: 256 buckets of
 * 64; btcd has 64 buckets of 256, which lets one group fill 8 × 256 slots.
 *
 * @example
 * ```ts
 * import { TRIED_BUCKET_COUNT, TRIED_BUCKET_SIZE } from "@btcstream/p2p/addrmgr";
 * import { assertEquals } from "@std/assert";
 * assertEquals(TRIED_BUCKET_COUNT * TRIED_BUCKET_SIZE, 16384);
 * ```
 */
export const TRIED_BUCKET_COUNT = 256;

/**
 * Addresses per tried bucket (Bitcoin Core's 64; btcd's is 256).
 *
 * @example
 * ```ts
 * import { TRIED_BUCKET_SIZE } from "@btcstream/p2p/addrmgr";
 * import { assertEquals } from "@std/assert";
 * assertEquals(TRIED_BUCKET_SIZE, 64);
 * ```
 */
export const TRIED_BUCKET_SIZE = 64;

/**
 * Tried buckets one network group can spread over.
 *
 * @example
 * ```ts
 * import { TRIED_BUCKETS_PER_GROUP } from "@btcstream/p2p/addrmgr";
 * import { assertEquals } from "@std/assert";
 * assertEquals(TRIED_BUCKETS_PER_GROUP, 8);
 * ```
 */
export const TRIED_BUCKETS_PER_GROUP = 8;

/**
 * New buckets the addresses announced by one source group can spread over.
 *
 * @example
 * ```ts
 * import { NEW_BUCKETS_PER_SOURCE_GROUP } from "@btcstream/p2p/addrmgr";
 * import { assertEquals } from "@std/assert";
 * assertEquals(NEW_BUCKETS_PER_SOURCE_GROUP, 64);
 * ```
 */
export const NEW_BUCKETS_PER_SOURCE_GROUP = 64;

/**
 * New buckets one address can be referenced from.
 *
 * @example
 * ```ts
 * import { NEW_BUCKETS_PER_ADDRESS } from "@btcstream/p2p/addrmgr";
 * import { assertEquals } from "@std/assert";
 * assertEquals(NEW_BUCKETS_PER_ADDRESS, 8);
 * ```
 */
export const NEW_BUCKETS_PER_ADDRESS = 8;

/**
 * Most addresses one `getaddr` answer carries: Bitcoin Core's `MAX_ADDR_TO_SEND` (btcd
 * sends up to 2500, more than one `addr` message holds).
 *
 * @example
 * ```ts
 * import { GET_ADDR_MAX } from "@btcstream/p2p/addrmgr";
 * import { assertEquals } from "@std/assert";
 * assertEquals(GET_ADDR_MAX, 1000);
 * ```
 */
export const GET_ADDR_MAX = 1000;

/**
 * Percentage of the known addresses one `getaddr` answer carries.
 *
 * @example
 * ```ts
 * import { GET_ADDR_PERCENT } from "@btcstream/p2p/addrmgr";
 * import { assertEquals } from "@std/assert";
 * assertEquals(GET_ADDR_PERCENT, 23);
 * ```
 */
export const GET_ADDR_PERCENT = 23;

/**
 * Below this many known addresses, {@linkcode AddrManager.needMoreAddresses} is true.
 *
 * @example
 * ```ts
 * import { NEED_ADDRESS_THRESHOLD } from "@btcstream/p2p/addrmgr";
 * import { assertEquals } from "@std/assert";
 * assertEquals(NEED_ADDRESS_THRESHOLD, 1000);
 * ```
 */
export const NEED_ADDRESS_THRESHOLD = 1000;

/**
 * How often a started manager saves its addresses (btcd's `dumpAddressInterval`).
 *
 * @example
 * ```ts
 * import { SAVE_INTERVAL_MS } from "@btcstream/p2p/addrmgr";
 * import { assertEquals } from "@std/assert";
 * assertEquals(SAVE_INTERVAL_MS, 10 * 60_000);
 * ```
 */
export const SAVE_INTERVAL_MS = 10 * 60 * 1000;

/** Days after which an address not heard of is bad (`numMissingDays`, Core's horizon). */
export const HORIZON_DAYS = 30;
/** Attempts without any success after which an address is bad. */
export const MAX_RETRIES = 3;
/** Failed attempts since the last success (older than MIN_BAD_DAYS) that make it bad. */
export const MAX_FAILURES = 10;
/** Days without success after which MAX_FAILURES applies. */
export const MIN_BAD_DAYS = 7;

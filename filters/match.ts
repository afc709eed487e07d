// Matching scripts against a block's basic filter (BIP 158), as a wallet does with each
// `cfilter` it receives.
import { gcsMatchAny, validateGcs } from "./_gcs.ts";
import { BASIC_PARAMS } from "./basic_filter.ts";

function checkBlockHash(blockHash: Uint8Array): void {
  if (!(blockHash instanceof Uint8Array) || blockHash.length !== 32) {
    throw new TypeError("Cannot match a filter: the block hash must be 32 bytes");
  }
}

/**
 * Whether any of `scripts` may be in a block, by its basic filter: one sorted merge (the
 * scripts are hashed and sorted, then the filter is walked once beside them), as Bitcoin
 * Core's `GCSFilter::MatchAny`. False positives happen at a rate of about 1 in 784,931 per
 * script; false negatives never.
 *
 * The whole filter is read and checked on every call, so a malformed filter fails whatever the
 * scripts; nothing is allocated from its contents but the sorted query values.
 *
 * @param filter The serialized filter (a `cfilter` message's `filter`).
 * @param blockHash The block's hash, in wire order (the filter's key).
 * @param scripts Output scripts to look for.
 * @returns True when at least one script matches.
 * @throws {FilterError} When the filter is malformed (`truncated`, `non-canonical-varint`,
 *   `limit-exceeded`, `trailing-bytes`, `value-out-of-range`).
 * @throws {TypeError} When `blockHash` is not 32 bytes.
 *
 * @example
 * ```ts
 * import { buildBasicFilter, matchFilterAny } from "@btcstream/p2p/filters";
 * import { blockHash, type Block } from "@btcstream/p2p/wire";
 * import { assert, assertFalse } from "@std/assert";
 *
 * const mine = new Uint8Array([0x00, 0x14, ...new Uint8Array(20).fill(1)]); // P2WPKH
 * const theirs = new Uint8Array([0x00, 0x14, ...new Uint8Array(20).fill(2)]);
 * const block: Block = {
 *   header: {
 *     version: 1,
 *     prevBlock: new Uint8Array(32),
 *     merkleRoot: new Uint8Array(32),
 *     timestamp: 0,
 *     bits: 0,
 *     nonce: 0,
 *   },
 *   transactions: [{
 *     version: 1,
 *     inputs: [],
 *     outputs: [{ value: 1n, pkScript: theirs }],
 *     lockTime: 0,
 *   }],
 * };
 * const filter = buildBasicFilter(block, []);
 * const hash = blockHash(block.header);
 * assert(matchFilterAny(filter, hash, [mine, theirs]));
 * assertFalse(matchFilterAny(filter, hash, [mine]));
 * ```
 */
export function matchFilterAny(
  filter: Uint8Array,
  blockHash: Uint8Array,
  scripts: readonly Uint8Array[],
): boolean {
  checkBlockHash(blockHash);
  return gcsMatchAny(filter, blockHash, scripts, BASIC_PARAMS);
}

/**
 * Whether `script` may be in a block, by its basic filter. To test several scripts, use
 * {@linkcode matchFilterAny}, which walks the filter once for all of them.
 *
 * @param filter The serialized filter (a `cfilter` message's `filter`).
 * @param blockHash The block's hash, in wire order (the filter's key).
 * @param script An output script.
 * @returns True when the script matches (or is a false positive, about 1 in 784,931).
 * @throws {FilterError} When the filter is malformed.
 * @throws {TypeError} When `blockHash` is not 32 bytes.
 *
 * @example
 * ```ts
 * import { matchFilter } from "@btcstream/p2p/filters";
 * import { assertFalse } from "@std/assert";
 *
 * // The empty filter (N = 0) matches nothing.
 * assertFalse(matchFilter(new Uint8Array([0]), new Uint8Array(32), new Uint8Array([0x51])));
 * ```
 */
export function matchFilter(
  filter: Uint8Array,
  blockHash: Uint8Array,
  script: Uint8Array,
): boolean {
  checkBlockHash(blockHash);
  return gcsMatchAny(filter, blockHash, [script], BASIC_PARAMS);
}

/**
 * Checks that a basic filter is well formed, as Bitcoin Core does when it builds a
 * `GCSFilter` from received bytes, and returns how many elements it holds.
 *
 * @param filter The serialized filter.
 * @returns N, the number of elements.
 * @throws {FilterError} When the filter is malformed.
 *
 * @example
 * ```ts
 * import { FilterError, filterElementCount } from "@btcstream/p2p/filters";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * assertEquals(filterElementCount(new Uint8Array([0])), 0);
 * assertThrows(() => filterElementCount(new Uint8Array([0, 0])), FilterError); // excess byte
 * ```
 */
export function filterElementCount(filter: Uint8Array): number {
  return validateGcs(filter, BASIC_PARAMS);
}

/**
 * BIP 158 compact block filters and the BIP 157 filter header chain: build a block's basic
 * filter, match a wallet's scripts against a filter in one sorted merge, compute and check
 * filter headers, and test a filter against its block.
 *
 * A basic filter is a Golomb-coded set (P = 19, M = 784,931) of a block's output scripts and
 * the scripts its inputs spend, keyed by the block hash. Filters come off the wire: every
 * function that reads one checks it against its own bytes and throws only a
 * {@linkcode FilterError} for a malformed one, allocating nothing from what it claims.
 *
 * @example
 * ```ts
 * import {
 *   buildBasicFilter,
 *   filterHash,
 *   filterHeader,
 *   matchFilterAny,
 *   verifyCFilter,
 * } from "@btcstream/p2p/filters";
 * import { type Block, blockHash, type CFilterMessage } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 *
 * const wallet = [new Uint8Array([0x00, 0x14, ...new Uint8Array(20).fill(9)])];
 * const block: Block = {
 *   header: {
 *     version: 1,
 *     prevBlock: new Uint8Array(32),
 *     merkleRoot: new Uint8Array(32),
 *     timestamp: 0,
 *     bits: 0,
 *     nonce: 0,
 *   },
 *   transactions: [{ version: 1, inputs: [], outputs: [{ value: 1n, pkScript: wallet[0] }], lockTime: 0 }],
 * };
 * // What a peer serving filters sends, and the filter header chain commits to.
 * const message: CFilterMessage = {
 *   command: "cfilter",
 *   filterType: 0,
 *   blockHash: blockHash(block.header),
 *   filter: buildBasicFilter(block, []),
 * };
 * const previous = new Uint8Array(32);
 * const header = filterHeader(filterHash(message.filter), previous);
 *
 * // The client checks the filter against its header, then matches its scripts.
 * verifyCFilter(message, { filterHeader: header, previousFilterHeader: previous });
 * assert(matchFilterAny(message.filter, message.blockHash, wallet));
 * ```
 *
 * @module
 */
export {
  BASIC_FILTER_M,
  BASIC_FILTER_P,
  BASIC_FILTER_TYPE,
  basicFilterElements,
  buildBasicFilter,
} from "./basic_filter.ts";
export { FilterError, type FilterErrorCode } from "./errors.ts";
export {
  filterHash,
  filterHeader,
  firstDisagreement,
  verifyCFCheckpt,
  type VerifyCFCheckptOptions,
  verifyCFHeaders,
  type VerifyCFHeadersOptions,
  verifyCFilter,
  type VerifyCFilterOptions,
} from "./filter_header.ts";
export { filterElementCount, matchFilter, matchFilterAny } from "./match.ts";
export {
  type BlockFilterVerdict,
  checkBlockFilter,
  type CheckBlockFilterOptions,
} from "./verify_block.ts";
// The wire types this module's functions take, for documentation and for importers of this
// entry point alone.
export type { Block, CFCheckptMessage, CFHeadersMessage, CFilterMessage } from "../wire/mod.ts";

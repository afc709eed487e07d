// `getcfilters` (BIP 157): requests the compact filters of a range of blocks, from a height up
// to a stop hash. The range (at most 1,000 blocks, `MAX_GET_CFILTERS_REQ_RANGE`) can only be
// checked against the chain, so it is the handler's job, not the codec's.
import type { MessageCodec } from "./_codec.ts";
import { cfRangeCodec } from "./_cf_range.ts";

/**
 * `getcfilters` (BIP 157): asks for one `cfilter` per block from `startHeight` to `stopHash`.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type GetCFiltersMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const request: GetCFiltersMessage = {
 *   command: "getcfilters",
 *   filterType: 0, // BIP 158 basic filter
 *   startHeight: 800_000,
 *   stopHash: new Uint8Array(32),
 * };
 * assertEquals(decodeMessage(encodeMessage(request)), request);
 * ```
 */
export interface GetCFiltersMessage {
  /** Always `"getcfilters"`. */
  readonly command: "getcfilters";
  /** Filter type (uint8); 0 is BIP 158's basic filter. */
  readonly filterType: number;
  /** Height of the first block wanted (uint32). */
  readonly startHeight: number;
  /** Hash of the last block wanted (wire order). */
  readonly stopHash: Uint8Array;
}

/** Codec for `getcfilters`. */
export const getCFiltersCodec: MessageCodec<GetCFiltersMessage> = cfRangeCodec("getcfilters");

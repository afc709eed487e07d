// `getcfheaders` (BIP 157): requests the filter hashes of a range of blocks (at most 2,000), plus
// the filter header before the range, so a client can verify the headers chain.
import type { MessageCodec } from "./_codec.ts";
import { cfRangeCodec } from "./_cf_range.ts";

/**
 * `getcfheaders` (BIP 157): asks for a `cfheaders` covering `startHeight` to `stopHash`.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type GetCFHeadersMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const request: GetCFHeadersMessage = {
 *   command: "getcfheaders",
 *   filterType: 0,
 *   startHeight: 1,
 *   stopHash: new Uint8Array(32),
 * };
 * assertEquals(decodeMessage(encodeMessage(request)), request);
 * ```
 */
export interface GetCFHeadersMessage {
  /** Always `"getcfheaders"`. */
  readonly command: "getcfheaders";
  /** Filter type (uint8); 0 is BIP 158's basic filter. */
  readonly filterType: number;
  /** Height of the first block wanted (uint32). */
  readonly startHeight: number;
  /** Hash of the last block wanted (wire order). */
  readonly stopHash: Uint8Array;
}

/** Codec for `getcfheaders`. */
export const getCFHeadersCodec: MessageCodec<GetCFHeadersMessage> = cfRangeCodec("getcfheaders");

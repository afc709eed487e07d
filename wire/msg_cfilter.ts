// `cfilter` (BIP 157): one block's compact filter (BIP 158), in answer to `getcfilters`.
import type { MessageCodec } from "./_codec.ts";
import { checkBytes, checkHash, checkUint } from "./_fields.ts";
import { MAX_CFILTER_DATA_SIZE } from "./protocol.ts";

/**
 * `cfilter` (BIP 157): the compact filter of the block `blockHash`.
 *
 * @example
 * ```ts
 * import { type CFilterMessage, decodeMessage, encodeMessage } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const cfilter: CFilterMessage = {
 *   command: "cfilter",
 *   filterType: 0,
 *   blockHash: new Uint8Array(32),
 *   filter: new Uint8Array([0]), // an empty BIP 158 filter: N = 0
 * };
 * const decoded = decodeMessage(encodeMessage(cfilter));
 * assert(decoded.command === "cfilter");
 * assertEquals(decoded.filter, new Uint8Array([0]));
 * ```
 */
export interface CFilterMessage {
  /** Always `"cfilter"`. */
  readonly command: "cfilter";
  /** Filter type (uint8); 0 is BIP 158's basic filter. */
  readonly filterType: number;
  /** Hash of the block the filter is for (wire order). */
  readonly blockHash: Uint8Array;
  /** The serialized filter (BIP 158: CompactSize N, then the Golomb-coded set), at most 256 KiB. */
  readonly filter: Uint8Array;
}

/** Codec for `cfilter`. */
export const cfilterCodec: MessageCodec<CFilterMessage> = {
  command: "cfilter",
  encode(w, m) {
    checkUint("cfilter", "filterType", m.filterType, 0xff);
    checkHash("cfilter", "blockHash", m.blockHash);
    checkBytes("cfilter", "filter", m.filter, MAX_CFILTER_DATA_SIZE);
    w.u8(m.filterType);
    w.bytesRaw(m.blockHash);
    w.varBytes(m.filter);
  },
  decode(r) {
    const filterType = r.u8("filterType");
    const blockHash = r.hash("blockHash");
    // btcd's MaxCFilterDataSize; BIP 157 sets no bound, Bitcoin Core only ever sends filters
    // of blocks under the 4,000,000-byte message limit.
    const filter = r.varBytes(MAX_CFILTER_DATA_SIZE, "filter");
    return { command: "cfilter", filterType, blockHash, filter };
  },
  maxPayloadLength() {
    // As btcd: type + block hash + 5-byte CompactSize for 262,144 + the filter (262,182).
    return 1 + 32 + 5 + MAX_CFILTER_DATA_SIZE;
  },
};

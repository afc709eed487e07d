// `getcfcheckpt` (BIP 157): requests the filter headers at every 1,000th block up to a stop hash,
// the checkpoints a client syncs `cfheaders` against.
import type { MessageCodec } from "./_codec.ts";
import { checkHash, checkUint } from "./_fields.ts";

/**
 * `getcfcheckpt` (BIP 157): asks for a `cfcheckpt` up to `stopHash`.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type GetCFCheckptMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const request: GetCFCheckptMessage = {
 *   command: "getcfcheckpt",
 *   filterType: 0,
 *   stopHash: new Uint8Array(32),
 * };
 * assertEquals(decodeMessage(encodeMessage(request)), request);
 * ```
 */
export interface GetCFCheckptMessage {
  /** Always `"getcfcheckpt"`. */
  readonly command: "getcfcheckpt";
  /** Filter type (uint8); 0 is BIP 158's basic filter. */
  readonly filterType: number;
  /** Hash of the last block of the range (wire order). */
  readonly stopHash: Uint8Array;
}

/** Codec for `getcfcheckpt`. */
export const getCFCheckptCodec: MessageCodec<GetCFCheckptMessage> = {
  command: "getcfcheckpt",
  encode(w, m) {
    checkUint("getcfcheckpt", "filterType", m.filterType, 0xff);
    checkHash("getcfcheckpt", "stopHash", m.stopHash);
    w.u8(m.filterType);
    w.bytesRaw(m.stopHash);
  },
  decode(r) {
    const filterType = r.u8("filterType");
    const stopHash = r.hash("stopHash");
    return { command: "getcfcheckpt", filterType, stopHash };
  },
  maxPayloadLength() {
    return 1 + 32;
  },
};

// `cfcheckpt` (BIP 157): the filter headers at every 1,000th block (`CF_CHECKPT_INTERVAL`) up to
// a stop hash.
import type { MessageCodec } from "./_codec.ts";
import { checkHash, checkUint, HASH_SIZE, readHashes, writeHashes } from "./_fields.ts";
import { MAX_CF_CHECKPTS_PER_MSG } from "./protocol.ts";

/**
 * `cfcheckpt` (BIP 157): answers `getcfcheckpt` with one filter header per 1,000 blocks.
 *
 * @example
 * ```ts
 * import { type CFCheckptMessage, decodeMessage, encodeMessage } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const cfcheckpt: CFCheckptMessage = {
 *   command: "cfcheckpt",
 *   filterType: 0,
 *   stopHash: new Uint8Array(32),
 *   filterHeaders: [new Uint8Array(32).fill(9)],
 * };
 * const decoded = decodeMessage(encodeMessage(cfcheckpt));
 * assert(decoded.command === "cfcheckpt");
 * assertEquals(decoded.filterHeaders, [new Uint8Array(32).fill(9)]);
 * ```
 */
export interface CFCheckptMessage {
  /** Always `"cfcheckpt"`. */
  readonly command: "cfcheckpt";
  /** Filter type (uint8); 0 is BIP 158's basic filter. */
  readonly filterType: number;
  /** Hash of the last block of the range (wire order). */
  readonly stopHash: Uint8Array;
  /** Filter headers at heights 1000, 2000, ... (wire order), at most 100,000. */
  readonly filterHeaders: readonly Uint8Array[];
}

/** Codec for `cfcheckpt`. */
export const cfCheckptCodec: MessageCodec<CFCheckptMessage> = {
  command: "cfcheckpt",
  encode(w, m) {
    checkUint("cfcheckpt", "filterType", m.filterType, 0xff);
    checkHash("cfcheckpt", "stopHash", m.stopHash);
    w.u8(m.filterType);
    w.bytesRaw(m.stopHash);
    writeHashes(
      w,
      m.filterHeaders,
      MAX_CF_CHECKPTS_PER_MSG,
      "cfcheckpt",
      "filterHeaders",
      "filter headers",
    );
  },
  decode(r) {
    const filterType = r.u8("filterType");
    const stopHash = r.hash("stopHash");
    // BIP 157 sets no bound (the list grows with the chain: 900 entries at height 900,000);
    // btcd refuses more than 100,000 (maxCFHeadersLen), a chain of 100,000,000 blocks.
    const count = r.count(MAX_CF_CHECKPTS_PER_MSG, "filter headers");
    const filterHeaders = readHashes(r, count, "filterHeaders");
    return { command: "cfcheckpt", filterType, stopHash, filterHeaders };
  },
  maxPayloadLength() {
    // btcd returns its 32 MiB generic bound here; the exact maximum is type + stop hash +
    // 9-byte CompactSize allowance + 100,000 headers = 3,200,042, under the 4,000,000 limit.
    return 1 + HASH_SIZE + 9 + MAX_CF_CHECKPTS_PER_MSG * HASH_SIZE;
  },
};

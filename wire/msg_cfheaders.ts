// `cfheaders` (BIP 157): the filter hashes of a range of blocks and the filter header before the
// range; each filter header is dSHA256(filter hash || previous header), so the client rebuilds
// and checks the headers chain from these.
import type { MessageCodec } from "./_codec.ts";
import { checkHash, checkUint, HASH_SIZE, readHashes, writeHashes } from "./_fields.ts";
import { MAX_CF_HEADERS_PER_MSG } from "./protocol.ts";

/**
 * `cfheaders` (BIP 157): answers `getcfheaders` with at most 2,000 filter hashes.
 *
 * @example
 * ```ts
 * import { type CFHeadersMessage, decodeMessage, encodeMessage } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const cfheaders: CFHeadersMessage = {
 *   command: "cfheaders",
 *   filterType: 0,
 *   stopHash: new Uint8Array(32),
 *   previousFilterHeader: new Uint8Array(32),
 *   filterHashes: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)],
 * };
 * const decoded = decodeMessage(encodeMessage(cfheaders));
 * assert(decoded.command === "cfheaders");
 * assertEquals(decoded.filterHashes.length, 2);
 * ```
 */
export interface CFHeadersMessage {
  /** Always `"cfheaders"`. */
  readonly command: "cfheaders";
  /** Filter type (uint8); 0 is BIP 158's basic filter. */
  readonly filterType: number;
  /** Hash of the last block of the range (wire order). */
  readonly stopHash: Uint8Array;
  /** Filter header of the block before the range (all zeros before the genesis block). */
  readonly previousFilterHeader: Uint8Array;
  /** dSHA256 of each block's filter, in height order (wire order), at most 2,000. */
  readonly filterHashes: readonly Uint8Array[];
}

/** Codec for `cfheaders`. */
export const cfHeadersCodec: MessageCodec<CFHeadersMessage> = {
  command: "cfheaders",
  encode(w, m) {
    checkUint("cfheaders", "filterType", m.filterType, 0xff);
    checkHash("cfheaders", "stopHash", m.stopHash);
    checkHash("cfheaders", "previousFilterHeader", m.previousFilterHeader);
    w.u8(m.filterType);
    w.bytesRaw(m.stopHash);
    w.bytesRaw(m.previousFilterHeader);
    writeHashes(
      w,
      m.filterHashes,
      MAX_CF_HEADERS_PER_MSG,
      "cfheaders",
      "filterHashes",
      "filter hashes",
    );
  },
  decode(r) {
    const filterType = r.u8("filterType");
    const stopHash = r.hash("stopHash");
    const previousFilterHeader = r.hash("previousFilterHeader");
    const count = r.count(MAX_CF_HEADERS_PER_MSG, "filter hashes");
    const filterHashes = readHashes(r, count, "filterHashes");
    return { command: "cfheaders", filterType, stopHash, previousFilterHeader, filterHashes };
  },
  maxPayloadLength() {
    // As btcd: type + two hashes + 9-byte CompactSize allowance + 2,000 hashes (64,074).
    return 1 + 2 * HASH_SIZE + 9 + MAX_CF_HEADERS_PER_MSG * HASH_SIZE;
  },
};

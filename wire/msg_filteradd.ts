// `filteradd` (BIP 37): adds one element to the bloom filter set by `filterload`. Introduced at
// protocol 70001.
import type { MessageCodec } from "./_codec.ts";
import { checkBytes } from "./_fields.ts";
import { BIP0037_VERSION, MAX_FILTER_ADD_DATA_SIZE } from "./protocol.ts";

/**
 * `filteradd` (BIP 37): inserts `data` into the connection's bloom filter.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type FilterAddMessage } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const filteradd: FilterAddMessage = { command: "filteradd", data: new Uint8Array(33) };
 * const decoded = decodeMessage(encodeMessage(filteradd));
 * assert(decoded.command === "filteradd");
 * assertEquals(decoded.data.length, 33);
 * ```
 */
export interface FilterAddMessage {
  /** Always `"filteradd"`. */
  readonly command: "filteradd";
  /** The element (a script push, so at most 520 bytes). */
  readonly data: Uint8Array;
}

/** Codec for `filteradd`. */
export const filterAddCodec: MessageCodec<FilterAddMessage> = {
  command: "filteradd",
  encode(w, m, ctx) {
    if (ctx.protocolVersion < BIP0037_VERSION) {
      throw new RangeError(
        `Cannot encode "filteradd": protocol ${ctx.protocolVersion} predates BIP 37`,
      );
    }
    checkBytes("filteradd", "data", m.data, MAX_FILTER_ADD_DATA_SIZE);
    w.varBytes(m.data);
  },
  decode(r, ctx) {
    if (ctx.protocolVersion < BIP0037_VERSION) {
      r.fail("unsupported-version", `protocol ${ctx.protocolVersion} predates BIP 37`);
    }
    // Bitcoin Core decodes any size and then punishes an element over 520 bytes
    // (MAX_SCRIPT_ELEMENT_SIZE); btcd rejects it while decoding, as here.
    return { command: "filteradd", data: r.varBytes(MAX_FILTER_ADD_DATA_SIZE, "data") };
  },
  maxPayloadLength() {
    // As btcd: 3-byte CompactSize for 520 + the element (523).
    return 3 + MAX_FILTER_ADD_DATA_SIZE;
  },
};

// `filterclear` (BIP 37): removes the connection's bloom filter. No payload. Introduced at
// protocol 70001.
import type { MessageCodec } from "./_codec.ts";
import { BIP0037_VERSION } from "./protocol.ts";

/**
 * `filterclear` (BIP 37): removes the bloom filter.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type FilterClearMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const message: FilterClearMessage = { command: "filterclear" };
 * assertEquals(decodeMessage(encodeMessage(message)), { command: "filterclear" });
 * ```
 */
export interface FilterClearMessage {
  /** The command, `filterclear`. */
  readonly command: "filterclear";
}

/** Codec for `filterclear`. */
export const filterClearCodec: MessageCodec<FilterClearMessage> = {
  command: "filterclear",
  encode(_w, _m, ctx) {
    if (ctx.protocolVersion < BIP0037_VERSION) {
      throw new RangeError(
        `Cannot encode "filterclear": protocol ${ctx.protocolVersion} predates BIP 37`,
      );
    }
  },
  decode(r, ctx) {
    if (ctx.protocolVersion < BIP0037_VERSION) {
      r.fail("unsupported-version", `protocol ${ctx.protocolVersion} predates BIP 37`);
    }
    return { command: "filterclear" };
  },
  maxPayloadLength() {
    return 0;
  },
};

// `sendheaders` (BIP 130): asks the peer to announce new blocks with `headers` instead of `inv`.
// No payload. Introduced at protocol 70012; gated as btcd (Bitcoin Core accepts it at any
// version).
import type { MessageCodec } from "./_codec.ts";
import { SEND_HEADERS_VERSION } from "./protocol.ts";

/**
 * `sendheaders` (BIP 130): asks for block announcements as `headers`.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type SendHeadersMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const message: SendHeadersMessage = { command: "sendheaders" };
 * assertEquals(decodeMessage(encodeMessage(message)), { command: "sendheaders" });
 * ```
 */
export interface SendHeadersMessage {
  /** The command, `sendheaders`. */
  readonly command: "sendheaders";
}

/** Codec for `sendheaders`. */
export const sendHeadersCodec: MessageCodec<SendHeadersMessage> = {
  command: "sendheaders",
  encode(_w, _m, ctx) {
    if (ctx.protocolVersion < SEND_HEADERS_VERSION) {
      throw new RangeError(
        `Cannot encode "sendheaders": protocol ${ctx.protocolVersion} predates BIP 130`,
      );
    }
  },
  decode(r, ctx) {
    if (ctx.protocolVersion < SEND_HEADERS_VERSION) {
      r.fail("unsupported-version", `protocol ${ctx.protocolVersion} predates BIP 130`);
    }
    return { command: "sendheaders" };
  },
  maxPayloadLength() {
    return 0;
  },
};

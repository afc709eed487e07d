// `wtxidrelay` (BIP 339): sent between `version` and `verack` to announce transactions by wtxid.
// No payload. BIP 339 says to send it only to peers of protocol 70016 or later; btcd refuses it
// below that, but Bitcoin Core decodes it at any version and ignores it when the common version
// is too old, so the codec accepts it everywhere and leaves the decision to the peer.
import type { MessageCodec } from "./_codec.ts";

/**
 * `wtxidrelay` (BIP 339): asks for transaction announcements by wtxid.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type WtxidRelayMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const message: WtxidRelayMessage = { command: "wtxidrelay" };
 * assertEquals(decodeMessage(encodeMessage(message)), { command: "wtxidrelay" });
 * ```
 */
export interface WtxidRelayMessage {
  /** The command, `wtxidrelay`. */
  readonly command: "wtxidrelay";
}

/** Codec for `wtxidrelay`. */
export const wtxidRelayCodec: MessageCodec<WtxidRelayMessage> = {
  command: "wtxidrelay",
  encode() {},
  decode() {
    return { command: "wtxidrelay" };
  },
  maxPayloadLength() {
    return 0;
  },
};

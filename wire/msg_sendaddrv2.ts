// `sendaddrv2` (BIP 155): sent between `version` and `verack` to ask for `addrv2` instead of
// `addr`. No payload. BIP 155 defines it for every protocol version and Bitcoin Core accepts it
// at any; btcd refuses it below 70016. The codec follows Core.
import type { MessageCodec } from "./_codec.ts";

/**
 * `sendaddrv2` (BIP 155): asks for addresses as `addrv2`.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type SendAddrV2Message } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const message: SendAddrV2Message = { command: "sendaddrv2" };
 * assertEquals(decodeMessage(encodeMessage(message)), { command: "sendaddrv2" });
 * ```
 */
export interface SendAddrV2Message {
  /** The command, `sendaddrv2`. */
  readonly command: "sendaddrv2";
}

/** Codec for `sendaddrv2`. */
export const sendAddrV2Codec: MessageCodec<SendAddrV2Message> = {
  command: "sendaddrv2",
  encode() {},
  decode() {
    return { command: "sendaddrv2" };
  },
  maxPayloadLength() {
    return 0;
  },
};

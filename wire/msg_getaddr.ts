// `getaddr`: asks the peer for addresses it knows, answered with `addr` or `addrv2`. No payload.
import type { MessageCodec } from "./_codec.ts";

/**
 * `getaddr`: asks the peer for known addresses.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type GetAddrMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const message: GetAddrMessage = { command: "getaddr" };
 * assertEquals(decodeMessage(encodeMessage(message)), { command: "getaddr" });
 * ```
 */
export interface GetAddrMessage {
  /** The command, `getaddr`. */
  readonly command: "getaddr";
}

/** Codec for `getaddr`. */
export const getAddrCodec: MessageCodec<GetAddrMessage> = {
  command: "getaddr",
  encode() {},
  decode() {
    return { command: "getaddr" };
  },
  maxPayloadLength() {
    return 0;
  },
};

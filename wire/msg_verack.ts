// `verack`: acknowledges the peer's `version`; the handshake is complete once both sides have
// sent one. No payload.
import type { MessageCodec } from "./_codec.ts";

/**
 * `verack`: acknowledges the peer's `version`.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type VerAckMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const message: VerAckMessage = { command: "verack" };
 * assertEquals(decodeMessage(encodeMessage(message)), { command: "verack" });
 * ```
 */
export interface VerAckMessage {
  /** The command, `verack`. */
  readonly command: "verack";
}

/** Codec for `verack`. */
export const verAckCodec: MessageCodec<VerAckMessage> = {
  command: "verack",
  encode() {},
  decode() {
    return { command: "verack" };
  },
  maxPayloadLength() {
    return 0;
  },
};

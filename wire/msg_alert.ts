// `alert`: the retired network alert system (removed from Bitcoin Core in 0.13, keys published
// 2016). Kept opaque as btcd's `MsgAlert`: the serialized alert and its signature, each as
// CompactSize-prefixed bytes; nothing here parses or trusts them.
import type { MessageCodec } from "./_codec.ts";
import { checkBytes } from "./_fields.ts";
import { MAX_PROTOCOL_MESSAGE_LENGTH } from "./protocol.ts";

/**
 * `alert`: an obsolete signed network alert, carried opaquely.
 *
 * @example
 * ```ts
 * import { type AlertMessage, decodeMessage, encodeMessage } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const alert: AlertMessage = {
 *   command: "alert",
 *   payload: new Uint8Array([1, 2, 3]),
 *   signature: new Uint8Array([4, 5]),
 * };
 * const decoded = decodeMessage(encodeMessage(alert));
 * assert(decoded.command === "alert");
 * assertEquals(decoded.signature, new Uint8Array([4, 5]));
 * ```
 */
export interface AlertMessage {
  /** The command, `alert`. */
  readonly command: "alert";
  /** The serialized alert, unparsed. */
  readonly payload: Uint8Array;
  /** The signature over `payload`, unverified. */
  readonly signature: Uint8Array;
}

/** Codec for `alert`. */
export const alertCodec: MessageCodec<AlertMessage> = {
  command: "alert",
  encode(w, m) {
    checkBytes("alert", "payload", m.payload, MAX_PROTOCOL_MESSAGE_LENGTH);
    checkBytes("alert", "signature", m.signature, MAX_PROTOCOL_MESSAGE_LENGTH);
    w.varBytes(m.payload);
    w.varBytes(m.signature);
  },
  decode(r) {
    // No field limit of its own: the payload bound (checked before buffering) caps both.
    const payload = r.varBytes(MAX_PROTOCOL_MESSAGE_LENGTH, "alert payload");
    const signature = r.varBytes(MAX_PROTOCOL_MESSAGE_LENGTH, "alert signature");
    return { command: "alert", payload, signature };
  },
  maxPayloadLength() {
    // btcd allows MaxMessagePayload; the network limit is lower and applies first.
    return MAX_PROTOCOL_MESSAGE_LENGTH;
  },
};

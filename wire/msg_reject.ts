// `reject` (BIP 61): tells the peer a message was rejected and why. Introduced at protocol
// 70002 and no longer sent by Bitcoin Core (removed in 0.20), but btcd and older nodes send it.
import type { MessageCodec } from "./_codec.ts";
import { checkHash, checkUint } from "./_fields.ts";
import { COMMAND_SIZE, MAX_PROTOCOL_MESSAGE_LENGTH, REJECT_VERSION } from "./protocol.ts";
import { wireStringToBytes } from "./wire_string.ts";

/**
 * `reject` (BIP 61): a rejected message, a code and a reason.
 *
 * @example
 * ```ts
 * import {
 *   decodeMessage,
 *   encodeMessage,
 *   RejectCode,
 *   type RejectMessage,
 * } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const reject: RejectMessage = {
 *   command: "reject",
 *   message: "tx",
 *   code: RejectCode.INSUFFICIENT_FEE,
 *   reason: "mempool min fee not met",
 *   hash: new Uint8Array(32),
 * };
 * assertEquals(decodeMessage(encodeMessage(reject)), reject);
 * ```
 */
export interface RejectMessage {
  /** The command, `reject`. */
  readonly command: "reject";
  /**
   * The rejected message's command, at most 12 bytes. Kept byte for byte, as `reason` is.
   */
  readonly message: string;
  /** BIP 61 reject code (uint8); see `RejectCode`. */
  readonly code: number;
  /**
   * Human-readable reason. Meant to be UTF-8, but a peer may send any bytes: one that is not
   * part of valid UTF-8 is decoded as the lone surrogate U+DC00 + byte and encoded back as
   * that byte (see `bytesToWireString`), so a decoded reject encodes to the bytes it came
   * from.
   */
  readonly reason: string;
  /**
   * The rejected transaction or block (32 bytes, wire order). Only for `message` "tx" or
   * "block", and even then optional.
   */
  readonly hash?: Uint8Array;
}

function hasHashField(message: string): boolean {
  return message === "tx" || message === "block";
}

/** Codec for `reject`. */
export const rejectCodec: MessageCodec<RejectMessage> = {
  command: "reject",
  encode(w, m, ctx) {
    if (ctx.protocolVersion < REJECT_VERSION) {
      throw new RangeError(
        `Cannot encode "reject": protocol ${ctx.protocolVersion} predates BIP 61`,
      );
    }
    const message = wireStringToBytes(m.message);
    const n = message.length;
    if (n > COMMAND_SIZE) {
      throw new RangeError(
        `Cannot encode "reject": message of ${n} bytes exceeds the limit of ${COMMAND_SIZE}`,
      );
    }
    checkUint("reject", "code", m.code, 0xff);
    if (m.hash !== undefined) {
      if (!hasHashField(m.message)) {
        throw new TypeError(
          `Cannot encode "reject": a hash is only sent when rejecting "tx" or "block", not ${
            JSON.stringify(m.message)
          }`,
        );
      }
      checkHash("reject", "hash", m.hash);
    }
    w.varBytes(message);
    w.u8(m.code);
    w.varString(m.reason);
    if (m.hash !== undefined) w.bytesRaw(m.hash);
  },
  decode(r, ctx) {
    if (ctx.protocolVersion < REJECT_VERSION) {
      r.fail("unsupported-version", `protocol ${ctx.protocolVersion} predates BIP 61`);
    }
    // As Bitcoin Core: the rejected command is at most a command's length.
    const message = r.varString(COMMAND_SIZE, "message");
    const code = r.u8("code");
    // Neither BIP 61 nor btcd bounds the reason; the payload limit does.
    const reason = r.varString(MAX_PROTOCOL_MESSAGE_LENGTH, "reason");
    // BIP 61 puts a hash after "tx" and "block" rejects, but Bitcoin Core sent `REJECT_MALFORMED`
    // for an unparseable "tx" or "block" without one (its test framework reads the hash only for
    // other codes). So the hash is read when bytes remain, and must then be whole; btcd always
    // requires it.
    if (hasHashField(message) && r.remaining > 0) {
      return { command: "reject", message, code, reason, hash: r.hash("hash") };
    }
    return { command: "reject", message, code, reason };
  },
  maxPayloadLength(pver) {
    // No bound on the reason (btcd allows MaxMessagePayload); the network limit applies. Zero
    // before BIP 61, as btcd, so such a frame is refused before it is read.
    return pver >= REJECT_VERSION ? MAX_PROTOCOL_MESSAGE_LENGTH : 0;
  },
};

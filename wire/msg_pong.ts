// `pong` (BIP 31): the answer to `ping`, echoing its nonce. It does not exist at or below
// protocol 60000.
import type { MessageCodec } from "./_codec.ts";
import { BIP0031_VERSION } from "./protocol.ts";

/**
 * `pong`: answers a `ping` with the same nonce.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const frame = encodeMessage({ command: "pong", nonce: 7n });
 * assertEquals(decodeMessage(frame), { command: "pong", nonce: 7n });
 * ```
 */
export interface PongMessage {
  /** The command. */
  readonly command: "pong";
  /** The nonce of the `ping` being answered (uint64). */
  readonly nonce: bigint;
}

/** Codec for `pong`. */
export const pongCodec: MessageCodec<PongMessage> = {
  command: "pong",
  encode(w, m, ctx) {
    if (ctx.protocolVersion <= BIP0031_VERSION) {
      throw new RangeError(`Cannot encode "pong": protocol ${ctx.protocolVersion} predates BIP 31`);
    }
    w.u64le(m.nonce);
  },
  decode(r, ctx) {
    if (ctx.protocolVersion <= BIP0031_VERSION) {
      r.fail("unsupported-version", `protocol ${ctx.protocolVersion} predates BIP 31`);
    }
    return { command: "pong", nonce: r.u64le("nonce") };
  },
  maxPayloadLength(pver) {
    // btcd: 0 below BIP 31 would reject every pong before it is read, which is right.
    return pver > BIP0031_VERSION ? 8 : 0;
  },
};

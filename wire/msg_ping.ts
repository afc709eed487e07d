// `ping` (BIP 31): a keep-alive. Before BIP 31 (protocol <= 60000) it had no payload; after,
// an 8-byte nonce that the `pong` must echo.
import type { MessageCodec } from "./_codec.ts";
import { BIP0031_VERSION } from "./protocol.ts";

/**
 * `ping`: asks the peer to answer with a `pong` carrying the same nonce.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type PingMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const ping: PingMessage = { command: "ping", nonce: 42n };
 * assertEquals(decodeMessage(encodeMessage(ping)), { command: "ping", nonce: 42n });
 * ```
 */
export interface PingMessage {
  /** The command. */
  readonly command: "ping";
  /** Random nonce (uint64); 0 when the protocol version predates BIP 31. */
  readonly nonce: bigint;
}

/** Codec for `ping`. */
export const pingCodec: MessageCodec<PingMessage> = {
  command: "ping",
  encode(w, m, ctx) {
    if (ctx.protocolVersion > BIP0031_VERSION) w.u64le(m.nonce);
  },
  decode(r, ctx) {
    return {
      command: "ping",
      nonce: ctx.protocolVersion > BIP0031_VERSION ? r.u64le("nonce") : 0n,
    };
  },
  maxPayloadLength(pver) {
    return pver > BIP0031_VERSION ? 8 : 0;
  },
};

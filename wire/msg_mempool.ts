// `mempool` (BIP 35): asks the peer to announce the transactions in its mempool with `inv`. No
// payload. Introduced at protocol 60002; gated as btcd (Bitcoin Core checks services instead).
import type { MessageCodec } from "./_codec.ts";
import { BIP0035_VERSION } from "./protocol.ts";

/**
 * `mempool` (BIP 35): asks for `inv`s of the peer's mempool.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type MemPoolMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const message: MemPoolMessage = { command: "mempool" };
 * assertEquals(decodeMessage(encodeMessage(message)), { command: "mempool" });
 * ```
 */
export interface MemPoolMessage {
  /** The command, `mempool`. */
  readonly command: "mempool";
}

/** Codec for `mempool`. */
export const memPoolCodec: MessageCodec<MemPoolMessage> = {
  command: "mempool",
  encode(_w, _m, ctx) {
    if (ctx.protocolVersion < BIP0035_VERSION) {
      throw new RangeError(
        `Cannot encode "mempool": protocol ${ctx.protocolVersion} predates BIP 35`,
      );
    }
  },
  decode(r, ctx) {
    if (ctx.protocolVersion < BIP0035_VERSION) {
      r.fail("unsupported-version", `protocol ${ctx.protocolVersion} predates BIP 35`);
    }
    return { command: "mempool" };
  },
  maxPayloadLength() {
    return 0;
  },
};

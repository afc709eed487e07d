// `feefilter` (BIP 133): asks the peer not to announce transactions paying less than a fee rate.
// Introduced at protocol 70013; gated as btcd (Bitcoin Core reads it at any version).
import type { MessageCodec } from "./_codec.ts";
import { FEE_FILTER_VERSION } from "./protocol.ts";

/**
 * `feefilter` (BIP 133): the minimum fee rate of transactions to announce.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type FeeFilterMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const feefilter: FeeFilterMessage = { command: "feefilter", feeRate: 1000n };
 * assertEquals(decodeMessage(encodeMessage(feefilter)), { command: "feefilter", feeRate: 1000n });
 * ```
 */
export interface FeeFilterMessage {
  /** The command, `feefilter`. */
  readonly command: "feefilter";
  /** Minimum fee rate in satoshis per 1000 virtual bytes (int64). */
  readonly feeRate: bigint;
}

/** Codec for `feefilter`. */
export const feeFilterCodec: MessageCodec<FeeFilterMessage> = {
  command: "feefilter",
  encode(w, m, ctx) {
    if (ctx.protocolVersion < FEE_FILTER_VERSION) {
      throw new RangeError(
        `Cannot encode "feefilter": protocol ${ctx.protocolVersion} predates BIP 133`,
      );
    }
    if (typeof m.feeRate !== "bigint" || m.feeRate !== BigInt.asIntN(64, m.feeRate)) {
      throw new RangeError(`Cannot encode "feefilter": feeRate must be an int64 bigint`);
    }
    w.i64le(m.feeRate);
  },
  decode(r, ctx) {
    if (ctx.protocolVersion < FEE_FILTER_VERSION) {
      r.fail("unsupported-version", `protocol ${ctx.protocolVersion} predates BIP 133`);
    }
    // Any int64 is well-formed: Bitcoin Core ignores a rate outside MoneyRange rather than
    // failing the message, so that judgement belongs to the caller.
    return { command: "feefilter", feeRate: r.i64le("fee rate") };
  },
  maxPayloadLength() {
    return 8;
  },
};

// `sendtxrcncl` (BIP 330): sent between `version` and `verack` to offer Erlay transaction
// reconciliation, with the highest reconciliation version supported and a random salt.
import type { MessageCodec } from "./_codec.ts";
import { checkUint } from "./_fields.ts";
import { checkUint64 } from "./_net_address_io.ts";

/**
 * `sendtxrcncl` (BIP 330): transaction reconciliation negotiation.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type SendTxRcnclMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const m: SendTxRcnclMessage = { command: "sendtxrcncl", version: 1, salt: 0x0123456789abcdefn };
 * assertEquals(decodeMessage(encodeMessage(m)), m);
 * ```
 */
export interface SendTxRcnclMessage {
  /** The command, `sendtxrcncl`. */
  readonly command: "sendtxrcncl";
  /** Highest reconciliation protocol version supported (uint32); 1 today. */
  readonly version: number;
  /** Random salt for short transaction ids (uint64). */
  readonly salt: bigint;
}

/** Codec for `sendtxrcncl`. */
export const sendTxRcnclCodec: MessageCodec<SendTxRcnclMessage> = {
  command: "sendtxrcncl",
  encode(w, m) {
    checkUint("sendtxrcncl", "version", m.version, 0xffffffff);
    checkUint64("sendtxrcncl", "salt", m.salt);
    w.u32le(m.version);
    w.u64le(m.salt);
  },
  decode(r) {
    const version = r.u32le("version");
    const salt = r.u64le("salt");
    return { command: "sendtxrcncl", version, salt };
  },
  maxPayloadLength() {
    return 12;
  },
};

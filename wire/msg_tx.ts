// `tx`: one transaction, in the BIP 144 witness serialization when the codec context allows it
// and the transaction has witness data.
import type { MessageCodec } from "./_codec.ts";
import { MAX_BLOCK_PAYLOAD } from "./protocol.ts";
import { readTx, type Tx, writeTx } from "./tx.ts";

/**
 * `tx`: relays one transaction.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type TxMessage } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const tx = {
 *   version: 1,
 *   inputs: [{
 *     previousOutput: { hash: new Uint8Array(32), index: 0xffffffff },
 *     signatureScript: new Uint8Array([1, 2]),
 *     sequence: 0xffffffff,
 *     witness: [],
 *   }],
 *   outputs: [{ value: 50n, pkScript: new Uint8Array([0x51]) }],
 *   lockTime: 0,
 * };
 * const message: TxMessage = { command: "tx", tx };
 * const decoded = decodeMessage(encodeMessage(message));
 * assert(decoded.command === "tx");
 * assertEquals(decoded.tx.outputs[0].value, 50n);
 * ```
 */
export interface TxMessage {
  /** The command name. */
  readonly command: "tx";
  /** The transaction. */
  readonly tx: Tx;
}

/** Codec for `tx`. */
export const txCodec: MessageCodec<TxMessage> = {
  command: "tx",
  encode(w, m, ctx) {
    writeTx(w, m.tx, ctx.witness, "tx");
  },
  decode(r, ctx) {
    return { command: "tx", tx: readTx(r, ctx.witness) };
  },
  maxPayloadLength() {
    // btcd bounds a transaction by the largest block.
    return MAX_BLOCK_PAYLOAD;
  },
};

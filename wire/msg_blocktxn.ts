// `blocktxn` (BIP 152): the transactions a `getblocktxn` asked for, in the order asked. Like a
// block's, they are validated on decode and built when first read.
import type { MessageCodec } from "./_codec.ts";
import { checkHash } from "./_fields.ts";
import { readTxList, writeTxList } from "./block.ts";
import { MAX_PROTOCOL_MESSAGE_LENGTH } from "./protocol.ts";
import { MIN_TX_SIZE, type Tx } from "./tx.ts";

/**
 * `blocktxn` (BIP 152): answers `getblocktxn` with the requested transactions.
 *
 * @example
 * ```ts
 * import { type BlockTxnMessage, decodeMessage, encodeMessage } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const tx = {
 *   version: 2,
 *   inputs: [{
 *     previousOutput: { hash: new Uint8Array(32).fill(1), index: 0 },
 *     signatureScript: new Uint8Array(),
 *     sequence: 0xffffffff,
 *     witness: [new Uint8Array(72)],
 *   }],
 *   outputs: [{ value: 5000n, pkScript: new Uint8Array(22) }],
 *   lockTime: 0,
 * };
 * const message: BlockTxnMessage = {
 *   command: "blocktxn",
 *   blockHash: new Uint8Array(32).fill(5),
 *   transactions: [tx],
 * };
 * const decoded = decodeMessage(encodeMessage(message));
 * assert(decoded.command === "blocktxn");
 * assertEquals(decoded.transactions[0].outputs[0].value, 5000n);
 * assertEquals(decoded.transactions[0].inputs[0].witness.length, 1);
 * ```
 */
export interface BlockTxnMessage {
  /** The command name. */
  readonly command: "blocktxn";
  /** Hash of the block, 32 bytes in wire order. */
  readonly blockHash: Uint8Array;
  /** The requested transactions, in the order of the request's indexes. */
  readonly transactions: readonly Tx[];
}

// Bitcoin Core bounds the list only by the message size; so do we, through the smallest
// transaction that fits.
const MAX_TXS = Math.floor(MAX_PROTOCOL_MESSAGE_LENGTH / MIN_TX_SIZE);

/** Codec for `blocktxn`. */
export const blockTxnCodec: MessageCodec<BlockTxnMessage> = {
  command: "blocktxn",
  encode(w, m, ctx) {
    checkHash("blocktxn", "blockHash", m.blockHash);
    w.bytesRaw(m.blockHash);
    writeTxList(w, m.transactions, ctx.witness, MAX_TXS, "blocktxn");
  },
  decode(r, ctx) {
    const blockHash = r.hash("block hash");
    return { command: "blocktxn", blockHash, transactions: readTxList(r, ctx.witness, MAX_TXS) };
  },
  maxPayloadLength() {
    return MAX_PROTOCOL_MESSAGE_LENGTH;
  },
};

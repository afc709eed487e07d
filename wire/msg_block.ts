// `block`: one full block. Its transactions use the BIP 144 witness serialization when the
// codec context allows it (a peer asked with `MSG_WITNESS_BLOCK`), as btcd's blocks inherit the
// message encoding.
import type { MessageCodec } from "./_codec.ts";
import { type Block, readBlock, writeBlock } from "./block.ts";
import { MAX_BLOCK_PAYLOAD } from "./protocol.ts";

/**
 * `block`: a full block, sent in answer to `getdata`.
 *
 * Decoding validates every transaction but builds none: `transactions` holds lazy transactions
 * that are built the first time one of their fields is read.
 *
 * @example
 * ```ts
 * import { type BlockMessage, decodeMessage, encodeMessage } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const coinbase = {
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
 * const message: BlockMessage = {
 *   command: "block",
 *   header: {
 *     version: 1,
 *     prevBlock: new Uint8Array(32),
 *     merkleRoot: new Uint8Array(32),
 *     timestamp: 0,
 *     bits: 0,
 *     nonce: 0,
 *   },
 *   transactions: [coinbase],
 * };
 * const decoded = decodeMessage(encodeMessage(message));
 * assert(decoded.command === "block");
 * assertEquals(decoded.transactions[0].outputs[0].value, 50n);
 * ```
 */
export interface BlockMessage extends Block {
  /** The command name. */
  readonly command: "block";
}

/** Codec for `block`. */
export const blockCodec: MessageCodec<BlockMessage> = {
  command: "block",
  encode(w, m, ctx) {
    writeBlock(w, m, ctx.witness, "block");
  },
  decode(r, ctx) {
    const { header, transactions } = readBlock(r, ctx.witness);
    return { command: "block", header, transactions };
  },
  maxPayloadLength() {
    return MAX_BLOCK_PAYLOAD;
  },
};

// `getblocktxn` (BIP 152): asks for the transactions of a compact block the receiver could not
// reconstruct, by index. Indexes are differential on the wire (each is the gap since the
// previous one) and, as Bitcoin Core reads them, must stay within 16 bits.
import type { MessageCodec } from "./_codec.ts";
import { checkHash } from "./_fields.ts";

/**
 * `getblocktxn` (BIP 152): requests transactions of a block by their absolute indexes.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type GetBlockTxnMessage } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const message: GetBlockTxnMessage = {
 *   command: "getblocktxn",
 *   blockHash: new Uint8Array(32).fill(5),
 *   indexes: [1, 2, 10],
 * };
 * const decoded = decodeMessage(encodeMessage(message));
 * assert(decoded.command === "getblocktxn");
 * assertEquals(decoded.indexes, [1, 2, 10]); // sent differentially encoded, as BIP 152 says
 * ```
 */
export interface GetBlockTxnMessage {
  /** The command name. */
  readonly command: "getblocktxn";
  /** Hash of the block, 32 bytes in wire order. */
  readonly blockHash: Uint8Array;
  /** Absolute transaction indexes, strictly increasing, each at most 65535. */
  readonly indexes: readonly number[];
}

/** Largest transaction index BIP 152 messages can carry (Bitcoin Core reads them as uint16). */
export const MAX_BLOCK_TXN_INDEX = 0xffff;

/** Codec for `getblocktxn`. */
export const getBlockTxnCodec: MessageCodec<GetBlockTxnMessage> = {
  command: "getblocktxn",
  encode(w, m) {
    checkHash("getblocktxn", "blockHash", m.blockHash);
    const indexes = m.indexes;
    const n = indexes.length;
    if (n > MAX_BLOCK_TXN_INDEX + 1) {
      throw new RangeError(
        `Cannot encode "getblocktxn": ${n} indexes exceed the limit of ${MAX_BLOCK_TXN_INDEX + 1}`,
      );
    }
    w.bytesRaw(m.blockHash);
    w.varInt(n);
    let next = 0;
    for (let i = 0; i < n; i++) {
      const index = indexes[i];
      if (!Number.isInteger(index) || index < next || index > MAX_BLOCK_TXN_INDEX) {
        throw new RangeError(
          `Cannot encode "getblocktxn": indexes[${i}] ${index} must be an integer in ${next}..${MAX_BLOCK_TXN_INDEX} (strictly increasing)`,
        );
      }
      w.varInt(index - next);
      next = index + 1;
    }
  },
  decode(r) {
    const blockHash = r.hash("block hash");
    // Strictly increasing 16-bit indexes: at most 65,536 of them, at least a byte each.
    const n = r.count(MAX_BLOCK_TXN_INDEX + 1, "indexes");
    if (n > r.remaining) r.need(n, "indexes");
    const indexes = new Array<number>(n);
    let next = 0;
    for (let i = 0; i < n; i++) {
      const index = next + r.varInt("index");
      // Bitcoin Core's DifferenceFormatter: "differential value overflow" past 16 bits.
      if (index > MAX_BLOCK_TXN_INDEX) {
        r.fail("limit-exceeded", `index ${index} exceeds the limit of ${MAX_BLOCK_TXN_INDEX}`);
      }
      indexes[i] = index;
      next = index + 1;
    }
    return { command: "getblocktxn", blockHash, indexes };
  },
  maxPayloadLength() {
    // Block hash, a 5-byte count of 65,536 and 65,536 one-byte gaps: wider gaps mean fewer
    // indexes, and a 3-byte gap spends at least 253 of the 16-bit range.
    return 32 + 5 + (MAX_BLOCK_TXN_INDEX + 1);
  },
};

// A reference to one output of an earlier transaction: what a transaction input spends.

/**
 * An outpoint: the txid of a transaction and the index of one of its outputs.
 *
 * @example
 * ```ts
 * import { hashToHex, hexToHash, type OutPoint } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const txid = "bb41a757f405890fb0f5856228e23b715702d714d59bf2b1feb70d8b2b4e3e08";
 * const spent: OutPoint = { hash: hexToHash(txid), index: 0 };
 * assertEquals(hashToHex(spent.hash), txid);
 * assertEquals(spent.index, 0);
 * ```
 */
export interface OutPoint {
  /** The txid of the transaction that created the output, 32 bytes in wire order. */
  readonly hash: Uint8Array;
  /** The output's position in that transaction (uint32; 0xffffffff in a coinbase). */
  readonly index: number;
}

/** Bytes in a serialized outpoint: a 32-byte txid and a uint32 index. */
export const OUTPOINT_SIZE = 36;

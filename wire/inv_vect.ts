// Inventory vectors: `type u32le | hash [32]byte`, 36 bytes each, as listed by `inv`, `getdata`
// and `notfound`. Their codec (lazy decoding, run copying on re-encode) is in `_inv_list.ts`.

/**
 * One inventory vector: what kind of object (`InvType`) and its hash.
 *
 * Decoded vectors are lazy objects whose `hash` is a view made on first access and whose
 * `toJSON()` shows the hash as display hex; plain object literals work for encoding.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, InvType, type InvVect } from "@btcstream/p2p/wire";
 * const entry: InvVect = { type: InvType.WITNESS_TX, hash: new Uint8Array(32).fill(1) };
 * const inv = decodeMessage(encodeMessage({ command: "inv", inventory: [entry] }));
 * if (inv.command === "inv") console.log(JSON.stringify(inv.inventory[0]));
 * // {"type":1073741825,"hash":"0101010101010101010101010101010101010101010101010101010101010101"}
 * ```
 */
export interface InvVect {
  /** The object's type (uint32): one of `InvType`, possibly with `InvType.WITNESS_FLAG`. */
  readonly type: number;
  /** The object's hash (txid, wtxid or block hash), 32 bytes in wire order. */
  readonly hash: Uint8Array;
}

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
 * import { assert, assertEquals } from "@std/assert";
 * const entry: InvVect = { type: InvType.WITNESS_TX, hash: new Uint8Array(32).fill(1) };
 * const inv = decodeMessage(encodeMessage({ command: "inv", inventory: [entry] }));
 * assert(inv.command === "inv");
 * assertEquals(inv.inventory[0].type, InvType.WITNESS_TX);
 * assertEquals(inv.inventory[0].hash, entry.hash);
 * // As JSON, the hash is hex in display order.
 * const json = `{"type":1073741825,"hash":"${"01".repeat(32)}"}`;
 * assertEquals(JSON.stringify(inv.inventory[0]), json);
 * ```
 */
export interface InvVect {
  /** The object's type (uint32): one of `InvType`, possibly with `InvType.WITNESS_FLAG`. */
  readonly type: number;
  /** The object's hash (txid, wtxid or block hash), 32 bytes in wire order. */
  readonly hash: Uint8Array;
}

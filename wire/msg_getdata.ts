// `getdata`: requests the objects an `inv` announced (or blocks found by other means).
import type { MessageCodec } from "./_codec.ts";
import { invListCodec } from "./_inv_list.ts";
import type { InvVect } from "./inv_vect.ts";

/**
 * `getdata`: asks for objects by type and hash; at most 50,000 entries. BIP 144: set
 * `InvType.WITNESS_FLAG` on the type to get witness data.
 *
 * A decoded one builds its entries when `inventory` is first read (a getter, as a block's
 * transactions are lazy): `{ ...message }` does not copy it, so name the field when copying.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type GetDataMessage, InvType } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const getdata: GetDataMessage = {
 *   command: "getdata",
 *   inventory: [{ type: InvType.WITNESS_BLOCK, hash: new Uint8Array(32) }],
 * };
 * const decoded = decodeMessage(encodeMessage(getdata));
 * assert(decoded.command === "getdata");
 * assertEquals(decoded.inventory[0].type, InvType.WITNESS_BLOCK); // 0x40000002
 * ```
 */
export interface GetDataMessage {
  /** Always `"getdata"`. */
  readonly command: "getdata";
  /** The requested objects. */
  readonly inventory: readonly InvVect[];
}

/** Codec for `getdata`. */
export const getDataCodec: MessageCodec<GetDataMessage> = invListCodec("getdata");

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
 * import { decodeMessage, encodeMessage, InvType, type GetDataMessage } from "@btcstream/p2p/wire";
 * const getdata: GetDataMessage = {
 *   command: "getdata",
 *   inventory: [{ type: InvType.WITNESS_BLOCK, hash: new Uint8Array(32) }],
 * };
 * const decoded = decodeMessage(encodeMessage(getdata));
 * if (decoded.command === "getdata") console.log(decoded.inventory[0].type); // 1073741826
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

// `inv`: announces transactions and blocks the sender has (or answers `getblocks`).
import type { MessageCodec } from "./_codec.ts";
import { invListCodec } from "./_inv_list.ts";
import type { InvVect } from "./inv_vect.ts";

/**
 * `inv`: announces objects (transactions, blocks) by type and hash; at most 50,000 entries.
 *
 * A decoded one builds its entries when `inventory` is first read (a getter, as a block's
 * transactions are lazy): `{ ...message }` does not copy it, so name the field when copying.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, InvType, type InvMessage } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const inv: InvMessage = {
 *   command: "inv",
 *   inventory: [{ type: InvType.BLOCK, hash: new Uint8Array(32) }],
 * };
 * const decoded = decodeMessage(encodeMessage(inv));
 * assert(decoded.command === "inv");
 * assertEquals(decoded.inventory.length, 1);
 * assertEquals(decoded.inventory[0].type, InvType.BLOCK);
 * ```
 */
export interface InvMessage {
  /** Always `"inv"`. */
  readonly command: "inv";
  /** The announced objects. */
  readonly inventory: readonly InvVect[];
}

/** Codec for `inv`. */
export const invCodec: MessageCodec<InvMessage> = invListCodec("inv");

// `notfound`: the answer to the parts of a `getdata` the peer cannot serve.
import type { MessageCodec } from "./_codec.ts";
import { invListCodec } from "./_inv_list.ts";
import type { InvVect } from "./inv_vect.ts";

/**
 * `notfound`: lists the requested objects the peer does not have; at most 50,000 entries.
 *
 * A decoded one builds its entries when `inventory` is first read (a getter, as a block's
 * transactions are lazy): `{ ...message }` does not copy it, so name the field when copying.
 *
 * @example
 * ```ts
 * import {
 *   decodeMessage,
 *   encodeMessage,
 *   InvType,
 *   type NotFoundMessage,
 * } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const notfound: NotFoundMessage = {
 *   command: "notfound",
 *   inventory: [{ type: InvType.TX, hash: new Uint8Array(32) }],
 * };
 * const decoded = decodeMessage(encodeMessage(notfound));
 * assert(decoded.command === "notfound");
 * assertEquals(decoded.inventory.length, 1);
 * ```
 */
export interface NotFoundMessage {
  /** Always `"notfound"`. */
  readonly command: "notfound";
  /** The objects the peer cannot provide. */
  readonly inventory: readonly InvVect[];
}

/** Codec for `notfound`. */
export const notFoundCodec: MessageCodec<NotFoundMessage> = invListCodec("notfound");

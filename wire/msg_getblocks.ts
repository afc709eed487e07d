// `getblocks`: asks for an `inv` of the blocks that follow the best block the locator shares
// with the peer's chain, up to 500 or `hashStop`.
import type { MessageCodec } from "./_codec.ts";
import { locatorCodec } from "./_locator.ts";

/**
 * `getblocks`: requests block inventory after the first locator hash the peer knows.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type GetBlocksMessage } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const getblocks: GetBlocksMessage = {
 *   command: "getblocks",
 *   protocolVersion: 70016,
 *   locator: [new Uint8Array(32).fill(7)],
 *   hashStop: new Uint8Array(32),
 * };
 * const decoded = decodeMessage(encodeMessage(getblocks));
 * assert(decoded.command === "getblocks");
 * assertEquals(decoded.locator, [new Uint8Array(32).fill(7)]);
 * ```
 */
export interface GetBlocksMessage {
  /** Always `"getblocks"`. */
  readonly command: "getblocks";
  /**
   * The locator's own version field (uint32). Bitcoin Core ignores it and its test framework
   * sends 0; btcd and older clients send their protocol version.
   */
  readonly protocolVersion: number;
  /** Block hashes from the tip back towards genesis (wire order), at most 500. */
  readonly locator: readonly Uint8Array[];
  /** Last block wanted, or 32 zero bytes for as many as allowed. */
  readonly hashStop: Uint8Array;
}

/** Codec for `getblocks`. */
export const getBlocksCodec: MessageCodec<GetBlocksMessage> = locatorCodec("getblocks");

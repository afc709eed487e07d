// `getheaders`: asks for a `headers` message with the headers that follow the best block the
// locator shares with the peer's chain, up to 2000 or `hashStop`.
import type { MessageCodec } from "./_codec.ts";
import { locatorCodec } from "./_locator.ts";

/**
 * `getheaders`: requests block headers after the first locator hash the peer knows.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type GetHeadersMessage } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const getheaders: GetHeadersMessage = {
 *   command: "getheaders",
 *   protocolVersion: 70016,
 *   locator: [new Uint8Array(32).fill(7)],
 *   hashStop: new Uint8Array(32),
 * };
 * const decoded = decodeMessage(encodeMessage(getheaders));
 * assert(decoded.command === "getheaders");
 * assertEquals(decoded.protocolVersion, 70016);
 * assertEquals(decoded.locator.length, 1);
 * ```
 */
export interface GetHeadersMessage {
  /** Always `"getheaders"`. */
  readonly command: "getheaders";
  /**
   * The locator's own version field (uint32). Bitcoin Core ignores it and its test framework
   * sends 0; btcd and older clients send their protocol version.
   */
  readonly protocolVersion: number;
  /** Block hashes from the tip back towards genesis (wire order), at most 500. */
  readonly locator: readonly Uint8Array[];
  /** Last header wanted, or 32 zero bytes for as many as allowed. */
  readonly hashStop: Uint8Array;
}

/** Codec for `getheaders`. */
export const getHeadersCodec: MessageCodec<GetHeadersMessage> = locatorCodec("getheaders");

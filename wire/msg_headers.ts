// `headers`: up to 2,000 block headers answering `getheaders`. Each header is followed by a
// transaction count that must be zero (the message reuses the block serialization with no
// transactions), as btcd and Bitcoin Core require.
import type { MessageCodec } from "./_codec.ts";
import {
  BLOCK_HEADER_SIZE,
  type BlockHeader,
  readBlockHeader,
  writeBlockHeader,
} from "./block_header.ts";
import { MAX_BLOCK_HEADERS_PER_MSG } from "./protocol.ts";

/**
 * `headers`: block headers in chain order, answering `getheaders`.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type HeadersMessage } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const header = {
 *   version: 4,
 *   prevBlock: new Uint8Array(32),
 *   merkleRoot: new Uint8Array(32),
 *   timestamp: 1700000000,
 *   bits: 0x17034219,
 *   nonce: 7,
 * };
 * const message: HeadersMessage = { command: "headers", headers: [header] };
 * const decoded = decodeMessage(encodeMessage(message));
 * assert(decoded.command === "headers");
 * assertEquals(decoded.headers[0].nonce, 7);
 * ```
 */
export interface HeadersMessage {
  /** The command name. */
  readonly command: "headers";
  /** The headers, at most `MAX_BLOCK_HEADERS_PER_MSG`. */
  readonly headers: readonly BlockHeader[];
}

// A header plus its one-byte zero transaction count.
const ENTRY_SIZE = BLOCK_HEADER_SIZE + 1;

/** Codec for `headers`. */
export const headersCodec: MessageCodec<HeadersMessage> = {
  command: "headers",
  encode(w, m) {
    const n = m.headers.length;
    if (n > MAX_BLOCK_HEADERS_PER_MSG) {
      throw new RangeError(
        `Cannot encode "headers": ${n} headers exceed the limit of ${MAX_BLOCK_HEADERS_PER_MSG}`,
      );
    }
    w.varInt(n);
    w.reserve(n * ENTRY_SIZE);
    for (let i = 0; i < n; i++) {
      writeBlockHeader(w, m.headers[i], "headers");
      w.u8(0);
    }
  },
  decode(r) {
    const n = r.count(MAX_BLOCK_HEADERS_PER_MSG, "headers");
    if (n * ENTRY_SIZE > r.remaining) r.need(n * ENTRY_SIZE, "headers");
    const headers = new Array<BlockHeader>(n);
    for (let i = 0; i < n; i++) {
      headers[i] = readBlockHeader(r);
      const txCount = r.varInt("transaction count");
      if (txCount !== 0) {
        r.fail("invalid-value", `header ${i} has a transaction count of ${txCount}, not 0`);
      }
    }
    return { command: "headers", headers };
  },
  maxPayloadLength() {
    // CompactSize of 2000 (3 bytes) and 2000 headers with their zero count.
    return 3 + MAX_BLOCK_HEADERS_PER_MSG * ENTRY_SIZE;
  },
};

// `merkleblock` (BIP 37): a block header with the partial merkle tree that proves which of its
// transactions match the peer's bloom filter. Not defined before protocol 70001.
import type { MessageCodec } from "./_codec.ts";
import { readHashes, writeHashes } from "./_fields.ts";
import { MAX_TX_PER_BLOCK } from "./block.ts";
import { type BlockHeader, readBlockHeader, writeBlockHeader } from "./block_header.ts";
import { BIP0037_VERSION, MAX_BLOCK_PAYLOAD } from "./protocol.ts";

/**
 * `merkleblock` (BIP 37): a filtered block, answering `getdata` with `MSG_FILTERED_BLOCK`.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type MerkleBlockMessage } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const message: MerkleBlockMessage = {
 *   command: "merkleblock",
 *   header: {
 *     version: 1,
 *     prevBlock: new Uint8Array(32),
 *     merkleRoot: new Uint8Array(32).fill(3),
 *     timestamp: 0,
 *     bits: 0,
 *     nonce: 0,
 *   },
 *   totalTransactions: 1,
 *   hashes: [new Uint8Array(32).fill(3)],
 *   flags: new Uint8Array([1]),
 * };
 * const decoded = decodeMessage(encodeMessage(message));
 * assert(decoded.command === "merkleblock");
 * assertEquals(decoded.hashes, [new Uint8Array(32).fill(3)]);
 * ```
 */
export interface MerkleBlockMessage {
  /** The command name. */
  readonly command: "merkleblock";
  /** The block's header. */
  readonly header: BlockHeader;
  /** Transactions in the whole block (uint32). */
  readonly totalTransactions: number;
  /** The partial merkle tree's hashes, depth first, 32 bytes each in wire order. */
  readonly hashes: readonly Uint8Array[];
  /** The partial merkle tree's flag bits, least significant bit first. */
  readonly flags: Uint8Array;
}

/** Most flag bytes in a `merkleblock`: one bit per possible transaction (btcd's bound). */
export const MAX_FLAGS_PER_MERKLE_BLOCK: number = Math.floor(MAX_TX_PER_BLOCK / 8);

/** Codec for `merkleblock`. */
export const merkleBlockCodec: MessageCodec<MerkleBlockMessage> = {
  command: "merkleblock",
  encode(w, m, ctx) {
    if (ctx.protocolVersion < BIP0037_VERSION) {
      throw new RangeError(
        `Cannot encode "merkleblock": protocol ${ctx.protocolVersion} predates BIP 37`,
      );
    }
    const total = m.totalTransactions;
    if ((total >>> 0) !== total) {
      throw new RangeError(
        `Cannot encode "merkleblock": totalTransactions must be an integer in 0..4294967295`,
      );
    }
    const flags = m.flags;
    if (!(flags instanceof Uint8Array)) {
      throw new TypeError(`Cannot encode "merkleblock": flags must be a Uint8Array`);
    }
    if (flags.length > MAX_FLAGS_PER_MERKLE_BLOCK) {
      throw new RangeError(
        `Cannot encode "merkleblock": flags of ${flags.length} bytes exceeds the limit of ${MAX_FLAGS_PER_MERKLE_BLOCK}`,
      );
    }
    writeBlockHeader(w, m.header, "merkleblock");
    w.u32le(total);
    writeHashes(w, m.hashes, MAX_TX_PER_BLOCK, "merkleblock", "hashes", "hashes");
    w.varBytes(flags);
  },
  decode(r, ctx) {
    if (ctx.protocolVersion < BIP0037_VERSION) {
      r.fail("unsupported-version", `protocol ${ctx.protocolVersion} predates BIP 37`);
    }
    const header = readBlockHeader(r);
    const totalTransactions = r.u32le("total transactions");
    const n = r.count(MAX_TX_PER_BLOCK, "hashes");
    const hashes = readHashes(r, n, "hashes");
    const flags = r.varBytes(MAX_FLAGS_PER_MERKLE_BLOCK, "flags");
    return { command: "merkleblock", header, totalTransactions, hashes, flags };
  },
  maxPayloadLength(pver) {
    // btcd bounds it by the largest block; nothing before BIP 37.
    return pver >= BIP0037_VERSION ? MAX_BLOCK_PAYLOAD : 0;
  },
};

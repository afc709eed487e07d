// `cmpctblock` (BIP 152): a block header, a SipHash nonce, 6-byte short ids for the
// transactions the receiver probably has, and the transactions it probably lacks (prefilled).
// Prefilled indexes are differential on the wire: each is the gap since the previous one.
import type { MessageCodec } from "./_codec.ts";
import { type BlockHeader, readBlockHeader, writeBlockHeader } from "./block_header.ts";
import { MAX_PROTOCOL_MESSAGE_LENGTH } from "./protocol.ts";
import { MIN_TX_SIZE, readLazyTx, type Tx, writeTx } from "./tx.ts";

/** A transaction sent in full inside a `cmpctblock`, with its absolute index in the block. */
export interface PrefilledTx {
  /** Position of the transaction in the block (absolute, 0 = coinbase). */
  readonly index: number;
  /** The transaction. */
  readonly tx: Tx;
}

/**
 * `cmpctblock` (BIP 152): a block announced by short transaction ids.
 *
 * @example
 * ```ts
 * import { type CmpctBlockMessage, decodeMessage, encodeMessage } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const coinbase = {
 *   version: 1,
 *   inputs: [{
 *     previousOutput: { hash: new Uint8Array(32), index: 0xffffffff },
 *     signatureScript: new Uint8Array([1, 2]),
 *     sequence: 0xffffffff,
 *     witness: [],
 *   }],
 *   outputs: [],
 *   lockTime: 0,
 * };
 * const message: CmpctBlockMessage = {
 *   command: "cmpctblock",
 *   header: {
 *     version: 1,
 *     prevBlock: new Uint8Array(32),
 *     merkleRoot: new Uint8Array(32),
 *     timestamp: 0,
 *     bits: 0,
 *     nonce: 0,
 *   },
 *   nonce: 42n,
 *   shortIds: [0x0102030405, 7], // 6-byte short ids, as numbers
 *   prefilledTransactions: [{ index: 0, tx: coinbase }],
 * };
 * const decoded = decodeMessage(encodeMessage(message));
 * assert(decoded.command === "cmpctblock");
 * assertEquals(decoded.shortIds, [0x0102030405, 7]);
 * assertEquals(decoded.prefilledTransactions[0].index, 0);
 * ```
 */
export interface CmpctBlockMessage {
  /** The command name. */
  readonly command: "cmpctblock";
  /** The block's header. */
  readonly header: BlockHeader;
  /** Nonce keying the short-id SipHash (uint64). */
  readonly nonce: bigint;
  /** 6-byte short transaction ids, as numbers below 2^48. */
  readonly shortIds: readonly number[];
  /** Transactions sent in full, in increasing index order. */
  readonly prefilledTransactions: readonly PrefilledTx[];
}

/** Bytes in a BIP 152 short transaction id. */
export const SHORT_ID_SIZE = 6;
/** Most transactions a compact block can describe: indexes are 16-bit (Bitcoin Core). */
export const MAX_CMPCT_BLOCK_TXS = 0xffff;

/** Codec for `cmpctblock`. */
export const cmpctBlockCodec: MessageCodec<CmpctBlockMessage> = {
  command: "cmpctblock",
  encode(w, m, ctx) {
    const { shortIds, prefilledTransactions: prefilled } = m;
    const total = shortIds.length + prefilled.length;
    if (total > MAX_CMPCT_BLOCK_TXS) {
      throw new RangeError(
        `Cannot encode "cmpctblock": ${total} transactions exceed the limit of ${MAX_CMPCT_BLOCK_TXS}`,
      );
    }
    writeBlockHeader(w, m.header, "cmpctblock");
    if (typeof m.nonce !== "bigint" || BigInt.asUintN(64, m.nonce) !== m.nonce) {
      throw new RangeError(`Cannot encode "cmpctblock": nonce must be a bigint in 0..2^64-1`);
    }
    w.u64le(m.nonce);
    w.varInt(shortIds.length);
    w.reserve(shortIds.length * SHORT_ID_SIZE);
    for (let i = 0; i < shortIds.length; i++) {
      const id = shortIds[i];
      if (!Number.isInteger(id) || id < 0 || id > 0xffffffffffff) {
        throw new RangeError(
          `Cannot encode "cmpctblock": shortIds[${i}] must be an integer in 0..2^48-1`,
        );
      }
      w.u32le(id % 0x100000000);
      w.u16le(Math.floor(id / 0x100000000));
    }
    w.varInt(prefilled.length);
    let next = 0;
    for (let i = 0; i < prefilled.length; i++) {
      const { index, tx } = prefilled[i];
      if (!Number.isInteger(index) || index < next || index >= total) {
        throw new RangeError(
          `Cannot encode "cmpctblock": prefilledTransactions[${i}].index ${index} must be an integer in ${next}..${
            total - 1
          } (increasing, within the block)`,
        );
      }
      w.varInt(index - next);
      next = index + 1;
      writeTx(w, tx, ctx.witness, "cmpctblock");
    }
  },
  decode(r, ctx) {
    const header = readBlockHeader(r);
    const nonce = r.u64le("nonce");
    const nIds = r.count(MAX_CMPCT_BLOCK_TXS, "short ids");
    if (nIds * SHORT_ID_SIZE > r.remaining) r.need(nIds * SHORT_ID_SIZE, "short ids");
    const shortIds = new Array<number>(nIds);
    const view = r.view;
    let p = r.pos;
    for (let i = 0; i < nIds; i++) {
      shortIds[i] = view.getUint32(p, true) + view.getUint16(p + 4, true) * 0x100000000;
      p += SHORT_ID_SIZE;
    }
    r.pos = p;
    // As Bitcoin Core: the whole block's transaction count must fit 16-bit indexes.
    const nPrefilled = r.count(MAX_CMPCT_BLOCK_TXS - nIds, "prefilled transactions");
    if (nPrefilled * (1 + MIN_TX_SIZE) > r.remaining) {
      r.need(nPrefilled * (1 + MIN_TX_SIZE), "prefilled transactions");
    }
    const total = nIds + nPrefilled;
    const prefilledTransactions = new Array<PrefilledTx>(nPrefilled);
    let next = 0;
    for (let i = 0; i < nPrefilled; i++) {
      const diff = r.varInt("prefilled index");
      const index = next + diff;
      // Bitcoin Core reads each gap into a uint16 and rejects an absolute index past 16 bits
      // or past the block's last transaction (`PartiallyDownloadedBlock::InitData`).
      if (diff > 0xffff || index > 0xffff) {
        r.fail("limit-exceeded", `prefilled index ${index} exceeds the limit of 65535`);
      }
      if (index >= total) {
        r.fail(
          "invalid-value",
          `prefilled index ${index} is past the block's ${total} transactions`,
        );
      }
      prefilledTransactions[i] = { index, tx: readLazyTx(r, ctx.witness) };
      next = index + 1;
    }
    return { command: "cmpctblock", header, nonce, shortIds, prefilledTransactions };
  },
  maxPayloadLength() {
    return MAX_PROTOCOL_MESSAGE_LENGTH;
  },
};

// Blocks: an 80-byte header, a CompactSize transaction count and the transactions.
//
// Decoding a block must cost far less than checksumming it, so it builds no transaction: it
// scans each one (every varint, length, limit and BIP 144 rule checked, nothing allocated) and
// returns lazy transactions that are built from their bytes when first read.
import { ByteReader } from "./_reader.ts";
import { ByteWriter } from "./_writer.ts";
import { doubleSha256Small } from "./_sha256.ts";
import { type BlockHeader, readBlockHeader, writeBlockHeader } from "./block_header.ts";
import { MAX_BLOCK_PAYLOAD } from "./protocol.ts";
import {
  MIN_TX_SIZE,
  readLazyTx,
  serializeSize,
  type Tx,
  type TxEncodingOptions,
  txid,
  writeTx,
} from "./tx.ts";

/**
 * A block: its header and its transactions.
 *
 * Decoded blocks hold lazy transactions: each is checked when the block is decoded and built
 * the first time one of its fields is read.
 *
 * @example
 * ```ts
 * import { type Block, checkMerkleRoot, decodeBlock, encodeBlock } from "@btcstream/p2p/wire";
 * import { assertEquals, assertFalse } from "@std/assert";
 * const coinbase = {
 *   version: 1,
 *   inputs: [{
 *     previousOutput: { hash: new Uint8Array(32), index: 0xffffffff },
 *     signatureScript: new Uint8Array([1, 2]),
 *     sequence: 0xffffffff,
 *     witness: [],
 *   }],
 *   outputs: [{ value: 50n, pkScript: new Uint8Array([0x51]) }],
 *   lockTime: 0,
 * };
 * const block: Block = {
 *   header: {
 *     version: 1,
 *     prevBlock: new Uint8Array(32),
 *     merkleRoot: new Uint8Array(32),
 *     timestamp: 0,
 *     bits: 0,
 *     nonce: 0,
 *   },
 *   transactions: [coinbase],
 * };
 * const decoded = decodeBlock(encodeBlock(block));
 * assertEquals(decoded.transactions.length, 1);
 * assertFalse(checkMerkleRoot(decoded)); // the header's merkle root is all zeros
 * ```
 */
export interface Block {
  /** The block header. */
  readonly header: BlockHeader;
  /** The transactions, coinbase first. */
  readonly transactions: readonly Tx[];
}

/** Most transactions a block message can hold (btcd's `maxTxPerBlock`). */
export const MAX_TX_PER_BLOCK: number = Math.floor(MAX_BLOCK_PAYLOAD / MIN_TX_SIZE) + 1;

/**
 * Reads a CompactSize count and that many lazy transactions (internal to `wire/`).
 *
 * @param r The payload reader, at the count.
 * @param witness Whether BIP 144 witness serialization is allowed.
 * @param max The most transactions allowed.
 * @returns The transactions, a real array of lazily built `Tx`.
 */
export function readTxList(r: ByteReader, witness: boolean, max: number): Tx[] {
  const n = r.count(max, "transactions");
  if (n * MIN_TX_SIZE > r.end - r.pos) r.need(n * MIN_TX_SIZE, "transactions");
  const txs = new Array<Tx>(n);
  for (let i = 0; i < n; i++) txs[i] = readLazyTx(r, witness);
  return txs;
}

/**
 * Writes a CompactSize count and the transactions (internal to `wire/`).
 *
 * @param w The payload writer.
 * @param txs The transactions.
 * @param witness Whether to use the BIP 144 serialization for transactions with witness data.
 * @param max The most transactions allowed.
 * @param command The command being encoded, for error messages.
 * @throws {RangeError} More than `max` transactions, or an invalid transaction field.
 * @throws {TypeError} A transaction field of the wrong type.
 */
export function writeTxList(
  w: ByteWriter,
  txs: readonly Tx[],
  witness: boolean,
  max: number,
  command: string,
): void {
  const n = txs.length;
  if (n > max) {
    throw new RangeError(
      `Cannot encode "${command}": ${n} transactions exceed the limit of ${max}`,
    );
  }
  w.varInt(n);
  for (let i = 0; i < n; i++) writeTx(w, txs[i], witness, command);
}

/**
 * Reads a block (internal to `wire/`: the `block` codec calls it).
 *
 * @param r The payload reader, at the header.
 * @param witness Whether BIP 144 witness serialization is allowed.
 * @returns The block, with lazy transactions.
 */
export function readBlock(r: ByteReader, witness: boolean): Block {
  const header = readBlockHeader(r);
  return { header, transactions: readTxList(r, witness, MAX_TX_PER_BLOCK) };
}

/**
 * Writes a block (internal to `wire/`: the `block` codec calls it).
 *
 * @param w The payload writer.
 * @param block The block.
 * @param witness Whether to use the BIP 144 serialization for transactions with witness data.
 * @param command The command being encoded, for error messages.
 */
export function writeBlock(w: ByteWriter, block: Block, witness: boolean, command: string): void {
  writeBlockHeader(w, block.header, command);
  writeTxList(w, block.transactions, witness, MAX_TX_PER_BLOCK, command);
}

/**
 * Parses a serialized block (header, transaction count, transactions).
 *
 * @param bytes The block's bytes, nothing before or after.
 * @param options `witness: false` reads every transaction in the legacy serialization only.
 * @returns The block; its transactions are validated now and built when first read.
 * @throws {MessageError} `truncated`, `limit-exceeded`, `invalid-value`,
 *   `non-canonical-varint` or `trailing-bytes`.
 *
 * @example
 * ```ts
 * import { decodeBlock } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const bytes = new Uint8Array(81); // a header and a zero transaction count
 * assertEquals(decodeBlock(bytes).transactions.length, 0);
 * ```
 */
export function decodeBlock(bytes: Uint8Array, options: TxEncodingOptions = {}): Block {
  const r = new ByteReader(bytes, "block");
  const block = readBlock(r, options.witness !== false);
  r.expectEnd();
  return block;
}

/**
 * Serializes a block. Decoded, unchanged transactions are copied from their original bytes.
 *
 * @param block The block.
 * @param options `witness: false` writes every transaction in the legacy serialization.
 * @returns The serialized block.
 * @throws {TypeError} A field of the wrong type.
 * @throws {RangeError} A field outside its range, or a list over its limit.
 *
 * @example
 * ```ts
 * import { encodeBlock } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const header = {
 *   version: 1,
 *   prevBlock: new Uint8Array(32),
 *   merkleRoot: new Uint8Array(32),
 *   timestamp: 0,
 *   bits: 0,
 *   nonce: 0,
 * };
 * assertEquals(encodeBlock({ header, transactions: [] }).length, 81); // 80 + a zero count
 * ```
 */
export function encodeBlock(block: Block, options: TxEncodingOptions = {}): Uint8Array {
  const witness = options.witness !== false;
  let size = 89;
  for (const tx of block.transactions) size += serializeSize(tx, { witness });
  const w = new ByteWriter(size);
  writeBlock(w, block, witness, "block");
  return w.finish();
}

/**
 * The merkle root of a list of hashes, as Bitcoin computes it: pairs are double-SHA-256'd level
 * by level, an odd level's last hash paired with itself.
 *
 * @param hashes The leaves (txids for a block header), 32 bytes each in wire order.
 * @returns The 32-byte root; all zeros for an empty list (as Bitcoin Core).
 *
 * @example
 * ```ts
 * import { merkleRoot } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const leaf = new Uint8Array(32).fill(9);
 * assertEquals(merkleRoot([leaf]), leaf); // one transaction: its txid is the root
 * ```
 */
export function merkleRoot(hashes: readonly Uint8Array[]): Uint8Array {
  const n = hashes.length;
  if (n === 0) return new Uint8Array(32);
  if (n === 1) return hashes[0].slice();
  // One buffer holds a level; each pair is hashed into the first half of the next.
  let level = new Uint8Array(n * 32 + 32);
  for (let i = 0; i < n; i++) level.set(hashes[i], i * 32);
  let count = n;
  while (count > 1) {
    if (count % 2 === 1) {
      level.copyWithin(count * 32, (count - 1) * 32, count * 32);
      count++;
    }
    const next = new Uint8Array((count / 2) * 32 + 32);
    for (let i = 0; i < count; i += 2) {
      next.set(doubleSha256Small(level, i * 32, i * 32 + 64), (i / 2) * 32);
    }
    level = next;
    count /= 2;
  }
  return level.slice(0, 32);
}

/**
 * Whether a block's header commits to its transactions: the merkle root of their txids equals
 * `header.merkleRoot`.
 *
 * @param block The block.
 * @returns True when the roots match.
 *
 * @example
 * ```ts
 * import { checkMerkleRoot, merkleRoot, txid } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * const tx = { version: 1, inputs: [], outputs: [], lockTime: 0 };
 * const header = {
 *   version: 1,
 *   prevBlock: new Uint8Array(32),
 *   merkleRoot: merkleRoot([txid(tx)]),
 *   timestamp: 0,
 *   bits: 0,
 *   nonce: 0,
 * };
 * assert(checkMerkleRoot({ header, transactions: [tx] }));
 * ```
 */
export function checkMerkleRoot(block: Block): boolean {
  const root = merkleRoot(block.transactions.map(txid));
  const expected = block.header.merkleRoot;
  if (expected.length !== 32) return false;
  for (let i = 0; i < 32; i++) if (root[i] !== expected[i]) return false;
  return true;
}

// Transactions: `version i32 | [marker 0x00 | flag 0x01] | inputs | outputs | [witnesses] |
// lockTime u32` (BIP 144 adds the bracketed parts when a transaction has witness data).
//
// This is the public face; the machinery sits in private files along the data flow. Decoding is
// split in two: `_tx_scan.ts` walks one transaction's varints and lengths, enforces every limit
// and the BIP 144 rules, and allocates nothing; `_tx_build.ts` then makes the objects from bytes
// already known to be well formed. Blocks scan every transaction up front and build each one only
// when it is first read (`_tx_lazy.ts`). Both kinds of decoded transaction remember the bytes they
// came from (`_tx_source.ts`), so `txid` hashes those bytes and `encodeTx` copies them instead of
// serializing again; only a transaction the caller built goes through `_tx_write.ts`.
import { ByteReader } from "./_reader.ts";
import { ByteWriter } from "./_writer.ts";
import { doubleSha256SmallRanges, SMALL_INPUT_MAX } from "./_sha256.ts";
import { buildTx } from "./_tx_build.ts";
import { LazyTx } from "./_tx_lazy.ts";
import { scannedWitnessStart, scanTx } from "./_tx_scan.ts";
import { sourceOf, TxSource } from "./_tx_source.ts";
import { copyRange, writeTxFields } from "./_tx_write.ts";
import { doubleSha256Parts, doubleSha256Range } from "./hash.ts";
import type { OutPoint } from "./outpoint.ts";

export {
  MAX_SCRIPT_SIZE,
  MAX_TX_IN_PER_TX,
  MAX_TX_OUT_PER_TX,
  MAX_WITNESS_ITEM_SIZE,
  MAX_WITNESS_ITEMS_PER_INPUT,
  MIN_TX_IN_SIZE,
  MIN_TX_OUT_SIZE,
  MIN_TX_SIZE,
} from "./_tx_limits.ts";

/**
 * A transaction input.
 *
 * @example
 * ```ts
 * import type { TxIn } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * // A coinbase input: it spends nothing (a zero hash, index 0xffffffff).
 * const input: TxIn = {
 *   previousOutput: { hash: new Uint8Array(32), index: 0xffffffff },
 *   signatureScript: new Uint8Array([0x51]),
 *   sequence: 0xffffffff,
 *   witness: [],
 * };
 * assertEquals(input.witness.length, 0);
 * ```
 */
export interface TxIn {
  /** The output being spent. */
  readonly previousOutput: OutPoint;
  /** The unlocking script (`scriptSig`). */
  readonly signatureScript: Uint8Array;
  /** Sequence number (uint32); BIP 68 relative lock time when below 0x80000000. */
  readonly sequence: number;
  /** BIP 141 witness stack; an empty array when the input has no witness. */
  readonly witness: readonly Uint8Array[];
}

/**
 * A transaction output.
 *
 * @example
 * ```ts
 * import type { TxOut } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const output: TxOut = { value: 50_0000_0000n, pkScript: new Uint8Array([0x51]) };
 * assertEquals(output.value, 5_000_000_000n); // 50 BTC in satoshis
 * ```
 */
export interface TxOut {
  /** Amount in satoshis (int64). */
  readonly value: bigint;
  /** The locking script (`scriptPubKey`). */
  readonly pkScript: Uint8Array;
}

/**
 * A transaction.
 *
 * Decoded transactions are immutable and remember their bytes; to change one, build a new
 * object (`{ ...tx, lockTime: 0 }` works for a transaction from `decodeTx`; list the four
 * fields for one read from a block, whose fields are getters).
 *
 * @example
 * ```ts
 * import { encodeTx, type Tx, txid, wtxid } from "@btcstream/p2p/wire";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 * const tx: Tx = {
 *   version: 2,
 *   inputs: [{
 *     previousOutput: { hash: new Uint8Array(32).fill(1), index: 0 },
 *     signatureScript: new Uint8Array(),
 *     sequence: 0xfffffffd,
 *     witness: [new Uint8Array(64)],
 *   }],
 *   outputs: [{ value: 1000n, pkScript: new Uint8Array([0x51]) }],
 *   lockTime: 0,
 * };
 * assertEquals(encodeTx(tx).length, 129); // BIP 144: marker, flag and witness included
 * assertNotEquals(wtxid(tx), txid(tx)); // the witness changes the wtxid only
 * ```
 */
export interface Tx {
  /** Transaction version (int32). */
  readonly version: number;
  /** The inputs. */
  readonly inputs: readonly TxIn[];
  /** The outputs. */
  readonly outputs: readonly TxOut[];
  /** Lock time (uint32): a block height below 500,000,000, else a Unix time. */
  readonly lockTime: number;
}

/** Options for `decodeTx`, `encodeTx` and `serializeSize`. */
export interface TxEncodingOptions {
  /** BIP 144: use the witness serialization when the transaction has witness data (default true). */
  readonly witness?: boolean;
}

/**
 * Reads one transaction, fully built (internal to `wire/`: message codecs call it).
 *
 * @param r The payload reader, at the transaction.
 * @param witness Whether BIP 144 witness serialization is allowed (the codec context's `witness`).
 * @returns The transaction; scripts, hashes and witness items are views into the payload.
 */
export function readTx(r: ByteReader, witness: boolean): Tx {
  const start = r.pos;
  const end = scanTx(r, start, witness);
  const src = new TxSource(r.bytes, r.view, start, end, scannedWitnessStart);
  r.pos = end;
  return buildTx(src);
}

/**
 * Validates one transaction and returns it unbuilt: its fields are getters that build it on
 * first access (internal to `wire/`: block-like message codecs call it).
 *
 * @param r The payload reader, at the transaction.
 * @param witness Whether BIP 144 witness serialization is allowed.
 * @returns The lazily built transaction.
 */
export function readLazyTx(r: ByteReader, witness: boolean): Tx {
  const start = r.pos;
  const end = scanTx(r, start, witness);
  r.pos = end;
  return new LazyTx(new TxSource(r.bytes, r.view, start, end, scannedWitnessStart));
}

/**
 * Parses one serialized transaction.
 *
 * @param bytes The transaction's bytes, nothing before or after.
 * @param options `witness: false` reads the legacy serialization only (a zero input count is
 *   then just zero inputs).
 * @returns The transaction; scripts, hashes and witness items are views into `bytes`.
 * @throws {MessageError} `truncated`, `limit-exceeded`, `invalid-value` (BIP 144 flag or a
 *   superfluous witness), `non-canonical-varint` or `trailing-bytes`.
 *
 * @example
 * ```ts
 * import { decodeTx, encodeTx } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const bytes = encodeTx({ version: 1, inputs: [], outputs: [], lockTime: 0 }, { witness: false });
 * assertEquals(decodeTx(bytes, { witness: false }).version, 1);
 * ```
 */
export function decodeTx(bytes: Uint8Array, options: TxEncodingOptions = {}): Tx {
  const r = new ByteReader(bytes, "tx");
  const tx = readTx(r, options.witness !== false);
  r.expectEnd();
  return tx;
}

// ---------------------------------------------------------------------------------------------
// Encoding.

/**
 * Whether any input carries witness data.
 *
 * @param tx The transaction.
 * @returns True when the BIP 144 serialization applies.
 *
 * @example
 * ```ts
 * import { hasWitness } from "@btcstream/p2p/wire";
 * import { assertFalse } from "@std/assert";
 * assertFalse(hasWitness({ version: 1, inputs: [], outputs: [], lockTime: 0 }));
 * ```
 */
export function hasWitness(tx: Tx): boolean {
  const src = sourceOf(tx);
  if (src !== undefined) return src.witnessStart >= 0;
  const inputs = tx.inputs;
  for (let i = 0; i < inputs.length; i++) if (inputs[i].witness.length > 0) return true;
  return false;
}

/**
 * Writes one transaction (internal to `wire/`: message codecs call it). A decoded, unchanged
 * transaction is copied from its original bytes.
 *
 * @param w The payload writer.
 * @param tx The transaction.
 * @param witness Whether to use the BIP 144 serialization when the transaction has witness data.
 * @param command The command being encoded, for error messages.
 * @throws {TypeError} A field of the wrong type (a hash not 32 bytes, a script not bytes).
 * @throws {RangeError} A field outside its range, or a list over its limit.
 */
export function writeTx(w: ByteWriter, tx: Tx, witness: boolean, command: string): void {
  const src = sourceOf(tx);
  if (src !== undefined) {
    const { bytes, start, end, witnessStart } = src;
    if (witnessStart < 0 || witness) {
      copyRange(w, bytes, start, end);
    } else {
      copyRange(w, bytes, start, start + 4);
      copyRange(w, bytes, start + 6, witnessStart);
      copyRange(w, bytes, end - 4, end);
    }
    return;
  }
  writeTxFields(w, tx, witness && hasWitness(tx), command);
}

/**
 * Serializes a transaction.
 *
 * @param tx The transaction.
 * @param options `witness: false` writes the legacy serialization even when the transaction has
 *   witness data.
 * @returns The serialized transaction (BIP 144 form when it has witness data and `witness` is
 *   not false).
 * @throws {TypeError} A field of the wrong type.
 * @throws {RangeError} A field outside its range, or a list over its limit.
 *
 * @example
 * ```ts
 * import { bytesToHex, encodeTx } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const tx = { version: 1, inputs: [], outputs: [], lockTime: 0 };
 * assertEquals(bytesToHex(encodeTx(tx)), "01000000000000000000");
 * ```
 */
export function encodeTx(tx: Tx, options: TxEncodingOptions = {}): Uint8Array {
  const w = new ByteWriter(serializeSizeOrGuess(tx, options.witness !== false));
  writeTx(w, tx, options.witness !== false, "tx");
  return w.finish();
}

function serializeSizeOrGuess(tx: Tx, witness: boolean): number {
  const src = sourceOf(tx);
  if (src !== undefined) return sourceSize(src, witness);
  return 256;
}

function sourceSize(src: TxSource, witness: boolean): number {
  const total = src.end - src.start;
  if (src.witnessStart < 0 || witness) return total;
  return total - 2 - (src.end - 4 - src.witnessStart);
}

function varIntSize(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
}

/**
 * The serialized size of a transaction, in bytes.
 *
 * @param tx The transaction.
 * @param options `witness: false` for the legacy (stripped) size.
 * @returns Its size in the chosen serialization.
 *
 * @example
 * ```ts
 * import { serializeSize } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(serializeSize({ version: 1, inputs: [], outputs: [], lockTime: 0 }), 10);
 * ```
 */
export function serializeSize(tx: Tx, options: TxEncodingOptions = {}): number {
  const witness = options.witness !== false;
  const src = sourceOf(tx);
  if (src !== undefined) return sourceSize(src, witness);
  const { inputs, outputs } = tx;
  let size = 8 + varIntSize(inputs.length) + varIntSize(outputs.length);
  for (const input of inputs) {
    const n = input.signatureScript.length;
    size += 40 + varIntSize(n) + n;
  }
  for (const output of outputs) {
    const n = output.pkScript.length;
    size += 8 + varIntSize(n) + n;
  }
  if (witness && hasWitness(tx)) {
    size += 2;
    for (const input of inputs) {
      size += varIntSize(input.witness.length);
      for (const item of input.witness) size += varIntSize(item.length) + item.length;
    }
  }
  return size;
}

/**
 * The BIP 141 weight of a transaction: three times its legacy size plus its witness size.
 *
 * @param tx The transaction.
 * @returns Its weight in weight units.
 *
 * @example
 * ```ts
 * import { txWeight } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const tx = { version: 1, inputs: [], outputs: [], lockTime: 0 };
 * assertEquals(txWeight(tx), 40); // 4 × 10 bytes: no witness to discount
 * ```
 */
export function txWeight(tx: Tx): number {
  return serializeSize(tx, { witness: false }) * 3 + serializeSize(tx);
}

/**
 * The txid: the double SHA-256 of the legacy serialization (no witness data). A decoded,
 * unchanged transaction hashes its original bytes.
 *
 * @param tx The transaction.
 * @returns The 32-byte txid in wire order (`hashToHex` shows it as explorers do).
 *
 * @example
 * ```ts
 * import { hashToHex, txid } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(
 *   hashToHex(txid({ version: 1, inputs: [], outputs: [], lockTime: 0 })),
 *   "d21633ba23f70118185227be58a63527675641ad37967e2aa461559f577aec43",
 * );
 * ```
 */
export function txid(tx: Tx): Uint8Array {
  const src = sourceOf(tx);
  if (src === undefined) {
    const bytes = encodeTx(tx, { witness: false });
    return doubleSha256Range(bytes, 0, bytes.length);
  }
  const { bytes, start, end, witnessStart } = src;
  if (witnessStart < 0) return doubleSha256Range(bytes, start, end);
  // The legacy serialization: version, then inputs and outputs (after the marker and flag),
  // then the lock time (after the witness section).
  if (4 + (witnessStart - start - 6) + 4 <= SMALL_INPUT_MAX) {
    return doubleSha256SmallRanges(bytes, [
      start,
      start + 4,
      start + 6,
      witnessStart,
      end - 4,
      end,
    ]);
  }
  return doubleSha256Parts([
    bytes.subarray(start, start + 4),
    bytes.subarray(start + 6, witnessStart),
    bytes.subarray(end - 4, end),
  ]);
}

/**
 * The wtxid (BIP 141): the double SHA-256 of the witness serialization; equal to the txid when
 * the transaction has no witness data.
 *
 * @param tx The transaction.
 * @returns The 32-byte wtxid in wire order.
 *
 * @example
 * ```ts
 * import { txid, wtxid } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const tx = { version: 1, inputs: [], outputs: [], lockTime: 0 };
 * assertEquals(wtxid(tx), txid(tx)); // no witness: the same hash
 * ```
 */
export function wtxid(tx: Tx): Uint8Array {
  const src = sourceOf(tx);
  if (src === undefined) {
    const bytes = encodeTx(tx);
    return doubleSha256Range(bytes, 0, bytes.length);
  }
  return doubleSha256Range(src.bytes, src.start, src.end);
}

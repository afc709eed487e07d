// Transactions: `version i32 | [marker 0x00 | flag 0x01] | inputs | outputs | [witnesses] |
// lockTime u32` (BIP 144 adds the bracketed parts when a transaction has witness data).
//
// Decoding is split in two. `scanTx` walks one transaction's varints and lengths, enforces every
// limit and the BIP 144 rules, and allocates nothing; `buildTx` then makes the objects from bytes
// already known to be well formed. Blocks scan every transaction up front and build each one only
// when it is first read (`LazyTx`). Both kinds of decoded transaction remember the bytes they came
// from, so `txid` hashes those bytes and `encodeTx` copies them instead of serializing again.
import { ByteReader } from "./_reader.ts";
import { ByteWriter } from "./_writer.ts";
import { doubleSha256Small, SMALL_INPUT_MAX } from "./_sha256.ts";
import { MessageError } from "./errors.ts";
import { doubleSha256, doubleSha256Parts } from "./hash.ts";
import type { OutPoint } from "./outpoint.ts";
import { MAX_BLOCK_PAYLOAD } from "./protocol.ts";

/**
 * A transaction input.
 *
 * @example
 * ```ts
 * import type { TxIn } from "@btcstream/p2p/wire";
 * const input: TxIn = {
 *   previousOutput: { hash: new Uint8Array(32), index: 0xffffffff },
 *   signatureScript: new Uint8Array([0x51]),
 *   sequence: 0xffffffff,
 *   witness: [],
 * };
 * console.log(input.witness.length); // 0
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
 * const output: TxOut = { value: 50_0000_0000n, pkScript: new Uint8Array([0x51]) };
 * console.log(output.value); // 5000000000n
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
 * import { encodeTx, hashToHex, type Tx, txid } from "@btcstream/p2p/wire";
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
 * console.log(encodeTx(tx).length, hashToHex(txid(tx)).length); // 129 64
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

/** Smallest serialized input: outpoint, empty script, sequence. */
export const MIN_TX_IN_SIZE = 41;
/** Smallest serialized output: value and an empty script. */
export const MIN_TX_OUT_SIZE = 9;
/** Smallest serialized transaction: version, no inputs, no outputs, lock time. */
export const MIN_TX_SIZE = 10;
/** Most inputs a transaction can have within the 4,000,000-byte limit. */
export const MAX_TX_IN_PER_TX: number = Math.floor(MAX_BLOCK_PAYLOAD / MIN_TX_IN_SIZE);
/** Most outputs a transaction can have within the 4,000,000-byte limit. */
export const MAX_TX_OUT_PER_TX: number = Math.floor(MAX_BLOCK_PAYLOAD / MIN_TX_OUT_SIZE);
/** Largest signature or public key script (btcd's bound). */
export const MAX_SCRIPT_SIZE = 4_000_000;
/** Largest witness item (btcd's bound, from the largest possible block). */
export const MAX_WITNESS_ITEM_SIZE = 4_000_000;
/** Most witness items in one input (btcd's bound). */
export const MAX_WITNESS_ITEMS_PER_INPUT = 4_000_000;

const EMPTY_WITNESS: readonly Uint8Array[] = Object.freeze([]) as readonly Uint8Array[];

// Where a decoded transaction's bytes are. `witnessStart` is the offset of the witness section,
// or -1 when the bytes are the legacy serialization. For eagerly decoded transactions the other
// fields are a snapshot of the object's top-level fields, checked before the bytes are trusted.
class TxSource {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly start: number;
  readonly end: number;
  readonly witnessStart: number;
  inputs: readonly TxIn[] | undefined;
  outputs: readonly TxOut[] | undefined;

  constructor(bytes: Uint8Array, view: DataView, start: number, end: number, witnessStart: number) {
    this.bytes = bytes;
    this.view = view;
    this.start = start;
    this.end = end;
    this.witnessStart = witnessStart;
    this.inputs = undefined;
    this.outputs = undefined;
  }
}

// Eagerly decoded transactions are plain objects (so they compare equal to literals); their
// bytes are found through this map.
const EAGER_SOURCES = new WeakMap<Tx, TxSource>();

// ---------------------------------------------------------------------------------------------
// Scanning: validation without allocation.

/** Witness-section offset of the transaction `scanTx` last accepted (-1: none). */
let scannedWitnessStart = -1;

function varIntSlow(r: ByteReader, p: number, field: string): number {
  r.pos = p;
  return r.varInt(field);
}

function truncated(r: ByteReader, p: number, n: number, field: string): never {
  r.pos = p;
  r.need(n, field);
  throw new Error("unreachable");
}

// Checks a count against its protocol limit, then against what the remaining bytes could hold,
// before anything is allocated for it.
function checkCountAt(
  r: ByteReader,
  p: number,
  n: number,
  max: number,
  minSize: number,
  field: string,
): void {
  if (n > max) {
    r.pos = p;
    r.fail("limit-exceeded", `${n} ${field} exceed the limit of ${max}`);
  }
  if (n * minSize > r.end - p) truncated(r, p, n * minSize, field);
}

function checkLengthAt(r: ByteReader, p: number, n: number, max: number, field: string): void {
  if (n > max) {
    r.pos = p;
    r.fail("limit-exceeded", `${field} of ${n} bytes exceeds the limit of ${max}`);
  }
  if (n > r.end - p) truncated(r, p, n, field);
}

/**
 * Validates the transaction at `start` without allocating: every varint canonical, every count
 * and length within its limit and within the bytes, BIP 144's marker, flag and witness rules.
 * Returns its end offset and leaves the witness-section offset in `scannedWitnessStart`.
 */
function scanTx(r: ByteReader, start: number, witness: boolean): number {
  const b = r.bytes;
  const end = r.end;
  let p = start + 4;
  if (p > end) truncated(r, start, 4, "version");
  if (p >= end) truncated(r, p, 1, "input count");
  let nIn = b[p];
  if (nIn < 0xfd) p++;
  else {
    nIn = varIntSlow(r, p, "input count");
    p = r.pos;
  }
  let segwit = false;
  if (nIn === 0 && witness) {
    // BIP 144: a zero input count is the marker; the flag must be 0x01 (btcd; Bitcoin Core
    // reads other flags as "unknown optional data" and rejects them too, except 0x00).
    if (p >= end) truncated(r, p, 1, "witness flag");
    const flag = b[p];
    if (flag !== 0x01) {
      r.pos = p;
      r.fail("invalid-value", `witness flag 0x${flag.toString(16)} is not 0x01`);
    }
    p++;
    segwit = true;
    if (p >= end) truncated(r, p, 1, "input count");
    nIn = b[p];
    if (nIn < 0xfd) p++;
    else {
      nIn = varIntSlow(r, p, "input count");
      p = r.pos;
    }
  }
  checkCountAt(r, p, nIn, MAX_TX_IN_PER_TX, MIN_TX_IN_SIZE, "inputs");
  for (let i = 0; i < nIn; i++) {
    if (p + MIN_TX_IN_SIZE > end) truncated(r, p, MIN_TX_IN_SIZE, "input");
    p += 36;
    let n = b[p];
    if (n < 0xfd) p++;
    else {
      n = varIntSlow(r, p, "signature script");
      p = r.pos;
    }
    checkLengthAt(r, p, n, MAX_SCRIPT_SIZE, "signature script");
    p += n;
    if (p + 4 > end) truncated(r, p, 4, "sequence");
    p += 4;
  }
  if (p >= end) truncated(r, p, 1, "output count");
  let nOut = b[p];
  if (nOut < 0xfd) p++;
  else {
    nOut = varIntSlow(r, p, "output count");
    p = r.pos;
  }
  checkCountAt(r, p, nOut, MAX_TX_OUT_PER_TX, MIN_TX_OUT_SIZE, "outputs");
  for (let i = 0; i < nOut; i++) {
    if (p + 9 > end) truncated(r, p, 9, "output");
    p += 8;
    let n = b[p];
    if (n < 0xfd) p++;
    else {
      n = varIntSlow(r, p, "public key script");
      p = r.pos;
    }
    checkLengthAt(r, p, n, MAX_SCRIPT_SIZE, "public key script");
    p += n;
  }
  let witnessStart = -1;
  if (segwit) {
    witnessStart = p;
    let items = 0;
    for (let i = 0; i < nIn; i++) {
      if (p >= end) truncated(r, p, 1, "witness item count");
      let count = b[p];
      if (count < 0xfd) p++;
      else {
        count = varIntSlow(r, p, "witness item count");
        p = r.pos;
      }
      checkCountAt(r, p, count, MAX_WITNESS_ITEMS_PER_INPUT, 1, "witness items");
      items += count;
      for (let k = 0; k < count; k++) {
        if (p >= end) truncated(r, p, 1, "witness item");
        let n = b[p];
        if (n < 0xfd) p++;
        else {
          n = varIntSlow(r, p, "witness item");
          p = r.pos;
        }
        checkLengthAt(r, p, n, MAX_WITNESS_ITEM_SIZE, "witness item");
        p += n;
      }
    }
    if (items === 0) {
      // BIP 144 / Bitcoin Core: a witness flag with no witness data is malformed, because the
      // legacy serialization would have been shorter ("superfluous witness record").
      r.pos = witnessStart;
      r.fail("invalid-value", "superfluous witness record: witness flag set but no witness data");
    }
  }
  if (p + 4 > end) truncated(r, p, 4, "lock time");
  scannedWitnessStart = witnessStart;
  return p + 4;
}

// ---------------------------------------------------------------------------------------------
// Building: objects from bytes that `scanTx` accepted.

/** Position after the varint `buildTx` last read through `varIntAt`. */
let varIntEnd = 0;

// Reads a canonical varint already validated by `scanTx`.
function varIntAt(b: Uint8Array, view: DataView, p: number): number {
  const d = b[p];
  if (d < 0xfd) {
    varIntEnd = p + 1;
    return d;
  }
  if (d === 0xfd) {
    varIntEnd = p + 3;
    return view.getUint16(p + 1, true);
  }
  if (d === 0xfe) {
    varIntEnd = p + 5;
    return view.getUint32(p + 1, true);
  }
  varIntEnd = p + 9;
  return Number(view.getBigUint64(p + 1, true));
}

interface MutableTxIn {
  previousOutput: OutPoint;
  signatureScript: Uint8Array;
  sequence: number;
  witness: readonly Uint8Array[];
}

function buildTx(src: TxSource): Tx {
  const b = src.bytes;
  const view = src.view;
  const buf = b.buffer;
  const base = b.byteOffset;
  const start = src.start;
  const witnessStart = src.witnessStart;
  const version = view.getInt32(start, true);
  let p = start + (witnessStart >= 0 ? 6 : 4);
  let nIn = b[p];
  if (nIn < 0xfd) p++;
  else {
    nIn = varIntAt(b, view, p);
    p = varIntEnd;
  }
  const inputs = new Array<MutableTxIn>(nIn);
  for (let i = 0; i < nIn; i++) {
    const hash = new Uint8Array(buf, base + p, 32);
    const index = view.getUint32(p + 32, true);
    p += 36;
    let n = b[p];
    if (n < 0xfd) p++;
    else {
      n = varIntAt(b, view, p);
      p = varIntEnd;
    }
    const signatureScript = new Uint8Array(buf, base + p, n);
    p += n;
    inputs[i] = {
      previousOutput: { hash, index },
      signatureScript,
      sequence: view.getUint32(p, true),
      witness: EMPTY_WITNESS,
    };
    p += 4;
  }
  let nOut = b[p];
  if (nOut < 0xfd) p++;
  else {
    nOut = varIntAt(b, view, p);
    p = varIntEnd;
  }
  const outputs = new Array<TxOut>(nOut);
  for (let i = 0; i < nOut; i++) {
    const value = view.getBigInt64(p, true);
    p += 8;
    let n = b[p];
    if (n < 0xfd) p++;
    else {
      n = varIntAt(b, view, p);
      p = varIntEnd;
    }
    outputs[i] = { value, pkScript: new Uint8Array(buf, base + p, n) };
    p += n;
  }
  if (witnessStart >= 0) {
    for (let i = 0; i < nIn; i++) {
      let count = b[p];
      if (count < 0xfd) p++;
      else {
        count = varIntAt(b, view, p);
        p = varIntEnd;
      }
      if (count === 0) continue;
      const items = new Array<Uint8Array>(count);
      for (let k = 0; k < count; k++) {
        let n = b[p];
        if (n < 0xfd) p++;
        else {
          n = varIntAt(b, view, p);
          p = varIntEnd;
        }
        items[k] = new Uint8Array(buf, base + p, n);
        p += n;
      }
      inputs[i].witness = items;
    }
  }
  return { version, inputs, outputs, lockTime: view.getUint32(p, true) };
}

// ---------------------------------------------------------------------------------------------
// Lazily decoded transactions (block contents).

// Set by `LazyTx`'s static block.
let lazySource: (tx: LazyTx) => TxSource;

/**
 * A transaction inside a decoded block: already validated by the scan, built from its bytes
 * the first time `inputs` or `outputs` is read.
 */
class LazyTx implements Tx {
  readonly #src: TxSource;
  #tx: Tx | undefined;

  constructor(src: TxSource) {
    this.#src = src;
    this.#tx = undefined;
  }

  /** Transaction version (int32). */
  get version(): number {
    return this.#src.view.getInt32(this.#src.start, true);
  }

  /** The inputs (built on first access). */
  get inputs(): readonly TxIn[] {
    return (this.#tx ??= buildTx(this.#src)).inputs;
  }

  /** The outputs (built on first access). */
  get outputs(): readonly TxOut[] {
    return (this.#tx ??= buildTx(this.#src)).outputs;
  }

  /** Lock time (uint32). */
  get lockTime(): number {
    return this.#src.view.getUint32(this.#src.end - 4, true);
  }

  /** What Deno's `console.log` shows: the transaction as a plain object. */
  [Symbol.for("Deno.customInspect")](
    inspect: (value: unknown, options: unknown) => string,
    options: unknown,
  ): string {
    return `Tx ${inspect(this.#tx ??= buildTx(this.#src), options)}`;
  }

  static {
    lazySource = (tx) => tx.#src;
  }
}

// The bytes a decoded transaction came from, or undefined for one built by the caller (or an
// eagerly decoded one whose top-level fields were reassigned at run time).
function sourceOf(tx: Tx): TxSource | undefined {
  if (tx instanceof LazyTx) return lazySource(tx);
  const src = EAGER_SOURCES.get(tx);
  if (
    src === undefined || tx.inputs !== src.inputs || tx.outputs !== src.outputs ||
    tx.version !== src.view.getInt32(src.start, true) ||
    tx.lockTime !== src.view.getUint32(src.end - 4, true)
  ) return undefined;
  return src;
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
  const tx = buildTx(src);
  src.inputs = tx.inputs;
  src.outputs = tx.outputs;
  EAGER_SOURCES.set(tx, src);
  return tx;
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
 * const bytes = encodeTx({ version: 1, inputs: [], outputs: [], lockTime: 0 }, { witness: false });
 * console.log(decodeTx(bytes, { witness: false }).version); // 1
 * ```
 */
export function decodeTx(bytes: Uint8Array, options: TxEncodingOptions = {}): Tx {
  const r = new ByteReader(bytes, "tx");
  const tx = readTx(r, options.witness !== false);
  if (r.pos !== bytes.length) {
    throw new MessageError(
      "trailing-bytes",
      `Cannot decode "tx": ${bytes.length - r.pos} trailing bytes after a ${r.pos}-byte message`,
      "tx",
    );
  }
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
 * console.log(hasWitness({ version: 1, inputs: [], outputs: [], lockTime: 0 })); // false
 * ```
 */
export function hasWitness(tx: Tx): boolean {
  const src = sourceOf(tx);
  if (src !== undefined) return src.witnessStart >= 0;
  const inputs = tx.inputs;
  for (let i = 0; i < inputs.length; i++) if (inputs[i].witness.length > 0) return true;
  return false;
}

function copyRange(w: ByteWriter, b: Uint8Array, from: number, to: number): void {
  const n = to - from;
  if (w.pos + n > w.bytes.length) w.reserve(n);
  if (n < 64) {
    const out = w.bytes;
    let q = w.pos;
    for (let k = from; k < to; k++) out[q++] = b[k];
  } else {
    w.bytes.set(b.subarray(from, to), w.pos);
  }
  w.pos += n;
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

function writeTxFields(w: ByteWriter, tx: Tx, segwit: boolean, command: string): void {
  const { version, inputs, outputs, lockTime } = tx;
  if ((version | 0) !== version) {
    throw new RangeError(
      `Cannot encode "${command}": tx version must be an integer in -2147483648..2147483647`,
    );
  }
  if (!Array.isArray(inputs) || !Array.isArray(outputs)) {
    throw new TypeError(`Cannot encode "${command}": tx inputs and outputs must be arrays`);
  }
  const nIn = inputs.length;
  const nOut = outputs.length;
  if (nIn > MAX_TX_IN_PER_TX) {
    throw new RangeError(
      `Cannot encode "${command}": ${nIn} inputs exceed the limit of ${MAX_TX_IN_PER_TX}`,
    );
  }
  if (nOut > MAX_TX_OUT_PER_TX) {
    throw new RangeError(
      `Cannot encode "${command}": ${nOut} outputs exceed the limit of ${MAX_TX_OUT_PER_TX}`,
    );
  }
  if ((lockTime >>> 0) !== lockTime) {
    throw new RangeError(
      `Cannot encode "${command}": tx lockTime must be an integer in 0..4294967295`,
    );
  }
  w.i32le(version);
  if (segwit) {
    w.u8(0x00);
    w.u8(0x01);
  }
  w.varInt(nIn);
  for (let i = 0; i < nIn; i++) {
    const input = inputs[i];
    const hash = input.previousOutput.hash;
    const index = input.previousOutput.index;
    const script = input.signatureScript;
    const sequence = input.sequence;
    if (!(hash instanceof Uint8Array) || hash.length !== 32) {
      throw new TypeError(
        `Cannot encode "${command}": inputs[${i}].previousOutput.hash must be 32 bytes`,
      );
    }
    if ((index >>> 0) !== index) {
      throw new RangeError(
        `Cannot encode "${command}": inputs[${i}].previousOutput.index must be an integer in 0..4294967295`,
      );
    }
    checkScript(script, MAX_SCRIPT_SIZE, command, "inputs", i, "signatureScript");
    if ((sequence >>> 0) !== sequence) {
      throw new RangeError(
        `Cannot encode "${command}": inputs[${i}].sequence must be an integer in 0..4294967295`,
      );
    }
    w.bytesRaw(hash);
    w.u32le(index);
    w.varBytes(script);
    w.u32le(sequence);
  }
  w.varInt(nOut);
  for (let i = 0; i < nOut; i++) {
    const output = outputs[i];
    const value = output.value;
    if (typeof value !== "bigint" || BigInt.asIntN(64, value) !== value) {
      throw new RangeError(
        `Cannot encode "${command}": outputs[${i}].value must be a bigint in the int64 range`,
      );
    }
    checkScript(output.pkScript, MAX_SCRIPT_SIZE, command, "outputs", i, "pkScript");
    w.i64le(value);
    w.varBytes(output.pkScript);
  }
  if (segwit) {
    for (let i = 0; i < nIn; i++) {
      const stack = inputs[i].witness;
      if (!Array.isArray(stack)) {
        throw new TypeError(`Cannot encode "${command}": inputs[${i}].witness must be an array`);
      }
      const count = stack.length;
      if (count > MAX_WITNESS_ITEMS_PER_INPUT) {
        throw new RangeError(
          `Cannot encode "${command}": ${count} witness items exceed the limit of ${MAX_WITNESS_ITEMS_PER_INPUT}`,
        );
      }
      w.varInt(count);
      for (let k = 0; k < count; k++) {
        checkScript(stack[k], MAX_WITNESS_ITEM_SIZE, command, "inputs", i, `witness[${k}]`);
        w.varBytes(stack[k]);
      }
    }
  }
  w.u32le(lockTime);
}

function checkScript(
  bytes: Uint8Array,
  max: number,
  command: string,
  list: string,
  i: number,
  field: string,
): void {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`Cannot encode "${command}": ${list}[${i}].${field} must be a Uint8Array`);
  }
  if (bytes.length > max) {
    throw new RangeError(
      `Cannot encode "${command}": ${list}[${i}].${field} of ${bytes.length} bytes exceeds the limit of ${max}`,
    );
  }
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
 * const tx = { version: 1, inputs: [], outputs: [], lockTime: 0 };
 * console.log(bytesToHex(encodeTx(tx))); // "01000000000000000000"
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
 * console.log(serializeSize({ version: 1, inputs: [], outputs: [], lockTime: 0 })); // 10
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
 * console.log(txWeight({ version: 1, inputs: [], outputs: [], lockTime: 0 })); // 40
 * ```
 */
export function txWeight(tx: Tx): number {
  return serializeSize(tx, { witness: false }) * 3 + serializeSize(tx);
}

function hashRange(b: Uint8Array, from: number, to: number): Uint8Array {
  return to - from <= SMALL_INPUT_MAX
    ? doubleSha256Small(b, from, to)
    : doubleSha256(b.subarray(from, to));
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
 * console.log(hashToHex(txid({ version: 1, inputs: [], outputs: [], lockTime: 0 })).length); // 64
 * ```
 */
export function txid(tx: Tx): Uint8Array {
  const src = sourceOf(tx);
  if (src === undefined) {
    const bytes = encodeTx(tx, { witness: false });
    return hashRange(bytes, 0, bytes.length);
  }
  const { bytes, start, end, witnessStart } = src;
  if (witnessStart < 0) return hashRange(bytes, start, end);
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
 * const tx = { version: 1, inputs: [], outputs: [], lockTime: 0 };
 * console.log(wtxid(tx).join() === txid(tx).join()); // true
 * ```
 */
export function wtxid(tx: Tx): Uint8Array {
  const src = sourceOf(tx);
  if (src === undefined) {
    const bytes = encodeTx(tx);
    return hashRange(bytes, 0, bytes.length);
  }
  return hashRange(src.bytes, src.start, src.end);
}

// The second half of decoding: make the `Tx` objects from bytes `_tx_scan.ts` already accepted,
// so this pass checks nothing and every script, hash and witness item is a view, not a copy.
import type { OutPoint } from "./outpoint.ts";
import type { TxSource } from "./_tx_source.ts";
import type { Tx, TxIn, TxOut } from "./tx.ts";

const EMPTY_WITNESS: readonly Uint8Array[] = Object.freeze([]) as readonly Uint8Array[];

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

// Set by `DecodedTx`'s static block.
export let decodedSource: (tx: DecodedTx) => TxSource;

/**
 * A decoded transaction: its fields are ordinary data, and it remembers the bytes it came
 * from, so that `txid` hashes and `encodeTx` copies them instead of serializing it again.
 * (A WeakMap from plain objects to their bytes did the same and made decoding 45% slower:
 * every garbage collection walks its entries.)
 */
export class DecodedTx implements Tx {
  /** Transaction version (int32). */
  readonly version: number;
  /** The inputs. */
  readonly inputs: readonly TxIn[];
  /** The outputs. */
  readonly outputs: readonly TxOut[];
  /** Lock time (uint32). */
  readonly lockTime: number;
  readonly #src: TxSource;

  constructor(
    src: TxSource,
    version: number,
    inputs: readonly TxIn[],
    outputs: readonly TxOut[],
    lockTime: number,
  ) {
    this.version = version;
    this.inputs = inputs;
    this.outputs = outputs;
    this.lockTime = lockTime;
    this.#src = src;
  }

  static {
    decodedSource = (tx) => tx.#src;
  }
}

interface MutableTxIn {
  previousOutput: OutPoint;
  signatureScript: Uint8Array;
  sequence: number;
  witness: readonly Uint8Array[];
}

export function buildTx(src: TxSource): DecodedTx {
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
  src.inputs = inputs;
  src.outputs = outputs;
  return new DecodedTx(src, version, inputs, outputs, view.getUint32(p, true));
}

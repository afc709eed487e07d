// The link from a decoded transaction back to the bytes it came from. Keeping it is what lets
// `txid` hash and `encodeTx` copy the original bytes instead of serializing the objects again.
import { decodedSource, DecodedTx } from "./_tx_build.ts";
import { lazySource, LazyTx } from "./_tx_lazy.ts";
import type { Tx, TxIn, TxOut } from "./tx.ts";

// Where a decoded transaction's bytes are. `witnessStart` is the offset of the witness section,
// or -1 when the bytes are the legacy serialization. `inputs` and `outputs` are the arrays the
// builder made, checked before the bytes are trusted for a transaction built from them.
export class TxSource {
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

// The bytes a decoded transaction came from, or undefined for one built by the caller (or a
// decoded one whose fields were reassigned at run time: `readonly` is a compile-time promise).
export function sourceOf(tx: Tx): TxSource | undefined {
  if (tx instanceof LazyTx) return lazySource(tx);
  if (!(tx instanceof DecodedTx)) return undefined;
  const src = decodedSource(tx);
  if (
    tx.inputs !== src.inputs || tx.outputs !== src.outputs ||
    tx.version !== src.view.getInt32(src.start, true) ||
    tx.lockTime !== src.view.getUint32(src.end - 4, true)
  ) return undefined;
  return src;
}

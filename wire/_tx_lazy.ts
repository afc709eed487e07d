// Block transactions are scanned when the block is decoded but built only when first read, so a
// block whose transactions are never looked at costs one validation pass and no allocation per
// input or output.
import { buildTx } from "./_tx_build.ts";
import type { TxSource } from "./_tx_source.ts";
import type { Tx, TxIn, TxOut } from "./tx.ts";

// Set by `LazyTx`'s static block.
export let lazySource: (tx: LazyTx) => TxSource;

/**
 * A transaction inside a decoded block: already validated by the scan, built from its bytes
 * the first time `inputs` or `outputs` is read.
 */
export class LazyTx implements Tx {
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
    return `Tx ${inspect({ ...(this.#tx ??= buildTx(this.#src)) }, options)}`;
  }

  static {
    lazySource = (tx) => tx.#src;
  }
}

// Inputs shared by the benchmarks: real mainnet blocks from ../shared/data when present.
import { HAVE_SHARED_DATA, readShared } from "../tests/_util/shared_data.ts";
import type { Tx } from "../wire/tx.ts";

export { HAVE_SHARED_DATA };

/** The two real blocks (1.2 MB legacy-heavy, 2.3 MB with witness data), or none. */
export const BLOCK_FILES: readonly { name: string; bytes: Uint8Array }[] = HAVE_SHARED_DATA
  ? [
    {
      name: "block 1.2 MB",
      bytes: readShared(
        "block-0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2.blk",
      ),
    },
    {
      name: "block 2.3 MB",
      bytes: readShared(
        "block-00000000000000000021868c2cefc52a480d173c849412fe81c4e5ab806f94ab.blk",
      ),
    },
  ]
  : [];

/**
 * Splits `bytes` into chunks of `size`, each in a buffer of its own, as a socket's reads
 * deliver them (a decoder may keep views of a read's buffer; views of one large buffer would
 * measure a case no connection produces).
 */
export function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads every field of a transaction, so that a lazy one is fully built. */
export function touchTx(tx: Tx): number {
  let n = tx.version + tx.lockTime;
  for (const i of tx.inputs) {
    n += i.previousOutput.hash.length + i.previousOutput.index + i.signatureScript.length +
      i.sequence + i.witness.length;
    for (const w of i.witness) n += w.length;
  }
  for (const o of tx.outputs) n += o.pkScript.length + Number(o.value & 1n);
  return n;
}

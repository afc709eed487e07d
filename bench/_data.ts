// Inputs shared by the benchmarks: real mainnet blocks from ../shared/data when present.
import { HAVE_SHARED_DATA, readShared } from "../tests/_util/shared_data.ts";

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

/** Splits `bytes` into chunks of `size` (views, no copy). */
export function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
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

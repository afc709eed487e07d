// BIP 324's published test vectors (../shared/data/vectors/bip324/), read as rows of named
// columns. Empty when the shared data folder is absent (the tests that use them skip).
import { HAVE_SHARED_DATA, SHARED_DATA } from "../_util/shared_data.ts";

/** One CSV row, by column name. */
export type Row = Record<string, string>;

/** The rows of `vectors/bip324/<name>` (none when the shared data is absent). */
export function bip324Vectors(name: string): Row[] {
  if (!HAVE_SHARED_DATA) return [];
  const text = Deno.readTextFileSync(new URL(`vectors/bip324/${name}`, SHARED_DATA));
  const [head, ...lines] = text.split(/\r?\n/).filter((l) => l !== "");
  const columns = head.split(",");
  return lines.map((line) => {
    // No field of these files is quoted or holds a comma.
    const cells = line.split(",");
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? ""]));
  });
}

/** A big-endian hex string as a bigint. */
export function hexToBigInt(hex: string): bigint {
  return BigInt("0x" + hex);
}

/** A bigint as 64 hex digits (32 bytes, big-endian). */
export function bigIntToHex32(n: bigint): string {
  return n.toString(16).padStart(64, "0");
}

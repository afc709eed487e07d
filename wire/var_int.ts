// CompactSize ("varint") helpers for callers outside the codec. Decoders use `ByteReader`,
// which enforces the canonical encoding as Bitcoin Core does (a value must use the shortest
// form; btcd reports "non-canonical varint").
import { ByteReader } from "./_reader.ts";
import { ByteWriter } from "./_writer.ts";

/**
 * How many bytes the CompactSize encoding of `value` takes.
 *
 * @param value A non-negative integer below 2^64.
 * @returns 1, 3, 5 or 9.
 *
 * @example
 * ```ts
 * import { varIntSize } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(varIntSize(252), 1);
 * assertEquals(varIntSize(253), 3);
 * ```
 */
export function varIntSize(value: number | bigint): number {
  if (value < 0 || value > 0xffffffffffffffffn) {
    throw new RangeError(`Cannot encode varint: ${value} is outside 0..2^64-1`);
  }
  if (value < 0xfd) return 1;
  if (value <= 0xffff) return 3;
  if (value <= 0xffffffff) return 5;
  return 9;
}

/**
 * Encodes a CompactSize.
 *
 * @param value A non-negative integer below 2^64.
 * @returns Its canonical encoding.
 *
 * @example
 * ```ts
 * import { encodeVarInt } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(encodeVarInt(0xfd), Uint8Array.of(0xfd, 0xfd, 0x00));
 * ```
 */
export function encodeVarInt(value: number | bigint): Uint8Array {
  const w = new ByteWriter(varIntSize(value));
  w.varIntBig(BigInt(value));
  return w.finish();
}

/**
 * Decodes a CompactSize at the start of `bytes`, rejecting non-canonical forms.
 *
 * @param bytes Input starting with a CompactSize.
 * @returns The value and how many bytes it took.
 * @throws {MessageError} `truncated` or `non-canonical-varint`.
 *
 * @example
 * ```ts
 * import { decodeVarInt } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(decodeVarInt(Uint8Array.of(0xfd, 0x00, 0x01)), { value: 256n, size: 3 });
 * ```
 */
export function decodeVarInt(bytes: Uint8Array): { value: bigint; size: number } {
  const r = new ByteReader(bytes, "varint");
  const value = r.varIntBig("varint");
  return { value, size: r.pos };
}

// Hashing for the wire: SHA-256, double SHA-256 (checksums, txids, block hashes) and the
// byte-reversed hex that people read hashes in.
import { createHash } from "node:crypto";
import {
  checksumOfDigest,
  checksumSmall,
  doubleSha256Small,
  sha256OfDigest,
  sha256Small,
  SMALL_INPUT_MAX,
} from "./_sha256.ts";

/**
 * SHA-256 of `data`.
 *
 * @param data Input bytes.
 * @returns The 32-byte digest.
 *
 * @example
 * ```ts
 * import { bytesToHex, sha256 } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(
 *   bytesToHex(sha256(new Uint8Array())),
 *   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
 * );
 * ```
 */
export function sha256(data: Uint8Array): Uint8Array {
  if (data.length <= SMALL_INPUT_MAX) return sha256Small(data);
  const d = createHash("sha256").update(data).digest();
  return new Uint8Array(d.buffer, d.byteOffset, 32);
}

/**
 * Double SHA-256 of `data`: what Bitcoin uses for checksums, txids and block hashes.
 *
 * @param data Input bytes.
 * @returns The 32-byte digest, in wire (internal) byte order.
 *
 * @example
 * ```ts
 * import { doubleSha256, hashToHex } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(
 *   hashToHex(doubleSha256(new Uint8Array())),
 *   "56944c5d3f98413ef45cf54545538103cc9f298e0575820ad3591376e2e0f65d",
 * );
 * ```
 */
export function doubleSha256(data: Uint8Array): Uint8Array {
  return doubleSha256Range(data, 0, data.length);
}

/** Double SHA-256 of `data[start, end)`; no view is made for short ranges. */
export function doubleSha256Range(data: Uint8Array, start: number, end: number): Uint8Array {
  if (end - start <= SMALL_INPUT_MAX) return doubleSha256Small(data, start, end);
  // Native for the long first round; the 32-byte second round is cheaper in JavaScript
  // than another node:crypto call.
  return sha256OfDigest(createHash("sha256").update(data.subarray(start, end)).digest());
}

/**
 * The frame checksum of `data[start, end)`: the first four bytes of its double SHA-256, read
 * as a big-endian uint32. Allocates nothing for short payloads.
 */
export function checksum(data: Uint8Array, start: number, end: number): number {
  if (end - start <= SMALL_INPUT_MAX) return checksumSmall(data, start, end);
  return checksumOfDigest(createHash("sha256").update(data.subarray(start, end)).digest());
}

/**
 * Double SHA-256 of several byte ranges taken as one input, without concatenating them.
 *
 * @param parts The pieces, in order.
 * @returns The 32-byte digest, in wire order.
 *
 * @example
 * ```ts
 * import { doubleSha256, doubleSha256Parts } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const a = new Uint8Array([1, 2]), b = new Uint8Array([3]);
 * assertEquals(doubleSha256Parts([a, b]), doubleSha256(new Uint8Array([1, 2, 3])));
 * ```
 */
export function doubleSha256Parts(parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const part of parts) h.update(part);
  return sha256OfDigest(h.digest());
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * A hash in the byte-reversed hex that block explorers and RPCs show.
 *
 * @param hash A hash in wire order (usually 32 bytes).
 * @returns Lower-case hex of the reversed bytes.
 *
 * @example
 * ```ts
 * import { hashToHex } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(hashToHex(new Uint8Array([1, 2])), "0201");
 * ```
 */
export function hashToHex(hash: Uint8Array): string {
  let s = "";
  for (let i = hash.length - 1; i >= 0; i--) s += HEX[hash[i]];
  return s;
}

/**
 * Parses the byte-reversed hex people read into a hash in wire order.
 *
 * @param hex Hex of even length (a block hash or txid as displayed).
 * @returns The bytes in wire order.
 * @throws {TypeError} If `hex` is not even-length hex.
 *
 * @example
 * ```ts
 * import { hashToHex, hexToHash } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const id = "bb41a757f405890fb0f5856228e23b715702d714d59bf2b1feb70d8b2b4e3e08";
 * assertEquals(hexToHash(id)[0], 0x08); // wire order: the displayed hex reversed
 * assertEquals(hashToHex(hexToHash(id)), id);
 * ```
 */
export function hexToHash(hex: string): Uint8Array {
  const bytes = hexToBytes(hex);
  return bytes.reverse();
}

/**
 * Hex to bytes, in the order written.
 *
 * @param hex Hex of even length.
 * @returns The bytes.
 * @throws {TypeError} If `hex` is not even-length hex.
 *
 * @example
 * ```ts
 * import { hexToBytes } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(hexToBytes("f9beb4d9"), new Uint8Array([249, 190, 180, 217]));
 * ```
 */
export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError(`Cannot parse hex: expected an even number of hex digits`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Bytes to lower-case hex, in the order given.
 *
 * @param bytes Input bytes.
 * @returns Their hex.
 *
 * @example
 * ```ts
 * import { bytesToHex } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(bytesToHex(new Uint8Array([0xf9, 0xbe])), "f9be");
 * ```
 */
export function bytesToHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]];
  return s;
}

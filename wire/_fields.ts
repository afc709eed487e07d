// Field helpers shared by the message codecs: encode-side validation of what the user built
// (wrong hash lengths, out-of-range integers, lists over their protocol limit) and hash lists
// read as views into the payload.
import type { ByteReader } from "./_reader.ts";
import type { ByteWriter } from "./_writer.ts";

/** Bytes in a hash (SHA-256 digest). */
export const HASH_SIZE = 32;

/** Throws `TypeError` unless `hash` is a 32-byte `Uint8Array`. */
export function checkHash(command: string, field: string, hash: Uint8Array): void {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    const got = hash instanceof Uint8Array ? `${hash.length} bytes` : typeof hash;
    throw new TypeError(`Cannot encode "${command}": ${field} must be 32 bytes, got ${got}`);
  }
}

/** Throws `TypeError` unless `bytes` is a `Uint8Array`, `RangeError` if longer than `max`. */
export function checkBytes(command: string, field: string, bytes: Uint8Array, max: number): void {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`Cannot encode "${command}": ${field} must be a Uint8Array`);
  }
  if (bytes.length > max) {
    throw new RangeError(
      `Cannot encode "${command}": ${field} of ${bytes.length} bytes exceeds the limit of ${max}`,
    );
  }
}

/** Throws `RangeError` unless `value` is an integer in `0..max`. */
export function checkUint(command: string, field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`Cannot encode "${command}": ${field} must be an integer in 0..${max}`);
  }
}

/** Throws `RangeError` if a list of `n` items is longer than `max`. */
export function checkCount(command: string, what: string, n: number, max: number): void {
  if (n > max) {
    throw new RangeError(`Cannot encode "${command}": ${n} ${what} exceed the limit of ${max}`);
  }
}

/**
 * Reads `count` consecutive 32-byte hashes as views into the payload. The whole run is
 * bounds-checked first, so a count the payload cannot hold is reported as `truncated` before
 * the array is allocated.
 */
export function readHashes(r: ByteReader, count: number, field: string): Uint8Array[] {
  r.need(count * HASH_SIZE, field);
  const bytes = r.bytes;
  let pos = r.pos;
  const hashes = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) {
    hashes[i] = bytes.subarray(pos, pos + HASH_SIZE);
    pos += HASH_SIZE;
  }
  r.pos = pos;
  return hashes;
}

/**
 * Writes a CompactSize count then the hashes, after checking the count against `max` (`what`
 * names the items in the message) and every hash's length (`field` names the list).
 */
export function writeHashes(
  w: ByteWriter,
  hashes: readonly Uint8Array[],
  max: number,
  command: string,
  field: string,
  what: string,
): void {
  const n = hashes.length;
  checkCount(command, what, n, max);
  for (let i = 0; i < n; i++) checkHash(command, `${field}[${i}]`, hashes[i]);
  w.varInt(n);
  w.reserve(n * HASH_SIZE);
  const out = w.bytes;
  let pos = w.pos;
  for (let i = 0; i < n; i++) {
    out.set(hashes[i], pos);
    pos += HASH_SIZE;
  }
  w.pos = pos;
}

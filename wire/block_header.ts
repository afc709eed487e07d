// The 80-byte block header: `version i32 | prevBlock [32] | merkleRoot [32] | timestamp u32 |
// bits u32 | nonce u32`. A `headers` message carries up to 2,000 of them, so a decoded header
// reads its four integers eagerly but makes its two hash views only when they are first read,
// and remembers its 80 bytes so that `blockHash` hashes them without re-encoding.
import type { ByteReader } from "./_reader.ts";
import { ByteWriter } from "./_writer.ts";
import { checkHash, HASH_SIZE } from "./_fields.ts";
import { doubleSha256Small } from "./_sha256.ts";
import { MessageError } from "./errors.ts";
import { hashToHex } from "./hash.ts";

/**
 * A block header.
 *
 * Decoded headers are objects whose `prevBlock` and `merkleRoot` are views made on first access;
 * plain object literals work everywhere a header is expected.
 *
 * @example
 * ```ts
 * import { blockHash, type BlockHeader, hashToHex, hexToHash } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * // Bitcoin's genesis block.
 * const header: BlockHeader = {
 *   version: 1,
 *   prevBlock: new Uint8Array(32),
 *   merkleRoot: hexToHash("4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"),
 *   timestamp: 1231006505,
 *   bits: 0x1d00ffff,
 *   nonce: 2083236893,
 * };
 * assertEquals(
 *   hashToHex(blockHash(header)),
 *   "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
 * );
 * ```
 */
export interface BlockHeader {
  /** Block version (int32), including BIP 9 version bits. */
  readonly version: number;
  /** Hash of the previous block's header, 32 bytes in wire order. */
  readonly prevBlock: Uint8Array;
  /** Merkle root of the block's txids, 32 bytes in wire order. */
  readonly merkleRoot: Uint8Array;
  /** Block time, seconds since the Unix epoch (uint32). */
  readonly timestamp: number;
  /** Compact proof-of-work target (uint32). */
  readonly bits: number;
  /** Proof-of-work nonce (uint32). */
  readonly nonce: number;
}

/** Bytes in a serialized block header. */
export const BLOCK_HEADER_SIZE = 80;

// Set by `DecodedBlockHeader`'s static block: the header's original bytes when it is unchanged.
let originalBytes: (h: DecodedBlockHeader) => Uint8Array | undefined;

/** A decoded header: integers read eagerly, hashes viewed on demand, bytes remembered. */
class DecodedBlockHeader implements BlockHeader {
  readonly version: number;
  readonly timestamp: number;
  readonly bits: number;
  readonly nonce: number;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #offset: number;
  #prevBlock: Uint8Array | undefined;
  #merkleRoot: Uint8Array | undefined;

  constructor(bytes: Uint8Array, view: DataView, offset: number) {
    this.version = view.getInt32(offset, true);
    this.timestamp = view.getUint32(offset + 68, true);
    this.bits = view.getUint32(offset + 72, true);
    this.nonce = view.getUint32(offset + 76, true);
    this.#bytes = bytes;
    this.#view = view;
    this.#offset = offset;
    this.#prevBlock = undefined;
    this.#merkleRoot = undefined;
  }

  /** Hash of the previous block's header (a view into the payload, made once). */
  get prevBlock(): Uint8Array {
    return this.#prevBlock ??= this.#bytes.subarray(this.#offset + 4, this.#offset + 36);
  }

  /** Merkle root (a view into the payload, made once). */
  get merkleRoot(): Uint8Array {
    return this.#merkleRoot ??= this.#bytes.subarray(this.#offset + 36, this.#offset + 68);
  }

  /** What `JSON.stringify` shows: the fields, hashes as display (reversed) hex. */
  toJSON(): Record<string, number | string> {
    return {
      version: this.version,
      prevBlock: hashToHex(this.prevBlock),
      merkleRoot: hashToHex(this.merkleRoot),
      timestamp: this.timestamp,
      bits: this.bits,
      nonce: this.nonce,
    };
  }

  /** What Deno's `console.log` shows: the same as `toJSON()`. */
  [Symbol.for("Deno.customInspect")](
    inspect: (value: unknown, options: unknown) => string,
    options: unknown,
  ): string {
    return `BlockHeader ${inspect(this.toJSON(), options)}`;
  }

  static {
    originalBytes = (h) => {
      const view = h.#view;
      const off = h.#offset;
      // The integer fields are writable at run time; the bytes stand for the header only while
      // they still match.
      if (
        h.version !== view.getInt32(off, true) || h.timestamp !== view.getUint32(off + 68, true) ||
        h.bits !== view.getUint32(off + 72, true) || h.nonce !== view.getUint32(off + 76, true)
      ) return undefined;
      return h.#bytes.subarray(off, off + BLOCK_HEADER_SIZE);
    };
  }
}

/**
 * Reads an 80-byte header (internal to `wire/`: message codecs call it).
 *
 * @param r The payload reader, at the header.
 * @returns The header; its hashes are views into the payload.
 */
export function readBlockHeader(r: ByteReader): BlockHeader {
  if (r.end - r.pos < BLOCK_HEADER_SIZE) r.need(BLOCK_HEADER_SIZE, "block header");
  const header = new DecodedBlockHeader(r.bytes, r.view, r.pos);
  r.pos += BLOCK_HEADER_SIZE;
  return header;
}

/**
 * Writes an 80-byte header (internal to `wire/`: message codecs call it).
 *
 * @param w The payload writer.
 * @param header The header to write.
 * @param command The command being encoded, for error messages.
 * @throws {TypeError} A hash that is not 32 bytes.
 * @throws {RangeError} A field outside its integer range.
 */
export function writeBlockHeader(w: ByteWriter, header: BlockHeader, command: string): void {
  if (header instanceof DecodedBlockHeader) {
    const raw = originalBytes(header);
    if (raw !== undefined) {
      w.bytesRaw(raw);
      return;
    }
  }
  const { version, prevBlock, merkleRoot, timestamp, bits, nonce } = header;
  if ((version | 0) !== version) {
    throw new RangeError(
      `Cannot encode "${command}": header version must be an integer in -2147483648..2147483647`,
    );
  }
  checkHash(command, "header prevBlock", prevBlock);
  checkHash(command, "header merkleRoot", merkleRoot);
  checkU32(command, "header timestamp", timestamp);
  checkU32(command, "header bits", bits);
  checkU32(command, "header nonce", nonce);
  w.reserve(BLOCK_HEADER_SIZE);
  const out = w.bytes;
  const view = w.view;
  const p = w.pos;
  view.setInt32(p, version, true);
  for (let k = 0; k < HASH_SIZE; k++) out[p + 4 + k] = prevBlock[k];
  for (let k = 0; k < HASH_SIZE; k++) out[p + 36 + k] = merkleRoot[k];
  view.setUint32(p + 68, timestamp, true);
  view.setUint32(p + 72, bits, true);
  view.setUint32(p + 76, nonce, true);
  w.pos = p + BLOCK_HEADER_SIZE;
}

function checkU32(command: string, field: string, value: number): void {
  if ((value >>> 0) !== value) {
    throw new RangeError(
      `Cannot encode "${command}": ${field} must be an integer in 0..4294967295`,
    );
  }
}

/**
 * Serializes a block header to its 80 bytes.
 *
 * @param header The header.
 * @returns The 80 bytes.
 * @throws {TypeError} A hash that is not 32 bytes.
 * @throws {RangeError} A field outside its integer range.
 *
 * @example
 * ```ts
 * import { decodeBlockHeader, encodeBlockHeader } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const bytes = encodeBlockHeader({
 *   version: 4,
 *   prevBlock: new Uint8Array(32),
 *   merkleRoot: new Uint8Array(32).fill(7),
 *   timestamp: 1700000000,
 *   bits: 0x17034219,
 *   nonce: 1,
 * });
 * assertEquals(bytes.length, 80);
 * assertEquals(decodeBlockHeader(bytes).timestamp, 1700000000);
 * ```
 */
export function encodeBlockHeader(header: BlockHeader): Uint8Array {
  const w = new ByteWriter(BLOCK_HEADER_SIZE);
  writeBlockHeader(w, header, "block header");
  return w.bytes;
}

/**
 * Parses an 80-byte block header.
 *
 * @param bytes Exactly 80 bytes.
 * @returns The header; its hashes are views into `bytes`.
 * @throws {MessageError} `truncated` if shorter than 80 bytes, `trailing-bytes` if longer.
 *
 * @example
 * ```ts
 * import { decodeBlockHeader } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const header = decodeBlockHeader(new Uint8Array(80).fill(1));
 * assertEquals(header.version, 0x01010101); // little-endian fields
 * assertEquals(header.nonce, 0x01010101);
 * ```
 */
export function decodeBlockHeader(bytes: Uint8Array): BlockHeader {
  if (bytes.length > BLOCK_HEADER_SIZE) {
    throw new MessageError(
      "trailing-bytes",
      `Cannot decode "block header": ${
        bytes.length - BLOCK_HEADER_SIZE
      } trailing bytes after an 80-byte header`,
      "block header",
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < BLOCK_HEADER_SIZE) {
    throw new MessageError(
      "truncated",
      `Cannot decode "block header": block header needs 80 bytes at offset 0, ${bytes.length} remain`,
      "block header",
    );
  }
  return new DecodedBlockHeader(bytes, view, 0);
}

/**
 * The header at `bytes[offset, offset + 80)`, decoded lazily like {@linkcode decodeBlockHeader}
 * with one DataView shared by many headers (internal: the header chain's batch events). The
 * caller guarantees the 80 bytes are there.
 */
export function decodeBlockHeaderAt(
  bytes: Uint8Array,
  offset: number,
  view: DataView,
): BlockHeader {
  return new DecodedBlockHeader(bytes, view, offset);
}

/**
 * The block hash: the double SHA-256 of the 80-byte header. A decoded, unchanged header hashes
 * its original bytes.
 *
 * @param header The header.
 * @returns The 32-byte hash in wire order (`hashToHex` shows it as explorers do).
 *
 * @example
 * ```ts
 * import { blockHash, decodeBlockHeader, hashToHex } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const header = decodeBlockHeader(new Uint8Array(80));
 * assertEquals(
 *   hashToHex(blockHash(header)),
 *   "14508459b221041eab257d2baaa7459775ba748246c8403609eb708f0e57e74b",
 * );
 * ```
 */
export function blockHash(header: BlockHeader): Uint8Array {
  if (header instanceof DecodedBlockHeader) {
    const raw = originalBytes(header);
    if (raw !== undefined) return doubleSha256Small(raw);
  }
  return doubleSha256Small(encodeBlockHeader(header));
}

// The header chain's file: a 96-byte file header, then the best chain's 80-byte headers in
// height order from genesis (record h at 96 + 80 h: the bytes a `headers` message carries).
//
//   0  magic "btcshdrs"            48  committed header count (u32 LE)
//   8  format version (u32 LE) 1   52  committed tip hash (32 bytes, wire order)
//  12  network magic (u32 LE)      84  zero (8 bytes)
//  16  genesis hash (32 bytes)     92  checksum: first 4 bytes of dSHA-256 of bytes 0..92
//
// An append writes and flushes the new records first and the file header second, so the
// committed count and tip hash always name records that were whole when the header was
// written. On load every record is checked again (linkage, proof of work, every contextual
// rule but the future limit) and the chain is kept up to the committed tip when the records
// hold it, else up to the last valid record. A record's hash is vouched for by the next
// record's prevBlock: when a record does not link, the one before it is dropped too (either
// may be the damaged one). Only the last record of an unfinished append has no voucher but
// its own proof of work and rules.
import { BLOCK_HEADER_SIZE, doubleSha256 } from "../wire/mod.ts";
import { hashEquals, setU32le, u32le } from "./_store.ts";

/** Bytes before the first record. */
export const FILE_HEADER_SIZE = 96;
/** Format version written and read. */
export const FILE_VERSION = 1;
const MAGIC = new TextEncoder().encode("btcshdrs");

/** The file header's fields. */
export interface FileHeader {
  readonly networkMagic: number;
  readonly genesisHash: Uint8Array;
  readonly count: number;
  readonly tipHash: Uint8Array;
}

/** Offset of record `height`. */
export function recordOffset(height: number): number {
  return FILE_HEADER_SIZE + height * BLOCK_HEADER_SIZE;
}

/** Serializes a file header. */
export function encodeFileHeader(header: FileHeader): Uint8Array {
  const out = new Uint8Array(FILE_HEADER_SIZE);
  out.set(MAGIC, 0);
  setU32le(out, 8, FILE_VERSION);
  setU32le(out, 12, header.networkMagic);
  out.set(header.genesisHash, 16);
  setU32le(out, 48, header.count);
  out.set(header.tipHash, 52);
  out.set(doubleSha256(out.subarray(0, 92)).subarray(0, 4), 92);
  return out;
}

/** What the first 96 bytes of a file say. */
export type FileHeaderReading =
  | { readonly kind: "ok"; readonly header: FileHeader }
  /** Our magic and version, but the checksum fails (a torn header write). */
  | { readonly kind: "corrupt" }
  /** Not a header chain file of this format. */
  | { readonly kind: "foreign"; readonly reason: string };

/** Parses a file header. */
export function decodeFileHeader(bytes: Uint8Array): FileHeaderReading {
  if (bytes.length < FILE_HEADER_SIZE) return { kind: "corrupt" };
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      return { kind: "foreign", reason: "it does not start with btcshdrs" };
    }
  }
  const version = u32le(bytes, 8);
  if (version !== FILE_VERSION) {
    return { kind: "foreign", reason: `its format version is ${version}, not ${FILE_VERSION}` };
  }
  const check = doubleSha256(bytes.subarray(0, 92));
  if (!hashEquals4(check, bytes, 92)) return { kind: "corrupt" };
  return {
    kind: "ok",
    header: {
      networkMagic: u32le(bytes, 12),
      genesisHash: bytes.slice(16, 48),
      count: u32le(bytes, 48),
      tipHash: bytes.slice(52, 84),
    },
  };
}

function hashEquals4(a: Uint8Array, b: Uint8Array, offset: number): boolean {
  return a[0] === b[offset] && a[1] === b[offset + 1] && a[2] === b[offset + 2] &&
    a[3] === b[offset + 3];
}

/** Whether two hashes are equal. */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === 32 && b.length === 32 && hashEquals(a, 0, b, 0);
}

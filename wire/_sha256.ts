// An allocation-free SHA-256 (FIPS 180-4) for short inputs. node:crypto is native and fast
// on long inputs, but each call costs a few microseconds in Deno, which would cap small
// messages (ping, verack, a 1-entry inv) at a few hundred thousand per second. Here the
// second round of every double SHA-256 (always 32 bytes) and whole short payloads are hashed
// in JavaScript, into preallocated state. Property tests check it against node:crypto.
import { compress as compressBlock } from "./_sha256_compress.ts";

/** The block being compressed, as sixteen big-endian words (single-threaded reuse). */
const W = new Int32Array(16);
/** Running state: eight words. */
const H = new Int32Array(8);
/** The last, partial block being padded. */
const TAIL = new Uint8Array(64);

/** Largest input hashed here rather than by node:crypto (measured break-even is ~1 KB). */
export const SMALL_INPUT_MAX = 512;

function compress(): void {
  compressBlock(H, W);
}

function loadBlock(bytes: Uint8Array, p: number): void {
  for (let i = 0; i < 16; i++, p += 4) {
    W[i] = (bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3];
  }
}

/** Loads `data[start, end)` (at most 55 bytes) and its padding as one block into `W`. */
function loadShortBlock(data: Uint8Array, start: number, end: number): void {
  const length = end - start;
  const words = length >>> 2;
  let p = start;
  for (let i = 0; i < words; i++, p += 4) {
    W[i] = (data[p] << 24) | (data[p + 1] << 16) | (data[p + 2] << 8) | data[p + 3];
  }
  // The partial word, then the 0x80 terminator.
  let last = 0;
  const rem = length & 3;
  for (let j = 0; j < rem; j++) last |= data[p + j] << (24 - 8 * j);
  W[words] = last | (0x80 << (24 - 8 * rem));
  for (let i = words + 1; i < 15; i++) W[i] = 0;
  W[15] = length * 8;
}

function resetState(): void {
  H[0] = 0x6a09e667;
  H[1] = 0xbb67ae85 | 0;
  H[2] = 0x3c6ef372;
  H[3] = 0xa54ff53a | 0;
  H[4] = 0x510e527f;
  H[5] = 0x9b05688c | 0;
  H[6] = 0x1f83d9ab;
  H[7] = 0x5be0cd19;
}

/**
 * Pads the last `fill` (< 64) bytes of an input of `length` bytes, already in `TAIL`, and
 * compresses the final block or two.
 */
function finishTail(fill: number, length: number): void {
  TAIL[fill] = 0x80;
  if (fill >= 56) {
    TAIL.fill(0, fill + 1, 64);
    loadBlock(TAIL, 0);
    compress();
    TAIL.fill(0, 0, 56);
  } else {
    TAIL.fill(0, fill + 1, 56);
  }
  // The bit length, big-endian in 64 bits; inputs here are far below 2^40 bits.
  const bits = length * 8;
  TAIL[56] = 0;
  TAIL[57] = 0;
  TAIL[58] = 0;
  TAIL[59] = Math.floor(bits / 0x100000000) & 0xff;
  TAIL[60] = bits >>> 24;
  TAIL[61] = bits >>> 16;
  TAIL[62] = bits >>> 8;
  TAIL[63] = bits;
  loadBlock(TAIL, 0);
  compress();
}

/** SHA-256 of `data[start, end)` into `H` (as big-endian words). */
function hashRange(data: Uint8Array, start: number, end: number): void {
  resetState();
  const length = end - start;
  if (length <= 55) {
    // One block holds the input and its padding: most control messages and every ping.
    loadShortBlock(data, start, end);
    compress();
    return;
  }
  let p = start;
  while (end - p >= 64) {
    loadBlock(data, p);
    compress();
    p += 64;
  }
  const rest = end - p;
  for (let i = 0; i < rest; i++) TAIL[i] = data[p + i];
  finishTail(rest, length);
}

/**
 * SHA-256 of the concatenation of `data[ranges[0], ranges[1])`, `data[ranges[2], ranges[3])`...
 * into `H`, without concatenating: how a witness transaction's txid skips its marker, flag and
 * witness bytes.
 */
function hashRanges(data: Uint8Array, ranges: readonly number[]): void {
  resetState();
  let fill = 0;
  let length = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    let p = ranges[r];
    const end = ranges[r + 1];
    length += end - p;
    while (p < end) {
      if (fill === 0 && end - p >= 64) {
        loadBlock(data, p);
        compress();
        p += 64;
        continue;
      }
      const take = Math.min(64 - fill, end - p);
      for (let i = 0; i < take; i++) TAIL[fill + i] = data[p + i];
      fill += take;
      p += take;
      if (fill === 64) {
        loadBlock(TAIL, 0);
        compress();
        fill = 0;
      }
    }
  }
  finishTail(fill, length);
}

/** SHA-256 of the 32-byte digest now in `H`, left in `H` (the second round of dSHA-256). */
function rehashState(): void {
  for (let i = 0; i < 8; i++) W[i] = H[i];
  W[8] = 0x80000000 | 0;
  for (let i = 9; i < 15; i++) W[i] = 0;
  W[15] = 256;
  resetState();
  compress();
}

/** SHA-256 of a 32-byte `digest[0, 32)` into `H`. */
function rehashBytes(digest: Uint8Array): void {
  for (let i = 0, p = 0; i < 8; i++, p += 4) {
    W[i] = (digest[p] << 24) | (digest[p + 1] << 16) | (digest[p + 2] << 8) | digest[p + 3];
  }
  W[8] = 0x80000000 | 0;
  for (let i = 9; i < 15; i++) W[i] = 0;
  W[15] = 256;
  resetState();
  compress();
}

function writeState(out: Uint8Array): Uint8Array {
  for (let i = 0, p = 0; i < 8; i++, p += 4) {
    const v = H[i];
    out[p] = v >>> 24;
    out[p + 1] = v >>> 16;
    out[p + 2] = v >>> 8;
    out[p + 3] = v;
  }
  return out;
}

/** SHA-256 of `data[start, end)` in JavaScript (any length; fastest below ~1 KB). */
export function sha256Small(data: Uint8Array, start = 0, end = data.length): Uint8Array {
  hashRange(data, start, end);
  return writeState(new Uint8Array(32));
}

/** Double SHA-256 of `data[start, end)` in JavaScript. */
export function doubleSha256Small(data: Uint8Array, start = 0, end = data.length): Uint8Array {
  hashRange(data, start, end);
  rehashState();
  return writeState(new Uint8Array(32));
}

/** Double SHA-256 of the concatenated ranges `[start, end, start, end...]` of `data`. */
export function doubleSha256SmallRanges(data: Uint8Array, ranges: readonly number[]): Uint8Array {
  hashRanges(data, ranges);
  rehashState();
  return writeState(new Uint8Array(32));
}

/** Double SHA-256 whose first round was done elsewhere: SHA-256 of a 32-byte digest. */
export function sha256OfDigest(digest: Uint8Array): Uint8Array {
  rehashBytes(digest);
  return writeState(new Uint8Array(32));
}

/** First four bytes of dSHA-256(data[start, end)) as a big-endian uint32, no allocation. */
export function checksumSmall(data: Uint8Array, start: number, end: number): number {
  hashRange(data, start, end);
  rehashState();
  return H[0] >>> 0;
}

/** First four bytes of SHA-256(digest) as a big-endian uint32, `digest` being 32 bytes. */
export function checksumOfDigest(digest: Uint8Array): number {
  rehashBytes(digest);
  return H[0] >>> 0;
}

// A growable output buffer. Frames are written in place: the payload goes after 24 reserved
// header bytes, and the header is filled in once the payload length and checksum are known,
// so a frame is built with no extra copy.
import { wireStringToBytes } from "./wire_string.ts";

/** Growable little-endian writer; internal to `wire/`. */
export class ByteWriter {
  bytes: Uint8Array;
  view: DataView;
  pos: number;

  constructor(capacity = 256, start = 0) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
    this.pos = start;
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.bytes.length) return;
    let cap = this.bytes.length * 2;
    while (cap < need) cap *= 2;
    const grown = new Uint8Array(cap);
    grown.set(this.bytes.subarray(0, this.pos));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(v: number): void {
    if (this.pos + 1 > this.bytes.length) this.reserve(1);
    this.bytes[this.pos++] = v;
  }

  u16le(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  u16be(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.pos, v, false);
    this.pos += 2;
  }

  u32le(v: number): void {
    if (this.pos + 4 > this.bytes.length) this.reserve(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  i32le(v: number): void {
    if (this.pos + 4 > this.bytes.length) this.reserve(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }

  u64le(v: bigint): void {
    this.reserve(8);
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, v), true);
    this.pos += 8;
  }

  i64le(v: bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.pos, BigInt.asIntN(64, v), true);
    this.pos += 8;
  }

  bytesRaw(b: Uint8Array): void {
    const n = b.length;
    if (this.pos + n > this.bytes.length) this.reserve(n);
    if (n < 64) {
      const out = this.bytes;
      let p = this.pos;
      for (let i = 0; i < n; i++) out[p++] = b[i];
    } else {
      this.bytes.set(b, this.pos);
    }
    this.pos += n;
  }

  /** Writes `n` zero bytes. */
  zeros(n: number): void {
    this.reserve(n);
    this.bytes.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  /** CompactSize, canonical. */
  varInt(v: number): void {
    if (v < 0xfd) {
      this.u8(v);
    } else if (v <= 0xffff) {
      this.reserve(3);
      this.bytes[this.pos] = 0xfd;
      this.view.setUint16(this.pos + 1, v, true);
      this.pos += 3;
    } else if (v <= 0xffffffff) {
      this.reserve(5);
      this.bytes[this.pos] = 0xfe;
      this.view.setUint32(this.pos + 1, v, true);
      this.pos += 5;
    } else {
      this.reserve(9);
      this.bytes[this.pos] = 0xff;
      this.view.setBigUint64(this.pos + 1, BigInt(v), true);
      this.pos += 9;
    }
  }

  /** CompactSize from a bigint (full 64-bit range). */
  varIntBig(v: bigint): void {
    if (v <= 0xffffffffn) {
      this.varInt(Number(v));
    } else {
      this.reserve(9);
      this.bytes[this.pos] = 0xff;
      this.view.setBigUint64(this.pos + 1, BigInt.asUintN(64, v), true);
      this.pos += 9;
    }
  }

  varBytes(b: Uint8Array): void {
    this.varInt(b.length);
    this.bytesRaw(b);
  }

  /** CompactSize-prefixed string; a decoded string's escaped bytes are written back as bytes. */
  varString(s: string): void {
    if (s.length === 0) {
      this.u8(0);
      return;
    }
    this.varBytes(wireStringToBytes(s));
  }

  /** The written bytes; copies only when most of the buffer would be wasted. */
  finish(): Uint8Array {
    if (this.bytes.length - this.pos > 256 && this.bytes.length > this.pos * 2) {
      return this.bytes.slice(0, this.pos);
    }
    return this.bytes.subarray(0, this.pos);
  }
}

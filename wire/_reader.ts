// A bounds-checked cursor over a payload. Every read that would pass the end throws a
// `MessageError("truncated")`, so decoders never index past their input and never allocate
// from a length field before checking it against what actually arrived.
import { MessageError } from "./errors.ts";
import { bytesToWireString } from "./wire_string.ts";

/** Cursor over one message payload; internal to `wire/`. */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos: number;
  /** Where the message starts (for error messages). */
  readonly start: number;
  readonly end: number;
  /** Command being decoded, for error messages. */
  readonly command: string;

  constructor(
    bytes: Uint8Array,
    command: string,
    start = 0,
    end: number = bytes.length,
    view?: DataView,
  ) {
    this.bytes = bytes;
    // A caller decoding many frames from one chunk passes that chunk's view.
    this.view = view ?? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.start = start;
    this.end = end;
    this.command = command;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws `truncated` unless `n` more bytes are available. */
  need(n: number, field: string): void {
    if (this.end - this.pos < n) {
      throw new MessageError(
        "truncated",
        `Cannot decode "${this.command}": ${field} needs ${n} bytes at offset ${this.pos}, ${
          Math.max(0, this.end - this.pos)
        } remain`,
        this.command,
      );
    }
  }

  /** Throws `trailing-bytes` unless the whole message was read. */
  expectEnd(): void {
    if (this.pos !== this.end) {
      throw new MessageError(
        "trailing-bytes",
        `Cannot decode "${this.command}": ${this.end - this.pos} trailing bytes after a ${
          this.pos - this.start
        }-byte message`,
        this.command,
      );
    }
  }

  fail(code: "limit-exceeded" | "invalid-value" | "unsupported-version", detail: string): never {
    throw new MessageError(code, `Cannot decode "${this.command}": ${detail}`, this.command);
  }

  u8(field = "uint8"): number {
    if (this.pos >= this.end) this.need(1, field);
    return this.bytes[this.pos++];
  }

  u16le(field = "uint16"): number {
    this.need(2, field);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u16be(field = "uint16"): number {
    this.need(2, field);
    const v = this.view.getUint16(this.pos, false);
    this.pos += 2;
    return v;
  }

  u32le(field = "uint32"): number {
    if (this.end - this.pos < 4) this.need(4, field);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32le(field = "int32"): number {
    if (this.end - this.pos < 4) this.need(4, field);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64le(field = "uint64"): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  i64le(field = "int64"): bigint {
    this.need(8, field);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A view (no copy) of the next `n` bytes. */
  bytesView(n: number, field = "bytes"): Uint8Array {
    if (this.end - this.pos < n) this.need(n, field);
    const start = this.pos;
    this.pos += n;
    return this.bytes.subarray(start, start + n);
  }

  /** Advances over `n` bytes. */
  skip(n: number, field = "bytes"): void {
    if (this.end - this.pos < n) this.need(n, field);
    this.pos += n;
  }

  /** A 32-byte hash in wire order (a view, no copy). */
  hash(field = "hash"): Uint8Array {
    return this.bytesView(32, field);
  }

  /**
   * A CompactSize as a number. Values above 2^53 - 1 are reported as `limit-exceeded` (no
   * count or length in the protocol comes near that); use `varIntBig` for raw 64-bit values.
   */
  varInt(field = "count"): number {
    const pos = this.pos;
    if (pos >= this.end) this.need(1, field);
    const d = this.bytes[pos];
    if (d < 0xfd) {
      this.pos = pos + 1;
      return d;
    }
    if (d === 0xfd) {
      this.need(3, field);
      const v = this.view.getUint16(pos + 1, true);
      if (v < 0xfd) this.#nonCanonical(field, d, v, 0xfc);
      this.pos = pos + 3;
      return v;
    }
    if (d === 0xfe) {
      this.need(5, field);
      const v = this.view.getUint32(pos + 1, true);
      if (v <= 0xffff) this.#nonCanonical(field, d, v, 0xffff);
      this.pos = pos + 5;
      return v;
    }
    this.need(9, field);
    const v = this.view.getBigUint64(pos + 1, true);
    if (v <= 0xffffffffn) this.#nonCanonical(field, d, v, 0xffffffff);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.fail("limit-exceeded", `${field} ${v} is out of range`);
    }
    this.pos = pos + 9;
    return Number(v);
  }

  /** A CompactSize as a bigint (full 64-bit range). */
  varIntBig(field = "value"): bigint {
    if (this.pos < this.end && this.bytes[this.pos] === 0xff) {
      this.need(9, field);
      const d = 0xff;
      const v = this.view.getBigUint64(this.pos + 1, true);
      if (v <= 0xffffffffn) this.#nonCanonical(field, d, v, 0xffffffff);
      this.pos += 9;
      return v;
    }
    return BigInt(this.varInt(field));
  }

  /** A CompactSize count, checked against `max` before anything is allocated for it. */
  count(max: number, field: string): number {
    const n = this.varInt(field);
    if (n > max) this.fail("limit-exceeded", `${n} ${field} exceed the limit of ${max}`);
    return n;
  }

  /** CompactSize-prefixed bytes (a view), at most `max` long. */
  varBytes(max: number, field: string): Uint8Array {
    const n = this.varInt(field);
    if (n > max) {
      this.fail("limit-exceeded", `${field} of ${n} bytes exceeds the limit of ${max}`);
    }
    return this.bytesView(n, field);
  }

  /**
   * CompactSize-prefixed string, at most `max` bytes: UTF-8, with any byte that is not
   * valid UTF-8 kept (see `wire_string.ts`), so that it encodes back to the same bytes.
   */
  varString(max: number, field: string): string {
    return bytesToWireString(this.varBytes(max, field));
  }

  #nonCanonical(field: string, d: number, v: number | bigint, min: number): never {
    throw new MessageError(
      "non-canonical-varint",
      `Cannot decode "${this.command}": non-canonical varint for ${field}: discriminant 0x${
        d.toString(16)
      } must encode a value greater than 0x${min.toString(16)}, got 0x${v.toString(16)}`,
      this.command,
    );
  }
}

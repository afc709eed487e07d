// Bytes in, typed messages out. Accepts any chunking: frames that lie inside one chunk are
// decoded in place (no copy); a frame split across chunks is held as a list of views of the
// chunks that actually arrived and joined once when complete, so a header that announces a
// 4 MB block costs nothing until the bytes come, and nothing is copied twice.
import type { CodecContext, MessageCodec } from "./_codec.ts";
import { decodeWith } from "./_payload.ts";
import { MessageError } from "./errors.ts";
import {
  checkedCodec,
  type FrameHeader,
  parseHeader,
  resolveWireOptions,
  verifyChecksum,
  type WireOptions,
} from "./frame.ts";
import type { Message, UnknownMessage } from "./message.ts";
import { MESSAGE_HEADER_SIZE } from "./protocol.ts";

/** Options for {@linkcode MessageDecoderStream}. */
export interface MessageDecoderStreamOptions extends WireOptions {
  /**
   * Called once per frame that passed its checks, with the command named in the header and
   * the frame's size in bytes (header included); for statistics. Unknown commands too.
   */
  onFrame?: (command: string, size: number) => void;
}

/**
 * A `TransformStream` from raw bytes (in any chunking) to decoded messages.
 *
 * Unknown commands come out as {@linkcode UnknownMessage} rather than failing. Any other
 * protocol violation errors the stream with a {@linkcode MessageError}: bad magic, an
 * invalid command, a payload over the network limit or its command's maximum (checked from
 * the header, before buffering), a bad checksum, a payload that does not decode, trailing
 * bytes, or input that ends in the middle of a frame.
 *
 * Decoded messages may hold views into the chunks written, so chunks must not be reused
 * by the writer after they are written (as with any stream).
 *
 * @example
 * ```ts
 * import { encodeMessage, MessageDecoderStream } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const bytes = encodeMessage({ command: "ping", nonce: 9n });
 * const messages = ReadableStream.from([bytes.subarray(0, 5), bytes.subarray(5)])
 *   .pipeThrough(new MessageDecoderStream());
 * assertEquals(await Array.fromAsync(messages), [{ command: "ping", nonce: 9n }]);
 * ```
 */
export class MessageDecoderStream extends TransformStream<Uint8Array, Message | UnknownMessage> {
  readonly #decoder: FrameDecoder;

  /**
   * Creates a decoder.
   *
   * @param options Network (default mainnet), protocol version (70016), witness (true), and
   * an optional per-frame callback.
   */
  constructor(options: MessageDecoderStreamOptions = {}) {
    const decoder = new FrameDecoder(options);
    super({
      transform(chunk, controller) {
        decoder.push(chunk, controller);
      },
      flush() {
        decoder.finish();
      },
    });
    this.#decoder = decoder;
  }

  /**
   * Changes the protocol version that gates optional fields, for frames not decoded yet: a
   * peer decodes at its own version until the handshake has negotiated a lower one.
   *
   * @param protocolVersion The negotiated protocol version.
   *
   * @example
   * ```ts
   * import { encodeMessage, MessageDecoderStream } from "@btcstream/p2p/wire";
   * import { assertEquals } from "@std/assert";
   * // Before BIP 31 (protocol 60000 and older) a ping has no nonce.
   * const frame = encodeMessage({ command: "ping", nonce: 0n }, { protocolVersion: 60000 });
   * const decoder = new MessageDecoderStream();
   * decoder.setProtocolVersion(60000);
   * const messages = await Array.fromAsync(ReadableStream.from([frame]).pipeThrough(decoder));
   * assertEquals(messages, [{ command: "ping", nonce: 0n }]);
   * ```
   */
  setProtocolVersion(protocolVersion: number): void {
    this.#decoder.setProtocolVersion(protocolVersion);
  }
}

type Sink = { enqueue(message: Message | UnknownMessage): void };

/** The framing state machine behind {@linkcode MessageDecoderStream}; internal. */
class FrameDecoder {
  readonly #magic: number;
  #ctx: CodecContext;
  readonly #onFrame: ((command: string, size: number) => void) | undefined;
  /** A header split across chunks. */
  #headerBytes: Uint8Array | undefined;
  #headerFill = 0;
  /** The frame whose payload is arriving, if any. */
  #header: FrameHeader | null = null;
  // deno-lint-ignore no-explicit-any
  #codec: MessageCodec<any> | undefined;
  #parts: Uint8Array[] = [];
  #received = 0;

  constructor(options: MessageDecoderStreamOptions) {
    const resolved = resolveWireOptions(options);
    this.#magic = resolved.magic;
    this.#ctx = resolved.ctx;
    this.#onFrame = options.onFrame;
  }

  setProtocolVersion(protocolVersion: number): void {
    this.#ctx = resolveWireOptions({ protocolVersion, witness: this.#ctx.witness }).ctx;
  }

  push(chunk: Uint8Array, out: Sink): void {
    const n = chunk.length;
    let pos = 0;
    let view: DataView | undefined;
    while (pos < n) {
      const pending = this.#header;
      if (pending !== null) {
        // Completing a payload that started in an earlier chunk.
        const need = pending.length - this.#received;
        if (n - pos < need) {
          this.#parts.push(chunk.subarray(pos));
          this.#received += n - pos;
          return;
        }
        this.#parts.push(chunk.subarray(pos, pos + need));
        pos += need;
        const payload = join(this.#parts, pending.length);
        this.#header = null;
        this.#parts = [];
        this.#received = 0;
        this.#emit(pending, this.#codec, payload, 0, payload.length, undefined, out);
        continue;
      }
      let header: FrameHeader;
      if (this.#headerFill === 0 && n - pos >= MESSAGE_HEADER_SIZE) {
        view ??= new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        header = parseHeader(chunk, pos, this.#magic, view);
        pos += MESSAGE_HEADER_SIZE;
      } else {
        const take = Math.min(MESSAGE_HEADER_SIZE - this.#headerFill, n - pos);
        const headerBytes = this.#headerBytes ??= new Uint8Array(MESSAGE_HEADER_SIZE);
        headerBytes.set(chunk.subarray(pos, pos + take), this.#headerFill);
        this.#headerFill += take;
        pos += take;
        if (this.#headerFill < MESSAGE_HEADER_SIZE) return;
        this.#headerFill = 0;
        header = parseHeader(headerBytes, 0, this.#magic);
      }
      const codec = checkedCodec(header, this.#ctx.protocolVersion);
      if (n - pos >= header.length) {
        // The whole payload is in this chunk: decode it in place.
        view ??= new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        this.#emit(header, codec, chunk, pos, pos + header.length, view, out);
        pos += header.length;
      } else {
        this.#header = header;
        this.#codec = codec;
        if (pos < n) {
          this.#parts.push(chunk.subarray(pos));
          this.#received = n - pos;
        }
        return;
      }
    }
  }

  finish(): void {
    if (this.#header !== null) {
      const h = this.#header;
      throw new MessageError(
        "truncated",
        `Cannot decode "${h.command}": the input ended after ${this.#received} of ${h.length} payload bytes`,
        h.command,
      );
    }
    if (this.#headerFill > 0) {
      throw new MessageError(
        "truncated",
        `Cannot frame message: the input ended after ${this.#headerFill} of 24 header bytes`,
      );
    }
  }

  #emit(
    header: FrameHeader,
    // deno-lint-ignore no-explicit-any
    codec: MessageCodec<any> | undefined,
    bytes: Uint8Array,
    start: number,
    end: number,
    view: DataView | undefined,
    out: Sink,
  ): void {
    verifyChecksum(header, bytes, start, end);
    const message: Message | UnknownMessage = codec === undefined
      ? { command: "unknown", name: header.command, payload: bytes.subarray(start, end) }
      : decodeWith(codec, bytes, this.#ctx, start, end, view);
    // Reported before the message is handed on: a consumer may run synchronously inside
    // `enqueue` and look for the frame's size.
    this.#onFrame?.(header.command, MESSAGE_HEADER_SIZE + header.length);
    out.enqueue(message);
  }
}

/** One buffer from `parts` totalling `length` bytes; no copy when there is a single part. */
function join(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// v1 framing, inbound: bytes in any chunking to `{ command, payload }`, payloads not decoded.
// This is the transport seam: a peer decodes payloads later, when its dispatcher takes them,
// with the protocol version negotiated by then, and BIP 324's v2 transport hands up the same
// raw messages.
//
// Memory: a frame that lies inside one chunk is handed up as a view of it (no copy). A payload
// split across chunks is kept as the pieces that arrived, never as the length the header
// merely claims: a large piece that fills most of its chunk's buffer (a socket read of a block
// download) is kept as a view and joined once at the end, as before; small or sparse pieces
// are copied into a buffer that grows with them (at most twice their bytes plus 4 KiB). So a
// remote that trickles a 4 MB payload a byte per TCP segment holds about what it sent, not a
// read buffer and a view object per segment.
import { MessageError } from "./errors.ts";
import {
  checkedCodec,
  type FrameHeader,
  parseHeader,
  resolveWireOptions,
  verifyChecksum,
  type WireOptions,
} from "./frame.ts";
import type { CodecContext, MessageCodec } from "./_codec.ts";
import { decodeWith } from "./_payload.ts";
import type { Message, RawMessage, UnknownMessage } from "./message.ts";
import { MESSAGE_HEADER_SIZE } from "./protocol.ts";

// deno-lint-ignore no-explicit-any
type AnyCodec = MessageCodec<any>;

/**
 * Receives a complete, checked frame: its command, its payload at `bytes[start, end)` (`view`,
 * when given, is a DataView of `bytes`), and its codec when the command is known.
 */
type FrameSink = (
  command: string,
  bytes: Uint8Array,
  start: number,
  end: number,
  view: DataView | undefined,
  codec: AnyCodec | undefined,
) => void;

/** Set by FrameDecoder's static block: its frame loop with a sink of the caller's. */
let pushFrames: (decoder: FrameDecoder, chunk: Uint8Array, frame: FrameSink) => void;

/**
 * Feeds `chunk` and decodes each complete frame's payload in place with `ctx` (unknown
 * commands as {@linkcode UnknownMessage}): {@linkcode MessageDecoderStream}'s path, which
 * skips the raw message object and the payload view a frame would otherwise cost.
 */
export function pushDecoded(
  decoder: FrameDecoder,
  chunk: Uint8Array,
  ctx: CodecContext,
  out: (message: Message | UnknownMessage) => void,
): void {
  pushFrames(decoder, chunk, (command, bytes, start, end, view, codec) => {
    out(
      codec === undefined
        ? { command: "unknown", name: command, payload: bytes.subarray(start, end) }
        : decodeWith(codec, bytes, ctx, start, end, view) as Message,
    );
  });
}

/** A piece at least this long that fills half its buffer is kept as a view, not copied. */
const VIEW_PIECE_BYTES = 16 * 1024;
/** The first allocation for small pieces of a payload, unless it is shorter. */
const MIN_TAIL_BYTES = 4 * 1024;

/** Options for {@linkcode FrameDecoder} and {@linkcode FrameDecoderStream}. */
export interface FrameDecoderOptions extends WireOptions {
  /**
   * Called once per frame that passed its checks, with its command and size in bytes (header
   * included), before the frame is handed on; unknown commands too. For statistics.
   */
  onFrame?: (command: string, size: number) => void;
}

/**
 * The v1 framing state machine, fed bytes by its caller (no streams, no I/O): checks each
 * header in btcd's order before buffering anything (magic, the network limit, the command's
 * syntax, the command's own maximum at the configured protocol version), then the checksum.
 * Commands it does not know pass through: skipping them is the caller's choice.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encodeMessage, FrameDecoder, type RawMessage } from "@btcstream/p2p/wire";
 * const bytes = encodeMessage({ command: "ping", nonce: 1n });
 * const decoder = new FrameDecoder();
 * const out: RawMessage[] = [];
 * decoder.push(bytes.subarray(0, 10), (m) => out.push(m));
 * assertEquals(out.length, 0);
 * decoder.push(bytes.subarray(10), (m) => out.push(m));
 * assertEquals(out[0].command, "ping");
 * assertEquals(out[0].payload, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]));
 * ```
 */
export class FrameDecoder {
  readonly #magic: number;
  #protocolVersion: number;
  readonly #onFrame: ((command: string, size: number) => void) | undefined;
  /** A header split across chunks. */
  #headerBytes: Uint8Array | undefined;
  #headerFill = 0;
  /** The frame whose payload is arriving, if any, and its codec (undefined: unknown). */
  #header: FrameHeader | undefined;
  #codec: AnyCodec | undefined;
  /** Its bytes so far: whole pieces, then the small ones copied into `#tail[0, #tailFill)`. */
  #pieces: Uint8Array[] = [];
  #piecesBytes = 0;
  #tail: Uint8Array | undefined;
  #tailFill = 0;
  #received = 0;

  /**
   * Creates a decoder.
   *
   * @param options Network (default mainnet), the protocol version whose per-command maximums
   * are checked from the header (default 70016), and a per-frame callback.
   */
  constructor(options: FrameDecoderOptions = {}) {
    const resolved = resolveWireOptions(options);
    this.#magic = resolved.magic;
    this.#protocolVersion = resolved.ctx.protocolVersion;
    this.#onFrame = options.onFrame;
  }

  /**
   * Changes the protocol version whose per-command payload maximums are checked, for frames
   * whose header has not arrived yet.
   *
   * @param protocolVersion The protocol version.
   */
  setProtocolVersion(protocolVersion: number): void {
    this.#protocolVersion = protocolVersion;
  }

  /** Bytes of a frame in progress that arrived so far (header and payload). */
  get bufferedBytes(): number {
    return this.#headerFill + this.#received;
  }

  /**
   * Bytes of memory held for the frame in progress: the buffers its pieces keep alive (the
   * whole buffer behind a view) and the copy of its small pieces. At most about twice
   * {@linkcode FrameDecoder.bufferedBytes} plus 4 KiB, however the bytes were segmented.
   */
  get heldBytes(): number {
    let held = this.#headerBytes === undefined ? 0 : this.#headerBytes.byteLength;
    for (const piece of this.#pieces) held += piece.buffer.byteLength;
    if (this.#tail !== undefined) held += this.#tail.byteLength;
    return held;
  }

  /**
   * Feeds the next bytes of the connection; each complete frame goes to `out`, in order.
   * Payloads handed out may be views of `chunk`, which must not be reused afterwards.
   *
   * @param chunk The bytes.
   * @param out Receives each complete frame.
   * @throws {MessageError} For a bad header or checksum; the decoder is then unusable.
   */
  push(chunk: Uint8Array, out: (message: RawMessage) => void): void {
    this.#push(chunk, (command, bytes, start, end) => {
      out({ command, payload: bytes.subarray(start, end) });
    });
  }

  static {
    pushFrames = (decoder, chunk, frame) => decoder.#push(chunk, frame);
  }

  #push(chunk: Uint8Array, frame: FrameSink): void {
    const n = chunk.length;
    let pos = 0;
    let view: DataView | undefined;
    while (pos < n) {
      const pending = this.#header;
      if (pending !== undefined) {
        // Completing a payload that started in an earlier chunk.
        const take = Math.min(pending.length - this.#received, n - pos);
        this.#append(chunk, pos, take, pending.length);
        pos += take;
        if (this.#received < pending.length) return;
        const payload = this.#takePayload(pending.length);
        this.#header = undefined;
        this.#emit(pending, this.#codec, payload, 0, payload.length, undefined, frame);
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
      const codec = checkedCodec(header, this.#protocolVersion);
      if (n - pos >= header.length) {
        view ??= new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        this.#emit(header, codec, chunk, pos, pos + header.length, view, frame);
        pos += header.length;
      } else {
        this.#header = header;
        this.#codec = codec;
        const take = n - pos;
        this.#append(chunk, pos, take, header.length);
        pos += take;
      }
    }
  }

  /**
   * Ends the input.
   *
   * @throws {MessageError} `truncated` when it ends inside a frame.
   */
  finish(): void {
    const h = this.#header;
    if (h !== undefined) {
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

  /** Adds `chunk[pos, pos + take)` to the payload in progress (see the file's comment). */
  #append(chunk: Uint8Array, pos: number, take: number, length: number): void {
    this.#received += take;
    if (take >= VIEW_PIECE_BYTES && take * 2 >= chunk.buffer.byteLength) {
      this.#flushTail();
      this.#pieces.push(chunk.subarray(pos, pos + take));
      this.#piecesBytes += take;
      return;
    }
    const need = this.#tailFill + take;
    let tail = this.#tail;
    if (tail === undefined || tail.length < need) {
      const left = length - this.#piecesBytes;
      const grown = new Uint8Array(Math.min(left, Math.max(need * 2, MIN_TAIL_BYTES)));
      if (tail !== undefined) grown.set(tail.subarray(0, this.#tailFill));
      this.#tail = tail = grown;
    }
    tail.set(chunk.subarray(pos, pos + take), this.#tailFill);
    this.#tailFill = need;
  }

  #flushTail(): void {
    if (this.#tailFill === 0) return;
    const tail = this.#tail!;
    // A tail mostly empty (a byte or two before a large read) is trimmed, or each one would
    // keep its 4 KiB alive.
    this.#pieces.push(
      tail.length > 2 * this.#tailFill
        ? tail.slice(0, this.#tailFill)
        : tail.subarray(0, this.#tailFill),
    );
    this.#piecesBytes += this.#tailFill;
    this.#tail = undefined;
    this.#tailFill = 0;
  }

  /** The completed payload as one buffer (copied only when it came in several pieces). */
  #takePayload(length: number): Uint8Array {
    this.#flushTail();
    const pieces = this.#pieces;
    this.#pieces = [];
    this.#piecesBytes = 0;
    this.#received = 0;
    if (pieces.length === 1) return pieces[0];
    const out = new Uint8Array(length);
    let at = 0;
    for (const piece of pieces) {
      out.set(piece, at);
      at += piece.length;
    }
    return out;
  }

  #emit(
    header: FrameHeader,
    codec: AnyCodec | undefined,
    bytes: Uint8Array,
    start: number,
    end: number,
    view: DataView | undefined,
    frame: FrameSink,
  ): void {
    verifyChecksum(header, bytes, start, end);
    // Reported before the frame is handed on: a consumer may run synchronously inside `out`
    // and look for the frame's size.
    this.#onFrame?.(header.command, MESSAGE_HEADER_SIZE + header.length);
    frame(header.command, bytes, start, end, view, codec);
  }
}

/**
 * A `TransformStream` from raw bytes (in any chunking) to checked, undecoded frames:
 * `{ command, payload }`. What {@linkcode MessageDecoderStream} does minus payload decoding,
 * for programs that decode later (or never: a relay, a traffic counter), or with a protocol
 * version they learn on the way.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decodeRawMessage, encodeMessage, FrameDecoderStream } from "@btcstream/p2p/wire";
 * const bytes = encodeMessage({ command: "ping", nonce: 9n });
 * const frames = await Array.fromAsync(
 *   ReadableStream.from([bytes.subarray(0, 5), bytes.subarray(5)])
 *     .pipeThrough(new FrameDecoderStream()),
 * );
 * assertEquals(frames.map((f) => f.command), ["ping"]);
 * assertEquals(decodeRawMessage(frames[0]), { command: "ping", nonce: 9n });
 * ```
 */
export class FrameDecoderStream extends TransformStream<Uint8Array, RawMessage> {
  /**
   * Creates a framing stream.
   *
   * @param options Network (default mainnet), protocol version for the per-command maximums
   * (70016), and an optional per-frame callback.
   */
  constructor(options: FrameDecoderOptions = {}) {
    const decoder = new FrameDecoder(options);
    super({
      transform(chunk, controller) {
        decoder.push(chunk, (m) => controller.enqueue(m));
      },
      flush() {
        decoder.finish();
      },
    });
  }
}

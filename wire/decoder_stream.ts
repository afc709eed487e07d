// Bytes in, typed messages out: v1 framing (`FrameDecoder`) and payload decoding in one
// stream, for programs that know their protocol version up front. A peer frames and decodes
// in two steps instead, because its protocol version is only known after the handshake.
import type { CodecContext } from "./_codec.ts";
import { resolveWireOptions } from "./frame.ts";
import { FrameDecoder, type FrameDecoderOptions, pushDecoded } from "./frame_decoder.ts";
import type { Message, UnknownMessage } from "./message.ts";

/** Options for {@linkcode MessageDecoderStream}. */
export type MessageDecoderStreamOptions = FrameDecoderOptions;

/**
 * A `TransformStream` from raw bytes (in any chunking) to decoded messages.
 *
 * Unknown commands come out as {@linkcode UnknownMessage} rather than failing. Any other
 * protocol violation errors the stream with a {@linkcode MessageError}: bad magic, an
 * invalid command, a payload over the network limit or its command's maximum (checked from
 * the header, before buffering), a bad checksum, a payload that does not decode, trailing
 * bytes, or input that ends in the middle of a frame. Messages that came before the bad one
 * in the same chunk are delivered first; the error follows with the next chunk or the end
 * of the input.
 *
 * Decoded messages may hold views into the chunks written, so chunks must not be reused
 * by the writer after they are written (as with any stream).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encodeMessage, MessageDecoderStream } from "@btcstream/p2p/wire";
 * const bytes = encodeMessage({ command: "ping", nonce: 9n });
 * const messages = ReadableStream.from([bytes.subarray(0, 5), bytes.subarray(5)])
 *   .pipeThrough(new MessageDecoderStream());
 * assertEquals(await Array.fromAsync(messages), [{ command: "ping", nonce: 9n }]);
 * ```
 */
export class MessageDecoderStream extends TransformStream<Uint8Array, Message | UnknownMessage> {
  readonly #frames: FrameDecoder;
  /** Read by the transform for each frame; replaced by `setProtocolVersion`. */
  readonly #decoding: { ctx: CodecContext };

  /**
   * Creates a decoder.
   *
   * @param options Network (default mainnet), protocol version (70016), witness (true), and
   * an optional per-frame callback.
   */
  constructor(options: MessageDecoderStreamOptions = {}) {
    const frames = new FrameDecoder(options);
    const decoding = { ctx: resolveWireOptions(options).ctx };
    // A bad frame after good ones in the same chunk: erroring at once would discard the good
    // ones still queued, so the error waits for the next chunk or the end.
    let failure: { error: unknown } | undefined;
    super({
      transform(chunk, controller) {
        if (failure !== undefined) throw failure.error;
        let produced = 0;
        try {
          pushDecoded(frames, chunk, decoding.ctx, (message) => {
            controller.enqueue(message);
            produced++;
          });
        } catch (error) {
          if (produced === 0) throw error;
          failure = { error };
        }
      },
      flush() {
        if (failure !== undefined) throw failure.error;
        frames.finish();
      },
    });
    this.#frames = frames;
    this.#decoding = decoding;
  }

  /**
   * Changes the protocol version that gates optional fields, for frames not decoded yet.
   *
   * @param protocolVersion The protocol version.
   *
   * @example
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { encodeMessage, MessageDecoderStream } from "@btcstream/p2p/wire";
   * // Before BIP 37 (70001) a version message has no relay byte.
   * const frame = encodeMessage({
   *   command: "version",
   *   protocolVersion: 60000,
   *   services: 0n,
   *   timestamp: 0n,
   *   addrRecv: { services: 0n, ip: new Uint8Array(16), port: 0 },
   *   addrFrom: { services: 0n, ip: new Uint8Array(16), port: 0 },
   *   nonce: 1n,
   *   userAgent: "",
   *   startHeight: 0,
   *   relay: true,
   * }, { protocolVersion: 60000 });
   * const decoder = new MessageDecoderStream();
   * decoder.setProtocolVersion(60000);
   * const [version] = await Array.fromAsync(ReadableStream.from([frame]).pipeThrough(decoder));
   * assertEquals(version.command, "version");
   * ```
   */
  setProtocolVersion(protocolVersion: number): void {
    const witness = this.#decoding.ctx.witness;
    this.#decoding.ctx = resolveWireOptions({ protocolVersion, witness }).ctx;
    this.#frames.setProtocolVersion(protocolVersion);
  }
}

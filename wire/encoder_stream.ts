// Typed messages in, framed bytes out: the last stage before a socket's writable side.
import { encodeMessageResolved, resolveWireOptions, type WireOptions } from "./frame.ts";
import type { Message } from "./message.ts";

/**
 * A `TransformStream` from messages to frames (24-byte header and payload each).
 *
 * A message that cannot be encoded (it breaks a protocol limit) errors the stream with a
 * `RangeError` or `TypeError`; that is a bug in the caller, not remote input.
 *
 * @example
 * ```ts
 * import { MessageEncoderStream } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const frames = ReadableStream.from([{ command: "verack" } as const])
 *   .pipeThrough(new MessageEncoderStream({ network: "regtest" }));
 * assertEquals((await Array.fromAsync(frames)).map((frame) => frame.length), [24]);
 * ```
 */
export class MessageEncoderStream extends TransformStream<Message, Uint8Array> {
  /**
   * Creates an encoder.
   *
   * @param options Network (default mainnet), protocol version (70016), witness (true).
   */
  constructor(options: WireOptions = {}) {
    const resolved = resolveWireOptions(options);
    super({
      transform(message, controller) {
        controller.enqueue(encodeMessageResolved(message, resolved));
      },
    });
  }
}

// Encode or decode one payload with a given codec, enforcing what every message shares:
// the command's maximum payload length and no trailing bytes.
import type { CodecContext, MessageCodec } from "./_codec.ts";
import { ByteReader } from "./_reader.ts";
import { ByteWriter } from "./_writer.ts";
import { PROTOCOL_VERSION } from "./protocol.ts";

/** Defaults: protocol 70016, witness encoding. */
export const DEFAULT_CONTEXT: CodecContext = { protocolVersion: PROTOCOL_VERSION, witness: true };

/** Decodes `payload[start, end)` with `codec`; rejects trailing bytes. */
export function decodeWith<M extends { readonly command: string }>(
  codec: MessageCodec<M>,
  payload: Uint8Array,
  ctx: CodecContext = DEFAULT_CONTEXT,
  start = 0,
  end: number = payload.length,
  view?: DataView,
): M {
  const r = new ByteReader(payload, codec.command, start, end, view);
  const message = codec.decode(r, ctx);
  r.expectEnd();
  return message;
}

/** Writes the payload of `message` into `w` and checks it against the command's maximum. */
export function encodeInto<M extends { readonly command: string }>(
  codec: MessageCodec<M>,
  message: M,
  w: ByteWriter,
  ctx: CodecContext = DEFAULT_CONTEXT,
): number {
  const start = w.pos;
  codec.encode(w, message, ctx);
  const length = w.pos - start;
  const max = codec.maxPayloadLength(ctx.protocolVersion);
  if (length > max) {
    throw new RangeError(
      `Cannot encode "${codec.command}": payload of ${length} bytes exceeds the limit of ${max}`,
    );
  }
  return length;
}

/** The payload of `message` alone. */
export function encodeWith<M extends { readonly command: string }>(
  codec: MessageCodec<M>,
  message: M,
  ctx: CodecContext = DEFAULT_CONTEXT,
): Uint8Array {
  const w = new ByteWriter(64);
  encodeInto(codec, message, w, ctx);
  return w.finish();
}

// The shape every message file implements. `message.ts` collects them into one table keyed
// by command; framing (`frame.ts`) and the streams look codecs up there.
import type { ByteReader } from "./_reader.ts";
import type { ByteWriter } from "./_writer.ts";

/** Resolved codec options (defaults applied). */
export interface CodecContext {
  /** Negotiated protocol version; gates optional fields. */
  readonly protocolVersion: number;
  /** BIP 144: serialize transactions with witness data when they have it. */
  readonly witness: boolean;
}

/** One message type's encoder, decoder and payload bound. */
export interface MessageCodec<M extends { readonly command: string }> {
  readonly command: M["command"];
  /** Writes the payload of `message` at `w.pos`. */
  encode(w: ByteWriter, message: M, ctx: CodecContext): void;
  /**
   * Reads one payload from `r`. It need not consume every byte: the caller rejects what is
   * left as `trailing-bytes`.
   */
  decode(r: ByteReader, ctx: CodecContext): M;
  /** The largest payload this command may have at `protocolVersion`. */
  maxPayloadLength(protocolVersion: number): number;
}

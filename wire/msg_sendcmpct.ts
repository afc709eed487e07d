// `sendcmpct` (BIP 152): announces support for compact blocks of a given version and whether
// the peer wants new blocks pushed as `cmpctblock` (high-bandwidth mode).
//
// Bitcoin Core reads it at any protocol version and reads `announce` as a bool, so any non-zero
// byte means true; btcd (2026) refuses it below 70014 and refuses announce bytes above 1. The
// codec follows Core, so a byte other than 0 or 1 decodes to `true` and re-encodes as 1.
import type { MessageCodec } from "./_codec.ts";
import { checkUint64 } from "./_net_address_io.ts";

/**
 * `sendcmpct` (BIP 152): compact block relay negotiation.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type SendCmpctMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const sendcmpct: SendCmpctMessage = { command: "sendcmpct", announce: false, version: 2n };
 * assertEquals(decodeMessage(encodeMessage(sendcmpct)), sendcmpct);
 * ```
 */
export interface SendCmpctMessage {
  /** The command, `sendcmpct`. */
  readonly command: "sendcmpct";
  /**
   * Whether to push new blocks as `cmpctblock` without an `inv` first (high-bandwidth). Read
   * as Bitcoin Core reads a bool: any non-zero byte is true, and is written back as 1, the one
   * change the codec makes to a `sendcmpct` it decoded.
   */
  readonly announce: boolean;
  /** Compact block version (uint64): 1 without witnesses, 2 with (Bitcoin Core only uses 2). */
  readonly version: bigint;
}

/** Codec for `sendcmpct`. */
export const sendCmpctCodec: MessageCodec<SendCmpctMessage> = {
  command: "sendcmpct",
  encode(w, m) {
    checkUint64("sendcmpct", "version", m.version);
    w.u8(m.announce ? 1 : 0);
    w.u64le(m.version);
  },
  decode(r) {
    const announce = r.u8("announce") !== 0;
    const version = r.u64le("version");
    return { command: "sendcmpct", announce, version };
  },
  maxPayloadLength() {
    return 9;
  },
};

/**
 * Why a message failed to frame, decode or encode. Stable, machine-readable.
 *
 * - `bad-magic`: the header's network magic is not the expected network's.
 * - `invalid-command`: the header's command is not NUL-padded printable ASCII.
 * - `unknown-command`: a well-formed frame whose command this codec does not know.
 * - `payload-too-large`: the length exceeds the network limit or the command's maximum.
 * - `bad-checksum`: the payload's double-SHA-256 does not match the header.
 * - `truncated`: the payload ended before a field did.
 * - `trailing-bytes`: the payload has bytes after the message's last field.
 * - `non-canonical-varint`: a CompactSize used more bytes than its value needs.
 * - `limit-exceeded`: a count or length field exceeds its protocol limit.
 * - `invalid-value`: a field holds a value the protocol forbids.
 * - `invalid-address-size`: a BIP 155 address has the wrong size for its network.
 * - `unsupported-version`: the message (or field) does not exist at this protocol version.
 */
export type MessageErrorCode =
  | "bad-magic"
  | "invalid-command"
  | "unknown-command"
  | "payload-too-large"
  | "bad-checksum"
  | "truncated"
  | "trailing-bytes"
  | "non-canonical-varint"
  | "limit-exceeded"
  | "invalid-value"
  | "invalid-address-size"
  | "unsupported-version";

/**
 * A protocol violation found while framing, decoding or encoding a message.
 *
 * Remote input never makes the codec throw anything else.
 *
 * @example
 * ```ts
 * import { decodeMessage, MessageError } from "@btcstream/p2p/wire";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const error = assertThrows(() => decodeMessage(new Uint8Array(24)), MessageError);
 * assertEquals(error.code, "bad-magic");
 * ```
 */
export class MessageError extends Error {
  /** The machine-readable reason. */
  readonly code: MessageErrorCode;
  /** The command being decoded or encoded, when known. */
  readonly command: string | undefined;

  /**
   * Creates an error.
   *
   * @param code The machine-readable reason.
   * @param message What failed, naming the command and the numbers.
   * @param command The command concerned, when known.
   */
  constructor(code: MessageErrorCode, message: string, command?: string) {
    super(message);
    this.name = "MessageError";
    this.code = code;
    this.command = command;
  }
}

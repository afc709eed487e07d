/**
 * Why a BIP 324 v2 connection failed or a packet was refused. Stable, machine-readable.
 *
 * Fatal (the session is over, the peer should be disconnected):
 * - `wrong-network`: a responder received a v1 `version` header with another network's magic.
 * - `garbage-too-long`: no garbage terminator within the 4,095 + 16 bytes after the remote's
 *   key (more garbage than BIP 324 allows, or a wrong terminator: the two look the same).
 * - `packet-too-large`: a packet's decrypted length exceeds 1 + 12 + 4,000,000 bytes; refused
 *   before any of its body is buffered.
 * - `bad-packet`: a packet failed authentication (tampered or corrupted ciphertext, a wrong
 *   key, or a garbage AAD that does not match).
 * - `not-established`: a message was to be encrypted before the key exchange completed.
 *
 * Not fatal (the packet was authentic and is dropped, as Bitcoin Core drops it):
 * - `unknown-message-id`: a short message id that BIP 324's table does not assign (0 is the
 *   long form; 1 to 28 are assigned).
 * - `bad-command`: a long-form message type that is not NUL-padded printable ASCII, or
 *   contents too short to hold one.
 * - `app-before-version`: an empty packet after the version packet (a remote that sent an
 *   application packet first, which was taken as its version packet, then its real one).
 */
export type TransportErrorCode =
  | "wrong-network"
  | "garbage-too-long"
  | "packet-too-large"
  | "bad-packet"
  | "app-before-version"
  | "not-established"
  | "unknown-message-id"
  | "bad-command";

/**
 * A BIP 324 v2 transport failure: a protocol violation by the remote, or a message encrypted
 * too early. Remote input never makes the transport throw anything else.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { decodeContents, TransportError } from "@btcstream/p2p/transport";
 *
 * try {
 *   decodeContents(new Uint8Array([200]));
 *   assert(false, "unreachable");
 * } catch (error) {
 *   assert(error instanceof TransportError);
 *   assertEquals(error.code, "unknown-message-id");
 * }
 * ```
 */
export class TransportError extends Error {
  /** The machine-readable reason. */
  readonly code: TransportErrorCode;

  /**
   * Creates an error.
   *
   * @param code The machine-readable reason.
   * @param message What failed, with the numbers.
   */
  constructor(code: TransportErrorCode, message: string) {
    super(message);
    this.name = "TransportError";
    this.code = code;
  }

  /**
   * Whether the session cannot go on after this error. The non-fatal codes describe an
   * authentic packet whose message type is not understood; Bitcoin Core drops such a message
   * and keeps the connection (`CNode::ReceiveMsgBytes`, `reject_message`).
   *
   * @returns `false` for `unknown-message-id` and `bad-command`, `true` otherwise.
   *
   * @example
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { TransportError } from "@btcstream/p2p/transport";
   *
   * assertEquals(new TransportError("bad-packet", "x").fatal, true);
   * assertEquals(new TransportError("bad-command", "x").fatal, false);
   * ```
   */
  get fatal(): boolean {
    return this.code !== "unknown-message-id" && this.code !== "bad-command";
  }
}

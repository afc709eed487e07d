/**
 * BIP 324, the v2 encrypted transport, without I/O: ElligatorSwift key exchange, the key
 * derivation, the forward-secure ciphers, packets and their short message ids, and
 * {@linkcode V2Session}, one side of a connection as a state machine that a peer drives with
 * the bytes its socket delivers.
 *
 * The pieces stand on their own too: {@linkcode ellswiftCreate} and {@linkcode ellswiftXdh}
 * for the shared secret, {@linkcode deriveV2Keys} for the keys, {@linkcode PacketCipher} to
 * encrypt and decrypt packets, {@linkcode encodeContents} and {@linkcode decodeContents} for
 * what a packet carries. Remote input never throws anything but {@linkcode TransportError};
 * the session does not throw at all, it reports.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { V2Session } from "@btcstream/p2p/transport";
 *
 * const initiator = new V2Session("initiator");
 * const responder = new V2Session("responder");
 * const replies = responder.receive(initiator.start()).send;
 * for (const bytes of replies.flatMap((b) => initiator.receive(b).send)) responder.receive(bytes);
 * assert(initiator.established && responder.established);
 *
 * const packet = initiator.encrypt({ command: "verack", payload: new Uint8Array(0) });
 * assertEquals(responder.receive(packet).messages[0].command, "verack");
 * ```
 *
 * @module
 */
export { TransportError, type TransportErrorCode } from "./errors.ts";
export {
  ELLSWIFT_ENCODING_SIZE,
  ellswiftCreate,
  ellswiftDecode,
  type EllswiftSide,
  ellswiftXdh,
  xSwiftEc,
  xSwiftEcInv,
} from "./ellswift.ts";
export {
  deriveV2Keys,
  type DeriveV2KeysOptions,
  GARBAGE_TERMINATOR_SIZE,
  garbageTerminators,
  type V2Keys,
} from "./keys.ts";
export { FSChaCha20, FSChaCha20Poly1305, type FSChaChaOptions, REKEY_INTERVAL } from "./cipher.ts";
export {
  type DecryptedPacket,
  IGNORE_BIT,
  LENGTH_FIELD_SIZE,
  MAX_PACKET_CONTENTS,
  PACKET_EXPANSION,
  PacketCipher,
  type PacketEncryptOptions,
  type V2Role,
} from "./packet.ts";
export { decodeContents, encodeContents, MAX_CONTENTS_LENGTH, V2_MESSAGE_IDS } from "./contents.ts";
export {
  MAX_GARBAGE_LENGTH,
  type V2EncryptOptions,
  type V2Output,
  V2Session,
  type V2SessionOptions,
  type V2SessionState,
} from "./session.ts";

// BIP 324 key derivation: HKDF-SHA256 of the ECDH secret, salted with the network magic,
// into the four cipher keys, the two garbage terminators and the session id.
//
// HKDF is node:crypto's `hkdfSync`. Against @noble/hashes' extract + expand
// (`bench/transport_bench.ts`, same runs, CPU time) the six derivations of a handshake cost
// about the same in the final runs (36 µs against 34 µs) and up to 1.6x less in others;
// either is small beside the ECDH (about 0.9 ms), so the choice is one fewer JavaScript
// hash in the handshake.
import { hkdfSync } from "node:crypto";
import type { Network, NetworkName } from "../wire/protocol.ts";
import { resolveWireOptions } from "../wire/frame.ts";
import type { V2Role } from "./packet.ts";

/** Bytes in a garbage terminator. */
export const GARBAGE_TERMINATOR_SIZE = 16;

/** Everything BIP 324 derives from the shared secret. Each value is 32 bytes but the terminators. */
export interface V2Keys {
  /** Key of the initiator's length cipher (FSChaCha20). */
  readonly initiatorL: Uint8Array;
  /** Key of the initiator's packet cipher (FSChaCha20Poly1305). */
  readonly initiatorP: Uint8Array;
  /** Key of the responder's length cipher. */
  readonly responderL: Uint8Array;
  /** Key of the responder's packet cipher. */
  readonly responderP: Uint8Array;
  /** The 16 bytes that end the initiator's garbage. */
  readonly initiatorGarbageTerminator: Uint8Array;
  /** The 16 bytes that end the responder's garbage. */
  readonly responderGarbageTerminator: Uint8Array;
  /** The session id both sides can compare out of band (Core's `getpeerinfo` shows it). */
  readonly sessionId: Uint8Array;
}

/** Options for {@linkcode deriveV2Keys}. */
export interface DeriveV2KeysOptions {
  /** The network whose magic salts the derivation: a name or a `Network`. Default mainnet. */
  network?: NetworkName | Network;
}

const encoder = new TextEncoder();
const SALT_PREFIX = encoder.encode("bitcoin_v2_shared_secret");
const INFO = {
  initiatorL: encoder.encode("initiator_L"),
  initiatorP: encoder.encode("initiator_P"),
  responderL: encoder.encode("responder_L"),
  responderP: encoder.encode("responder_P"),
  garbageTerminators: encoder.encode("garbage_terminators"),
  sessionId: encoder.encode("session_id"),
};

/**
 * Derives BIP 324's keys from the shared secret (see `ellswiftXdh`): HKDF-SHA256 with salt
 * `"bitcoin_v2_shared_secret"` ‖ network magic and one `info` string per key.
 *
 * @param sharedSecret The 32-byte secret both sides computed.
 * @param options The network (default mainnet).
 * @returns The four keys, both garbage terminators and the session id.
 * @throws {RangeError} If the secret is not 32 bytes.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { deriveV2Keys } from "@btcstream/p2p/transport";
 *
 * const keys = deriveV2Keys(new Uint8Array(32), { network: "regtest" });
 * assertEquals(keys.sessionId.length, 32);
 * assertEquals(keys.initiatorGarbageTerminator.length, 16);
 * ```
 */
export function deriveV2Keys(
  sharedSecret: Uint8Array,
  options: DeriveV2KeysOptions = {},
): V2Keys {
  if (sharedSecret.length !== 32) {
    throw new RangeError(
      `Invalid BIP 324 shared secret: ${sharedSecret.length} bytes, expected 32`,
    );
  }
  const salt = new Uint8Array(SALT_PREFIX.length + 4);
  salt.set(SALT_PREFIX, 0);
  // The magic as it starts a v1 header: the uint32 little-endian.
  new DataView(salt.buffer).setUint32(SALT_PREFIX.length, resolveWireOptions(options).magic, true);
  const derive = (info: Uint8Array) =>
    new Uint8Array(hkdfSync("sha256", sharedSecret, salt, info, 32));
  const terminators = derive(INFO.garbageTerminators);
  return {
    initiatorL: derive(INFO.initiatorL),
    initiatorP: derive(INFO.initiatorP),
    responderL: derive(INFO.responderL),
    responderP: derive(INFO.responderP),
    initiatorGarbageTerminator: terminators.subarray(0, GARBAGE_TERMINATOR_SIZE),
    responderGarbageTerminator: terminators.subarray(GARBAGE_TERMINATOR_SIZE),
    sessionId: derive(INFO.sessionId),
  };
}

/**
 * The garbage terminators from one side's point of view: the one it sends after its own
 * garbage, and the one that ends the remote's (BIP 324: each side sends its role's).
 *
 * @param keys The derived keys.
 * @param role Our side.
 * @returns The terminator to send and the one to look for.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { deriveV2Keys, garbageTerminators } from "@btcstream/p2p/transport";
 *
 * const keys = deriveV2Keys(new Uint8Array(32));
 * assertEquals(garbageTerminators(keys, "initiator").send, keys.initiatorGarbageTerminator);
 * assertEquals(garbageTerminators(keys, "responder").receive, keys.initiatorGarbageTerminator);
 * ```
 */
export function garbageTerminators(
  keys: V2Keys,
  role: V2Role,
): { send: Uint8Array; receive: Uint8Array } {
  return role === "initiator"
    ? { send: keys.initiatorGarbageTerminator, receive: keys.responderGarbageTerminator }
    : { send: keys.responderGarbageTerminator, receive: keys.initiatorGarbageTerminator };
}

// BIP 324 packets: a 3-byte length encrypted with FSChaCha20, then the header byte and the
// contents encrypted and authenticated with FSChaCha20Poly1305. One object per connection
// holds both directions' ciphers (Bitcoin Core's BIP324Cipher, src/bip324.cpp).
import { FSChaCha20, FSChaCha20Poly1305, type FSChaChaOptions, TAG_SIZE } from "./cipher.ts";
import type { V2Keys } from "./keys.ts";

/** Bytes of the encrypted length field. */
export const LENGTH_FIELD_SIZE = 3;
/** Bytes of the header (flags) that precede the contents. */
export const HEADER_SIZE = 1;
/** Bytes a packet adds to its contents: length, header and tag (20). */
export const PACKET_EXPANSION: number = LENGTH_FIELD_SIZE + HEADER_SIZE + TAG_SIZE;
/** The header bit that makes a packet a decoy, to be authenticated and dropped. */
export const IGNORE_BIT = 0x80;
/** Largest contents the 3-byte length can describe. */
export const MAX_PACKET_CONTENTS = 2 ** 24 - 1;

const EMPTY = new Uint8Array(0);

/** Which end of the connection: the one that dialed, or the one that accepted. */
export type V2Role = "initiator" | "responder";

/** Options for {@linkcode PacketCipher.encrypt}. */
export interface PacketEncryptOptions {
  /** Associated data: the sender's garbage, for the first packet after the terminator. */
  aad?: Uint8Array;
  /** Set the ignore bit: a decoy the receiver authenticates and drops. Default false. */
  ignore?: boolean;
}

/** A decrypted packet. */
export interface DecryptedPacket {
  /** The contents (message type and payload, or version or decoy data). */
  readonly contents: Uint8Array;
  /** Whether the ignore bit was set (a decoy). */
  readonly ignore: boolean;
}

/**
 * Encrypts and decrypts the packets of one v2 connection, from one side's point of view: our
 * length and packet ciphers for sending, theirs for receiving, chosen by role from the keys.
 *
 * Decrypting is two steps, as on the wire: {@linkcode PacketCipher.decryptLength} on the
 * first 3 bytes says how many more bytes the packet has (check it against a limit before
 * buffering them), {@linkcode PacketCipher.decrypt} authenticates and decrypts the rest.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { deriveV2Keys, PacketCipher } from "@btcstream/p2p/transport";
 *
 * const keys = deriveV2Keys(new Uint8Array(32));
 * const alice = new PacketCipher(keys, "initiator"), bob = new PacketCipher(keys, "responder");
 * const packet = alice.encrypt(new Uint8Array([18, 0, 0, 0, 0, 0, 0, 0, 0]));
 * assertEquals(packet.length, 9 + 20);
 * const length = bob.decryptLength(packet.subarray(0, 3));
 * assertEquals(length, 9);
 * const decrypted = bob.decrypt(packet.subarray(3));
 * assertEquals(decrypted?.contents, new Uint8Array([18, 0, 0, 0, 0, 0, 0, 0, 0]));
 * assertEquals(decrypted?.ignore, false);
 * ```
 */
export class PacketCipher {
  readonly #sendL: FSChaCha20;
  readonly #sendP: FSChaCha20Poly1305;
  readonly #recvL: FSChaCha20;
  readonly #recvP: FSChaCha20Poly1305;
  readonly #header = new Uint8Array(1);
  readonly #length = new Uint8Array(LENGTH_FIELD_SIZE);

  /**
   * Creates the ciphers of one side.
   *
   * @param keys The keys derived from the shared secret (`deriveV2Keys`).
   * @param role Our side: the initiator sends with the initiator keys, and so on.
   * @param options The rekey interval (default 224; tests use smaller ones).
   */
  constructor(keys: V2Keys, role: V2Role, options: FSChaChaOptions = {}) {
    const initiator = role === "initiator";
    this.#sendL = new FSChaCha20(initiator ? keys.initiatorL : keys.responderL, options);
    this.#sendP = new FSChaCha20Poly1305(initiator ? keys.initiatorP : keys.responderP, options);
    this.#recvL = new FSChaCha20(initiator ? keys.responderL : keys.initiatorL, options);
    this.#recvP = new FSChaCha20Poly1305(initiator ? keys.responderP : keys.initiatorP, options);
  }

  /**
   * Encrypts one packet whose contents are the concatenation of `parts` (so a message type
   * and a payload need not be joined first).
   *
   * @param parts The contents, in pieces (or one array).
   * @param options The AAD and the ignore bit.
   * @returns The whole packet: 3-byte length, encrypted header and contents, tag.
   * @throws {RangeError} If the contents exceed 2^24 - 1 bytes.
   */
  encrypt(
    parts: Uint8Array | readonly Uint8Array[],
    options: PacketEncryptOptions = {},
  ): Uint8Array {
    const list = parts instanceof Uint8Array ? [parts] : parts;
    let length = 0;
    for (const p of list) length += p.length;
    if (length > MAX_PACKET_CONTENTS) {
      throw new RangeError(
        `Cannot encrypt packet: ${length} bytes of contents exceed the 3-byte length's ${MAX_PACKET_CONTENTS}`,
      );
    }
    const out = new Uint8Array(length + PACKET_EXPANSION);
    this.#header[0] = options.ignore ? IGNORE_BIT : 0;
    // The contents, then the length, as Core's BIP324Cipher::Encrypt (the two ciphers are
    // independent of each other).
    this.#sendP.encryptInto(
      [this.#header, ...list],
      options.aad ?? EMPTY,
      out,
      LENGTH_FIELD_SIZE,
    );
    this.#length[0] = length & 0xff;
    this.#length[1] = (length >>> 8) & 0xff;
    this.#length[2] = length >>> 16;
    out.set(this.#sendL.crypt(this.#length), 0);
    return out;
  }

  /**
   * Decrypts a packet's 3-byte length field. Call once per packet, in order.
   *
   * @param field The first 3 bytes of the packet.
   * @returns The length of its contents; the packet has that + 17 bytes after the field.
   * @throws {RangeError} If `field` is not 3 bytes long.
   */
  decryptLength(field: Uint8Array): number {
    if (field.length !== LENGTH_FIELD_SIZE) {
      throw new RangeError(`Invalid length field: ${field.length} bytes, expected 3`);
    }
    const b = this.#recvL.crypt(field);
    return b[0] | (b[1] << 8) | (b[2] << 16);
  }

  /**
   * Authenticates and decrypts the rest of a packet (header, contents and tag), after its
   * length was decrypted.
   *
   * @param ciphertext The packet after its length field: contents length + 17 bytes.
   * @param aad The associated data expected (the remote's garbage for its first packet).
   * @returns The contents and the ignore bit, or undefined when authentication fails.
   */
  decrypt(ciphertext: Uint8Array, aad: Uint8Array = EMPTY): DecryptedPacket | undefined {
    const plain = this.#recvP.decrypt(ciphertext, aad);
    if (plain === undefined || plain.length < HEADER_SIZE) return undefined;
    return { contents: plain.subarray(HEADER_SIZE), ignore: (plain[0] & IGNORE_BIT) !== 0 };
  }
}

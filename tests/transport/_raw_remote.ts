// A hand-driven v2 remote built from the transport's pieces (ElligatorSwift, key derivation,
// the two ciphers), for feeding a V2Session what a well-behaved session never sends: packets
// before the version packet, lengths over the limit, wrong AADs, unknown message ids.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { FSChaCha20, FSChaCha20Poly1305 } from "../../transport/cipher.ts";
import { ellswiftCreate, ellswiftXdh } from "../../transport/ellswift.ts";
import { deriveV2Keys, type V2Keys } from "../../transport/keys.ts";
import type { V2Role } from "../../transport/packet.ts";
import type { NetworkName } from "../../wire/protocol.ts";

export class RawRemote {
  readonly privateKey: Uint8Array = secp256k1.utils.randomSecretKey();
  readonly encoding: Uint8Array;
  keys: V2Keys | undefined;
  #sendL: FSChaCha20 | undefined;
  #sendP: FSChaCha20Poly1305 | undefined;

  constructor(
    readonly role: V2Role,
    readonly garbage: Uint8Array = new Uint8Array(0),
    readonly network: NetworkName = "mainnet",
  ) {
    this.encoding = ellswiftCreate(this.privateKey, new Uint8Array(32));
  }

  /** Our key and garbage. */
  hello(): Uint8Array {
    const out = new Uint8Array(64 + this.garbage.length);
    out.set(this.encoding);
    out.set(this.garbage, 64);
    return out;
  }

  /** Derives the keys from the session's 64-byte key. */
  exchange(theirs: Uint8Array): void {
    const secret = ellswiftXdh({
      privateKey: this.privateKey,
      encoding: this.encoding,
      initiator: this.role === "initiator",
    }, theirs.subarray(0, 64));
    this.keys = deriveV2Keys(secret, { network: this.network });
    const ini = this.role === "initiator";
    this.#sendL = new FSChaCha20(ini ? this.keys.initiatorL : this.keys.responderL);
    this.#sendP = new FSChaCha20Poly1305(ini ? this.keys.initiatorP : this.keys.responderP);
  }

  /** Our garbage terminator. */
  terminator(): Uint8Array {
    const k = this.keys!;
    return this.role === "initiator" ? k.initiatorGarbageTerminator : k.responderGarbageTerminator;
  }

  /** A length field claiming `length` bytes of contents (for lies; `packet` uses it too). */
  lengthField(length: number): Uint8Array {
    return this.#sendL!.crypt(new Uint8Array([length & 255, (length >> 8) & 255, length >> 16]));
  }

  /** A packet with the given contents. */
  packet(contents: Uint8Array, options: { aad?: Uint8Array; ignore?: boolean } = {}): Uint8Array {
    const plain = new Uint8Array(1 + contents.length);
    plain[0] = options.ignore ? 0x80 : 0;
    plain.set(contents, 1);
    const body = this.#sendP!.encrypt(plain, options.aad ?? new Uint8Array(0));
    const out = new Uint8Array(3 + body.length);
    out.set(this.lengthField(contents.length));
    out.set(body, 3);
    return out;
  }
}

/** Concatenates byte arrays. */
export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

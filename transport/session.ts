// One side of a BIP 324 v2 connection as a sans-IO state machine: bytes in, bytes to send and
// messages out, no sockets and no timers (the caller owns both, and the deadline). It follows
// Bitcoin Core's V2Transport (src/net.cpp): a responder first tells a v1 peer from a v2 one,
// then both sides exchange keys, skip the remote's garbage up to its terminator, take its
// version packet (authenticating the garbage), and then carry application packets.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { resolveWireOptions } from "../wire/frame.ts";
import type { Network, NetworkName } from "../wire/protocol.ts";
import { checkPayload, decodeContents, messageTypeBytes, type RawMessage } from "./contents.ts";
import { ellswiftCreate, ellswiftXdh } from "./ellswift.ts";
import { TransportError } from "./errors.ts";
import { deriveV2Keys, GARBAGE_TERMINATOR_SIZE, garbageTerminators } from "./keys.ts";
import { PacketCipher, type V2Role } from "./packet.ts";
import { TAG_SIZE } from "./cipher.ts";
import { concat, Output } from "./_output.ts";
import { PacketReader } from "./_packet_reader.ts";

/** Most garbage a side may send after its key (BIP 324). */
export const MAX_GARBAGE_LENGTH = 4095;

const KEY_SIZE = 64;
const V1_PREFIX_SIZE = 16;
const MAX_GARBAGE_AND_TERMINATOR = MAX_GARBAGE_LENGTH + GARBAGE_TERMINATOR_SIZE;
const EMPTY = new Uint8Array(0);

/**
 * Where a session is:
 * - `detecting`: a responder that has not yet seen a byte that rules out a v1 `version` header.
 * - `key`: waiting for (the rest of) the remote's 64-byte key.
 * - `garbage`: scanning the remote's garbage for its terminator.
 * - `version`: waiting for the remote's version packet (decoys may come first).
 * - `app`: established; application packets both ways.
 * - `v1`: the remote is a v1 peer; the caller continues with v1 framing.
 * - `failed`: a fatal {@linkcode TransportError} ended the session.
 */
export type V2SessionState = "detecting" | "key" | "garbage" | "version" | "app" | "v1" | "failed";

/** Options for {@linkcode V2Session}. Every field is optional. */
export interface V2SessionOptions {
  /** The network: its magic salts the keys and makes the v1 `version` prefix. Default mainnet. */
  network?: NetworkName | Network;
  /** Where random bytes come from. Default `crypto.getRandomValues`. */
  randomBytes?: (length: number) => Uint8Array;
  /** How much garbage to send after our key: 0 to 4,095. Default random in that range, as Core. */
  garbageLength?: number;
  /** Our ephemeral private key (tests and vectors). Default a fresh random one. */
  privateKey?: Uint8Array;
  /**
   * Contents of decoy packets to send between our garbage terminator and our version packet
   * (BIP 324 allows them there; the first packet carries our garbage as AAD). Default none.
   */
  decoys?: readonly Uint8Array[];
}

/** What one call to {@linkcode V2Session.receive} produced. */
export interface V2Output {
  /** Bytes to write to the socket, in order, before anything encrypted later. */
  readonly send: readonly Uint8Array[];
  /** Application messages received, in order. */
  readonly messages: readonly RawMessage[];
  /**
   * Authentic packets that were dropped because their message type is not understood
   * (`unknown-message-id`, `bad-command`). Not fatal: Bitcoin Core drops them and keeps
   * the peer. Worth a log line.
   */
  readonly rejected: readonly TransportError[];
  /**
   * Set once, when a responder sees the first 16 bytes of a v1 `version` message: every
   * byte received so far, to feed to a v1 decoder. The session is then in state `v1`, and
   * later chunks come back here unchanged.
   */
  readonly fallbackToV1?: Uint8Array;
  /** The fatal error that ended the session, if one did (it is in every later output too). */
  readonly error?: TransportError;
}

/** Options for {@linkcode V2Session.encrypt}. */
export interface V2EncryptOptions {
  /** Send as a decoy: the remote authenticates and drops it. Default false. */
  ignore?: boolean;
}

function randomValues(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

/**
 * One side of a BIP 324 v2 connection, sans I/O: feed it the bytes the socket delivers, write
 * what it says to send, and take the messages it decrypts. It keeps no view of the chunks it
 * is given, and owns no timer: the caller's negotiation deadline covers the key exchange.
 *
 * The flow, for the peer that drives it:
 * 1. `start()` once the connection is open, and write what it returns (the initiator's key
 *    and garbage; nothing for a responder, which answers once it knows the remote is v2).
 * 2. For every chunk read: `receive(chunk)`; write each of `send`, hand `messages` on, log
 *    `rejected`; on `error` disconnect; on `fallbackToV1` continue with v1 framing, starting
 *    with those bytes.
 * 3. To send a message: `encrypt(message)` and write the packet, after everything `receive`
 *    asked to send. It works once the keys are known (state `garbage` on), which is before
 *    `established`, as in Core (the P2P `version` may follow our version packet at once).
 *
 * Remote input never makes it throw: a fatal problem is a {@linkcode TransportError} in
 * `V2Output.error`.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { V2Session } from "@btcstream/p2p/transport";
 *
 * const alice = new V2Session("initiator", { network: "regtest" });
 * const bob = new V2Session("responder", { network: "regtest" });
 * // Alice's key and garbage; Bob answers with his, his terminator and version packet.
 * const toAlice = bob.receive(alice.start()).send;
 * const toBob = toAlice.flatMap((bytes) => alice.receive(bytes).send);
 * for (const bytes of toBob) assertEquals(bob.receive(bytes).error, undefined);
 * assert(alice.established && bob.established);
 * assertEquals(alice.sessionId, bob.sessionId);
 *
 * const packet = alice.encrypt({ command: "ping", payload: new Uint8Array(8) });
 * assertEquals(bob.receive(packet).messages, [{ command: "ping", payload: new Uint8Array(8) }]);
 * ```
 */
export class V2Session {
  /** Our side of the connection. */
  readonly role: V2Role;
  readonly #network: NetworkName | Network | undefined;
  readonly #magic: number;
  readonly #randomBytes: (length: number) => Uint8Array;
  #state: V2SessionState;
  #started = false;
  #bytesReceived = 0;
  #error: TransportError | undefined;

  // Until the key exchange: our key, encoding and garbage, and the decoys to send.
  #privateKey: Uint8Array | undefined;
  #encoding: Uint8Array | undefined;
  #garbage: Uint8Array | undefined;
  #garbageLength: number | undefined;
  #decoys: readonly Uint8Array[];

  // Receiving: the v1 prefix and the remote's key, then its garbage.
  #keyBuffer: Uint8Array | undefined = new Uint8Array(KEY_SIZE);
  #keyHave = 0;
  #garbageBuffer: Uint8Array | undefined;
  #garbageHave = 0;

  // After the key exchange (only what is still needed: the ciphers copied their keys).
  #sessionId: Uint8Array | undefined;
  #recvTerminator: Uint8Array | undefined;
  #cipher: PacketCipher | undefined;
  #reader: PacketReader | undefined;
  #recvAad: Uint8Array = EMPTY;

  /**
   * Creates one side of a connection. Nothing is computed until it is needed: a responder
   * that falls back to v1 never makes a key.
   *
   * @param role `"initiator"` for a connection we opened, `"responder"` for one we accepted.
   * @param options Network, randomness, garbage length, private key, handshake decoys.
   * @throws {RangeError} If `garbageLength` is not 0 to 4,095 or the private key is invalid.
   */
  constructor(role: V2Role, options: V2SessionOptions = {}) {
    if (role !== "initiator" && role !== "responder") {
      throw new TypeError(`Invalid role "${role}": expected "initiator" or "responder"`);
    }
    this.role = role;
    this.#network = options.network;
    this.#magic = resolveWireOptions({ network: options.network }).magic;
    this.#randomBytes = options.randomBytes ?? randomValues;
    this.#state = role === "initiator" ? "key" : "detecting";
    const g = options.garbageLength;
    if (g !== undefined && (!Number.isInteger(g) || g < 0 || g > MAX_GARBAGE_LENGTH)) {
      throw new RangeError(`Invalid garbage length ${g}: expected 0 to ${MAX_GARBAGE_LENGTH}`);
    }
    this.#garbageLength = g;
    if (options.privateKey !== undefined) {
      if (!secp256k1.utils.isValidSecretKey(options.privateKey)) {
        throw new RangeError("Invalid secp256k1 private key: expected 32 bytes, from 1 to n-1");
      }
      this.#privateKey = options.privateKey.slice();
    }
    this.#decoys = options.decoys?.map((d) => d.slice()) ?? [];
  }

  /** Where the session is (see {@linkcode V2SessionState}). */
  get state(): V2SessionState {
    return this.#state;
  }

  /**
   * Whether the remote's version packet arrived and authenticated: from then on the
   * connection is known to be v2 with matching keys (Core reports v2 only from here).
   */
  get established(): boolean {
    return this.#state === "app";
  }

  /** The 32-byte session id once established (Core's `getpeerinfo` `session_id`); else undefined. */
  get sessionId(): Uint8Array | undefined {
    return this.#state === "app" ? this.#sessionId?.slice() : undefined;
  }

  /**
   * True for an initiator that has received nothing yet. If the connection closes in this
   * state the remote may be a v1-only node that dropped our key: Bitcoin Core then dials
   * again with v1 (`V2Transport::ShouldReconnectV1`).
   *
   * @example
   * ```ts
   * import { assert } from "@std/assert";
   * import { V2Session } from "@btcstream/p2p/transport";
   *
   * const session = new V2Session("initiator");
   * session.start();
   * assert(session.shouldReconnectV1); // closed now: perhaps a v1-only node
   * session.receive(new Uint8Array([1]));
   * assert(!session.shouldReconnectV1); // it answered: not a v1 node's silence
   * ```
   */
  get shouldReconnectV1(): boolean {
    return this.role === "initiator" && this.#started && this.#state === "key" &&
      this.#bytesReceived === 0;
  }

  /**
   * Bytes the session holds for input not yet complete: the key and v1-detection buffer
   * (64), the garbage buffer (4,111, during the handshake only) and the packet being
   * received, whose buffer grows with what arrives (at most twice that, or 4,096) and never
   * to a length the remote merely declared. For memory accounting.
   *
   * @example
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { V2Session } from "@btcstream/p2p/transport";
   *
   * assertEquals(new V2Session("responder").bufferedBytes, 64); // the key buffer
   * ```
   */
  get bufferedBytes(): number {
    return (this.#keyBuffer?.length ?? 0) + (this.#garbageBuffer?.length ?? 0) +
      (this.#reader?.bufferedBytes ?? 0);
  }

  /**
   * The bytes to send when the connection opens: an initiator's key and garbage, nothing for
   * a responder. Later calls return nothing.
   *
   * @returns The bytes to write first.
   *
   * @example
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { V2Session } from "@btcstream/p2p/transport";
   *
   * const initiator = new V2Session("initiator", { garbageLength: 100 });
   * assertEquals(initiator.start().length, 64 + 100); // key, then garbage
   * assertEquals(initiator.start().length, 0);
   * assertEquals(new V2Session("responder").start().length, 0);
   * ```
   */
  start(): Uint8Array {
    if (this.#started) return EMPTY;
    this.#started = true;
    return this.role === "initiator" ? this.#keyAndGarbage() : EMPTY;
  }

  /**
   * Takes bytes from the socket, in any chunking.
   *
   * @param chunk The bytes that arrived (not retained: the caller may reuse the array).
   * @returns What to send, the messages received, and any error or v1 fallback.
   *
   * @example
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { encodeMessage } from "@btcstream/p2p/wire";
   * import { V2Session } from "@btcstream/p2p/transport";
   *
   * // A v1 peer's first message: the responder hands its bytes back for v1 framing.
   * const verack = encodeMessage({ command: "verack" });
   * const version = new Uint8Array([...verack.subarray(0, 4), ...new TextEncoder().encode("version"), 0, 0, 0, 0, 0]);
   * const responder = new V2Session("responder");
   * const out = responder.receive(version);
   * assertEquals(out.fallbackToV1, version);
   * assertEquals(responder.state, "v1");
   * ```
   */
  receive(chunk: Uint8Array): V2Output {
    const out = new Output();
    if (this.#error !== undefined) {
      out.error = this.#error;
      return out.build();
    }
    if (this.#state === "v1") {
      out.fallbackToV1 = chunk.slice();
      return out.build();
    }
    if (!this.#started) {
      const first = this.start();
      if (first.length > 0) out.send = [first];
    }
    this.#bytesReceived += chunk.length;
    let at = 0;
    try {
      while (at < chunk.length) {
        switch (this.#state) {
          case "detecting":
            at = this.#detect(chunk, at, out);
            break;
          case "key":
            at = this.#readKey(chunk, at, out);
            break;
          case "garbage":
            at = this.#readGarbage(chunk, at);
            break;
          case "version":
          case "app":
            at = this.#readPacket(chunk, at, out);
            break;
          default:
            // v1 (the rest of the chunk went to fallbackToV1) or failed.
            at = chunk.length;
        }
      }
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      this.#fail(e);
      out.error = e;
    }
    return out.build();
  }

  /**
   * Encrypts one message as a packet, to write after everything `receive` asked to send.
   *
   * @param message The command and its payload.
   * @param options `ignore: true` sends it as a decoy.
   * @returns The packet.
   * @throws {TransportError} `not-established` before the remote's key arrived or after a
   * fallback to v1; the session's error after a failure.
   * @throws {TypeError} If the command is not 1 to 12 printable ASCII characters.
   * @throws {RangeError} If the payload exceeds the network's 4,000,000-byte limit.
   *
   * @example
   * ```ts
   * import { assertEquals, assertThrows } from "@std/assert";
   * import { TransportError, V2Session } from "@btcstream/p2p/transport";
   *
   * const early = new V2Session("initiator");
   * early.start();
   * // Before the remote's key has arrived there is no cipher yet.
   * const error = assertThrows(
   *   () => early.encrypt({ command: "ping", payload: new Uint8Array(8) }),
   *   TransportError,
   * );
   * assertEquals(error.code, "not-established");
   * ```
   */
  encrypt(message: RawMessage, options: V2EncryptOptions = {}): Uint8Array {
    if (this.#error !== undefined) throw this.#error;
    if (this.#cipher === undefined || this.#state === "v1") {
      throw new TransportError(
        "not-established",
        `Cannot encrypt "${message.command}": the v2 key exchange has not completed (state ${this.#state})`,
      );
    }
    checkPayload(message);
    return this.#cipher.encrypt([messageTypeBytes(message.command), message.payload], {
      ignore: options.ignore === true,
    });
  }

  #fail(error: TransportError): void {
    this.#error = error;
    this.#state = "failed";
    this.#release();
    this.#cipher = undefined;
    this.#reader = undefined;
  }

  /** Drops the handshake's buffers and secrets. */
  #release(): void {
    this.#keyBuffer = undefined;
    this.#garbageBuffer = undefined;
    this.#privateKey = undefined;
    this.#encoding = undefined;
    this.#garbage = undefined;
    this.#decoys = [];
  }

  #keyAndGarbage(): Uint8Array {
    if (this.#privateKey === undefined) {
      let key: Uint8Array;
      do key = this.#randomBytes(32); while (!secp256k1.utils.isValidSecretKey(key));
      this.#privateKey = key;
    }
    this.#encoding = ellswiftCreate(this.#privateKey, this.#randomBytes(32));
    const length = this.#garbageLength ??
      (new DataView(this.#randomBytes(2).buffer).getUint16(0) % (MAX_GARBAGE_LENGTH + 1));
    this.#garbage = length === 0 ? EMPTY : this.#randomBytes(length);
    return concat([this.#encoding, this.#garbage]);
  }

  /** The 16 bytes a v1 peer starts with: magic, then "version" NUL-padded to 12. */
  #v1Prefix(i: number): number {
    if (i < 4) return (this.#magic >>> (8 * i)) & 0xff;
    return i - 4 < 7 ? "version".charCodeAt(i - 4) : 0;
  }

  #detect(chunk: Uint8Array, at: number, out: Output): number {
    const buffer = this.#keyBuffer!;
    // As Core's ProcessReceivedMaybeV1Bytes: decide at the first byte that differs from a
    // v1 version header, or at the 16th that matches.
    while (at < chunk.length && this.#keyHave < V1_PREFIX_SIZE) {
      const b = chunk[at++];
      buffer[this.#keyHave] = b;
      if (b !== this.#v1Prefix(this.#keyHave++)) {
        this.#state = "key";
        (out.send ??= []).push(this.#keyAndGarbage());
        return at;
      }
    }
    if (this.#keyHave === V1_PREFIX_SIZE) {
      this.#state = "v1";
      out.fallbackToV1 = concat([buffer.subarray(0, V1_PREFIX_SIZE), chunk.subarray(at)]);
      this.#release();
      return chunk.length;
    }
    return at;
  }

  #readKey(chunk: Uint8Array, at: number, out: Output): number {
    const buffer = this.#keyBuffer!;
    const before = this.#keyHave;
    const take = Math.min(KEY_SIZE - before, chunk.length - at);
    buffer.set(chunk.subarray(at, at + take), before);
    this.#keyHave += take;
    if (this.role === "responder" && before < V1_PREFIX_SIZE && this.#keyHave >= V1_PREFIX_SIZE) {
      // As Core's ProcessReceivedKeyBytes: a v1 version header with another magic is a peer
      // of another network, not a v2 key (the odds of a key starting so are 2^-96).
      let v1Header = true;
      for (let i = 4; i < V1_PREFIX_SIZE; i++) {
        if (buffer[i] !== this.#v1Prefix(i)) v1Header = false;
      }
      if (v1Header) {
        const hex = Array.from(buffer.subarray(0, 4), (b) => b.toString(16).padStart(2, "0"));
        throw new TransportError(
          "wrong-network",
          `Cannot start v2: a v1 version message with magic ${hex.join("")}, not this network's`,
        );
      }
    }
    if (this.#keyHave === KEY_SIZE) this.#exchangeKeys(buffer, out);
    return at + take;
  }

  #exchangeKeys(theirs: Uint8Array, out: Output): void {
    const secret = ellswiftXdh({
      privateKey: this.#privateKey!,
      encoding: this.#encoding!,
      initiator: this.role === "initiator",
    }, theirs);
    const keys = deriveV2Keys(secret, { network: this.#network });
    const cipher = new PacketCipher(keys, this.role);
    this.#cipher = cipher;
    this.#reader = new PacketReader(cipher);
    this.#sessionId = keys.sessionId.slice();
    const terminators = garbageTerminators(keys, this.role);
    this.#recvTerminator = terminators.receive.slice();
    // As Core: our terminator, then our version packet (empty contents), the garbage we sent
    // as the AAD of the first packet; decoys, if any, go before the version packet.
    const garbage = this.#garbage!;
    const parts = [terminators.send];
    let aad = garbage;
    for (const decoy of this.#decoys) {
      parts.push(cipher.encrypt(decoy, { aad, ignore: true }));
      aad = EMPTY;
    }
    parts.push(cipher.encrypt(EMPTY, { aad }));
    (out.send ??= []).push(concat(parts));
    // The key's work is done: drop it, our garbage and the key buffer.
    this.#release();
    this.#state = "garbage";
    this.#garbageBuffer = new Uint8Array(MAX_GARBAGE_AND_TERMINATOR);
  }

  #readGarbage(chunk: Uint8Array, at: number): number {
    const buffer = this.#garbageBuffer!;
    const terminator = this.#recvTerminator!;
    const before = this.#garbageHave;
    const take = Math.min(MAX_GARBAGE_AND_TERMINATOR - before, chunk.length - at);
    buffer.set(chunk.subarray(at, at + take), before);
    const have = before + take;
    // The terminator may straddle the previous chunk: look from 15 bytes back.
    const t0 = terminator[0];
    for (
      let i = Math.max(0, before - GARBAGE_TERMINATOR_SIZE + 1);
      i + GARBAGE_TERMINATOR_SIZE <= have;
      i++
    ) {
      if (buffer[i] !== t0) continue;
      let j = 1;
      while (j < GARBAGE_TERMINATOR_SIZE && buffer[i + j] === terminator[j]) j++;
      if (j === GARBAGE_TERMINATOR_SIZE) {
        // The garbage is authenticated as the AAD of the first packet that follows.
        this.#recvAad = buffer.slice(0, i);
        this.#garbageBuffer = undefined;
        this.#recvTerminator = undefined;
        this.#state = "version";
        return at + (i + GARBAGE_TERMINATOR_SIZE - before);
      }
    }
    this.#garbageHave = have;
    if (have === MAX_GARBAGE_AND_TERMINATOR) {
      throw new TransportError(
        "garbage-too-long",
        `Cannot start v2: no garbage terminator in the ${MAX_GARBAGE_AND_TERMINATOR} bytes after the key (at most ${MAX_GARBAGE_LENGTH} bytes of garbage are allowed)`,
      );
    }
    return at + take;
  }

  #readPacket(chunk: Uint8Array, at: number, out: Output): number {
    const [next, body] = this.#reader!.read(chunk, at);
    if (body !== undefined) this.#open(body, out);
    return next;
  }

  #open(ciphertext: Uint8Array, out: Output): void {
    const packet = this.#cipher!.decrypt(ciphertext, this.#recvAad);
    if (packet === undefined) {
      throw new TransportError(
        "bad-packet",
        `Cannot receive v2 packet: ${
          ciphertext.length - 1 - TAG_SIZE
        } bytes of contents failed authentication${
          this.#state === "version" ? " (or the garbage did not match)" : ""
        }`,
      );
    }
    // As Core: only the first packet after the terminator carries the garbage, decoy or not.
    this.#recvAad = EMPTY;
    if (packet.ignore) return;
    if (this.#state === "version") {
      // BIP 324: the version packet's contents are ignored, for future extensions.
      this.#state = "app";
      return;
    }
    if (packet.contents.length === 0) {
      // Not a message (every message has a type byte): perhaps a second version packet, the
      // first one we took having been an application message sent too early. Bitcoin Core
      // drops a packet without a message type and keeps the peer; so do we.
      (out.rejected ??= []).push(
        new TransportError(
          "app-before-version",
          "Cannot receive v2 packet: an empty packet after the version packet (a version packet sent after application data?)",
        ),
      );
      return;
    }
    try {
      (out.messages ??= []).push(decodeContents(packet.contents));
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      (out.rejected ??= []).push(e);
    }
  }
}

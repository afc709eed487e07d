// The version handshake, as Bitcoin Core and current btcd run it (REFERENCE 1.6): `version`
// each way (outbound speaks first), the feature messages that must precede our `verack`
// (`sendaddrv2`, `wtxidrelay`), then `verack` each way. Unknown commands before `verack` are
// ignored, which is how newer features (BIP 434 `feature`...) stay compatible; any other
// known message there is a protocol error.
import {
  ADDR_V2_VERSION,
  type Message,
  MULTIPLE_ADDRESS_VERSION,
  RejectCode,
  type RejectMessage,
  type UnknownMessage,
  type VersionMessage,
  WTXID_RELAY_VERSION,
} from "../wire/mod.ts";
import type { DisconnectCode } from "./disconnect.ts";

/** The oldest protocol version a peer may speak (btcd's `MinAcceptableProtocolVersion`). */
export const MIN_ACCEPTABLE_PROTOCOL_VERSION: number = MULTIPLE_ADDRESS_VERSION;
/** How long the whole handshake may take (btcd's `negotiateTimeout`). */
export const NEGOTIATE_TIMEOUT_MS = 30_000;

/**
 * The nonces of the `version` messages a node sent, to recognise a connection to itself: the
 * remote's `version` carrying one of ours means we dialed ourselves. Peers share one set per
 * node; by default, one per process (as btcd's global, 50 entries). Two nodes simulated in one
 * process each need their own.
 *
 * @example
 * ```ts
 * import { SentNonces } from "@btcstream/p2p/peer";
 * import { assert, assertFalse } from "@std/assert";
 * const nonces = new SentNonces();
 * nonces.add(42n);
 * assert(nonces.has(42n));
 * assertFalse(nonces.has(7n));
 * ```
 */
export class SentNonces {
  readonly #limit: number;
  readonly #nonces = new Set<bigint>();

  /**
   * Creates an empty set.
   *
   * @param limit How many recent nonces to keep (default 50).
   */
  constructor(limit: number = 50) {
    this.#limit = limit;
  }

  /**
   * Remembers a nonce about to be sent, forgetting the oldest past the limit.
   *
   * @param nonce The nonce.
   */
  add(nonce: bigint): void {
    this.#nonces.delete(nonce);
    this.#nonces.add(nonce);
    if (this.#nonces.size > this.#limit) {
      this.#nonces.delete(this.#nonces.values().next().value!);
    }
  }

  /**
   * Whether `nonce` is one we sent recently.
   *
   * @param nonce The nonce of a received `version`.
   * @returns `true` when it is ours.
   */
  has(nonce: bigint): boolean {
    return this.#nonces.has(nonce);
  }
}

/** The process-wide default {@linkcode SentNonces}. */
export const DEFAULT_SENT_NONCES: SentNonces = new SentNonces();

/** Why the handshake failed, and the `reject` to send first, if any. */
export class HandshakeFailure extends Error {
  /** The disconnect code. */
  readonly code: DisconnectCode;
  /** A reject to write before disconnecting. */
  readonly reject: RejectMessage | undefined;

  constructor(code: DisconnectCode, message: string, reject?: RejectMessage) {
    super(message);
    this.code = code;
    this.reject = reject;
  }
}

/** What the handshake reads from and writes to. */
export interface HandshakeIo {
  /** The next decoded message, or `undefined` when the connection ended. */
  read(): Promise<Message | UnknownMessage | undefined>;
  /** Writes one message now, ahead of anything queued. */
  write(message: Message): Promise<void>;
}

/** The handshake's inputs. */
export interface HandshakeParams {
  /** Whether the remote dialed us (then it speaks first). */
  readonly inbound: boolean;
  /** Our protocol version. */
  readonly protocolVersion: number;
  /** Builds our `version`; called once, when it is sent. */
  readonly buildVersion: () => VersionMessage;
  /** Tests connect a peer to itself. */
  readonly allowSelfConnections: boolean;
  /** This node's sent nonces. */
  readonly sentNonces: SentNonces;
  /** Whether to send `wtxidrelay` (BIP 339). */
  readonly wtxidRelay: boolean;
  /** Called with the remote's `version` once it passed the nonce check; may reject it. */
  readonly onVersion: (
    version: VersionMessage,
    negotiated: number,
  ) => RejectMessage | undefined | Promise<RejectMessage | undefined>;
  /** Called with each message received after `version` and up to `verack` included. */
  readonly onMessage: (message: Message | UnknownMessage) => void | Promise<void>;
  /**
   * Called with a `reject` the remote sent during the handshake, just before the handshake
   * fails because of it (as btcd: a known message before `verack`): it tells why.
   */
  readonly onReject?: (reject: RejectMessage) => void;
}

/** What the handshake settled. */
export interface HandshakeResult {
  /** The remote's `version`. */
  readonly remoteVersion: VersionMessage;
  /** min(ours, theirs). */
  readonly protocolVersion: number;
  /** The remote sent `sendaddrv2` (BIP 155). */
  readonly wantsAddrV2: boolean;
  /** The remote sent `wtxidrelay` (BIP 339). */
  readonly wtxidRelay: boolean;
}

/**
 * Runs the handshake over `io`. Resolves when both `verack`s are through; throws a
 * {@linkcode HandshakeFailure} when the remote breaks a rule, or when the connection ends.
 */
export async function negotiate(
  io: HandshakeIo,
  params: HandshakeParams,
): Promise<HandshakeResult> {
  if (!params.inbound) await sendVersion(io, params);
  const first = await io.read();
  if (first?.command === "reject") params.onReject?.(first);
  if (first === undefined) {
    throw new HandshakeFailure("remote-closed", "Connection closed before the version message");
  }
  if (first.command !== "version") {
    const reason = "a version message must precede all others";
    throw new HandshakeFailure(
      "handshake-failed",
      `Received "${commandName(first)}" before "version"`,
      reject("version", RejectCode.MALFORMED, reason),
    );
  }
  const remote = first;
  if (!params.allowSelfConnections && params.sentNonces.has(remote.nonce)) {
    throw new HandshakeFailure("self-connection", "Connected to self: the version nonce is ours");
  }
  const protocolVersion = Math.min(params.protocolVersion, remote.protocolVersion);
  const rejected = await params.onVersion(remote, protocolVersion);
  if (rejected !== undefined) {
    throw new HandshakeFailure("rejected", `Rejected by onVersion: ${rejected.reason}`, rejected);
  }
  if (remote.protocolVersion < MIN_ACCEPTABLE_PROTOCOL_VERSION) {
    const reason = `protocol version must be ${MIN_ACCEPTABLE_PROTOCOL_VERSION} or greater`;
    throw new HandshakeFailure(
      "obsolete",
      `Protocol version ${remote.protocolVersion} is below ${MIN_ACCEPTABLE_PROTOCOL_VERSION}`,
      reject("version", RejectCode.OBSOLETE, reason),
    );
  }
  if (params.inbound) await sendVersion(io, params);
  // As Bitcoin Core (and btcd since #1670): feature negotiation strictly before our verack,
  // and only where the negotiated version knows the message.
  if (protocolVersion >= ADDR_V2_VERSION) await io.write({ command: "sendaddrv2" });
  if (params.wtxidRelay && protocolVersion >= WTXID_RELAY_VERSION) {
    await io.write({ command: "wtxidrelay" });
  }
  await io.write({ command: "verack" });

  let wantsAddrV2 = false;
  let wtxidRelay = false;
  for (;;) {
    const message = await io.read();
    if (message === undefined) {
      throw new HandshakeFailure("remote-closed", "Connection closed before the verack message");
    }
    switch (message.command) {
      case "verack":
        await params.onMessage(message);
        return { remoteVersion: remote, protocolVersion, wantsAddrV2, wtxidRelay };
      case "sendaddrv2":
        if (protocolVersion >= ADDR_V2_VERSION) wantsAddrV2 = true;
        break;
      case "wtxidrelay":
        if (protocolVersion >= WTXID_RELAY_VERSION) wtxidRelay = true;
        break;
      case "sendtxrcncl": // BIP 330: Bitcoin Core sends it here; we do not reconcile.
      case "unknown":
        break;
      case "version":
        throw new HandshakeFailure(
          "duplicate",
          "Received a second version message",
          reject("version", RejectCode.DUPLICATE, "duplicate version message"),
        );
      default:
        if (message.command === "reject") params.onReject?.(message);
        throw new HandshakeFailure(
          "handshake-failed",
          `Received "${message.command}" before "verack"`,
        );
    }
    await params.onMessage(message);
  }
}

async function sendVersion(io: HandshakeIo, params: HandshakeParams): Promise<void> {
  const version = params.buildVersion();
  params.sentNonces.add(version.nonce);
  await io.write(version);
}

function commandName(message: Message | UnknownMessage): string {
  return message.command === "unknown" ? message.name : message.command;
}

/** A `reject` without a hash. */
export function reject(command: string, code: number, reason: string): RejectMessage {
  return { command: "reject", message: command, code, reason };
}

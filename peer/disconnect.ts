import type { RejectMessage } from "../wire/mod.ts";

// Why a peer ended. Every way a connection can end maps to one code, so applications (and
// the server's ban logic) can act on it without parsing messages.

/**
 * Why a peer disconnected.
 *
 * - `local`: {@linkcode Peer.disconnect} was called.
 * - `remote-closed`: the remote closed the connection.
 * - `network-error`: reading or writing the connection failed.
 * - `protocol-error`: the remote sent bytes that do not decode (bad magic, checksum, size...).
 * - `handshake-failed`: the remote broke the version handshake (a message before `version`,
 *   a known message before `verack`).
 * - `rejected`: our `onVersion` listener rejected the remote.
 * - `obsolete`: the remote's protocol version is below 209.
 * - `self-connection`: the remote is ourselves (its `version` carries a nonce we sent).
 * - `negotiation-timeout`: the handshake took longer than its deadline.
 * - `stalled`: the remote did not answer a request in time.
 * - `idle`: nothing was received for the idle timeout.
 * - `send-queue-full`: the remote does not read fast enough: the send queue reached its cap.
 * - `duplicate`: a second `version` or `verack`.
 * - `misbehaving`: a message the protocol forbids at this point (`sendaddrv2`, `wtxidrelay`
 *   or `sendtxrcncl` after `verack`).
 * - `listener-error`: a listener threw.
 * - `v2-not-supported`: we dialed with BIP 324's v2 transport and the remote closed the
 *   connection before answering our key, did not answer it by the negotiation deadline, or
 *   answered it with a v1 message (btcd and bcoin send a v1 `reject`): it speaks v1 only, it
 *   seems. Dial it again with v1, as Bitcoin Core does; the server does so.
 */
export type DisconnectCode =
  | "local"
  | "remote-closed"
  | "network-error"
  | "protocol-error"
  | "handshake-failed"
  | "rejected"
  | "obsolete"
  | "self-connection"
  | "negotiation-timeout"
  | "stalled"
  | "idle"
  | "send-queue-full"
  | "duplicate"
  | "misbehaving"
  | "listener-error"
  | "v2-not-supported";

/**
 * Why a peer ended: a code and a sentence naming the details.
 *
 * @example
 * ```ts
 * import { type DisconnectReason, memoryConnectionPair, Peer } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const [a, b] = memoryConnectionPair();
 * const peer = new Peer(a, { network: "regtest" });
 * peer.disconnect("Shutting down");
 * const reason: DisconnectReason = await peer.closed;
 * assertEquals(reason, { code: "local", message: "Shutting down" });
 * b.close();
 * ```
 */
export interface DisconnectReason {
  /** The machine-readable reason. */
  readonly code: DisconnectCode;
  /** What happened, for logs. */
  readonly message: string;
  /** The underlying error, when there was one. */
  readonly error?: unknown;
  /**
   * The `reject` the remote sent during the handshake, when the peer ended before completing
   * it (btcd refusing our services, an old node refusing our version...).
   */
  readonly reject?: RejectMessage;
}

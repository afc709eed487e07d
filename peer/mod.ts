/**
 * One Bitcoin peer connection on web streams, as btcd's `peer` package.
 *
 * A {@linkcode Peer} runs over any `{ readable, writable, close() }` connection (a
 * `Deno.TcpConn`, a Node socket through `Duplex.toWeb`, {@linkcode memoryConnectionPair}).
 * Inside, small stages compose its data flow:
 *
 * - **inbound**: the connection's bytes → the transport (v1 framing, or BIP 324's v2 cipher)
 *   → the version handshake → a gate that stops reading while the send queue is over
 *   `sendBufferBytes` → decoding at the negotiated protocol version → the stall and keepalive
 *   taps → the dispatcher (built-in handling: pong, `sendheaders`, `feefilter`...; then the
 *   listener; then `messages()` readers);
 * - **outbound**: `queueMessage`, inventory trickling and pings → a pull-based queue that
 *   charges what each message holds → the stall and keepalive taps → the transport → the
 *   connection.
 *
 * The stages are internal; observe them through what a peer exposes: the `listeners` in
 * {@linkcode PeerConfig} (one per command, plus `onRead`/`onWrite`), {@linkcode Peer.messages}
 * for `for await` loops, `ready`/`closed` (with a typed {@linkcode DisconnectReason}),
 * {@linkcode Peer.statsSnapshot}, and the queue's state (`sendQueueBytes`, `sendPaused`,
 * `receiveBufferBytes`). Every timer goes through an injectable {@linkcode Clock}.
 *
 * @example
 * ```ts
 * import { memoryConnectionPair, Peer, SentNonces } from "@btcstream/p2p/peer";
 * import { assert, assertEquals } from "@std/assert";
 * const [a, b] = memoryConnectionPair();
 * const outbound = new Peer(a, { network: "regtest" });
 * const inbound = new Peer(b, { network: "regtest", inbound: true, sentNonces: new SentNonces() });
 * assert(await outbound.ready);
 * assertEquals(inbound.userAgent, "/btcstream:0.1.0/");
 * outbound.disconnect();
 * assertEquals((await inbound.closed).code, "remote-closed");
 * ```
 *
 * @module
 */

export { type Clock, SYSTEM_CLOCK, type Timer } from "./clock.ts";
export { FakeClock } from "./fake_clock.ts";
export {
  type Connection,
  type MemoryConnectionOptions,
  memoryConnectionPair,
} from "./connection.ts";
export {
  type BestBlock,
  DEFAULT_SEND_BUFFER_BYTES,
  DEFAULT_SEND_QUEUE_CAP_BYTES,
  LIBRARY_USER_AGENT,
  type PeerConfig,
  SEND_STALL_TIMEOUT_MS,
} from "./config.ts";
export type { DisconnectCode, DisconnectReason } from "./disconnect.ts";
export {
  DEFAULT_SENT_NONCES,
  MIN_ACCEPTABLE_PROTOCOL_VERSION,
  NEGOTIATE_TIMEOUT_MS,
  SentNonces,
} from "./handshake.ts";
export {
  DEFAULT_TRICKLE_INTERVAL_MS,
  MAX_INV_TRICKLE_SIZE,
  MAX_KNOWN_INVENTORY,
} from "./inventory_trickle.ts";
export { IDLE_TIMEOUT_MS, PING_INTERVAL_MS } from "./keepalive.ts";
export { type Listener, type MessageListeners } from "./listeners.ts";
export { Peer, type PeerOptions, type QueueOptions } from "./peer.ts";
export { STALL_RESPONSE_TIMEOUT_MS, STALL_TICK_INTERVAL_MS } from "./stall_detector.ts";
export { type CommandCounter, OTHER_COMMANDS } from "./stats.ts";
export type { PeerStatsSnapshot } from "./stats_snapshot.ts";

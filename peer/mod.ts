/**
 * One Bitcoin peer connection on web streams, as btcd's `peer` package: the version
 * handshake, an inbound pipeline (decoder → keepalive and stall taps → dispatcher that
 * awaits listeners), a pull-based outbound multiplexer with a byte cap, transaction
 * trickling, pings, stall detection and statistics, with every timer behind an injectable
 * clock.
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
export { tap } from "./tap.ts";
export {
  type BestBlock,
  DEFAULT_SEND_QUEUE_CAP_BYTES,
  LIBRARY_USER_AGENT,
  type PeerConfig,
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
  InventoryTrickle,
  type InventoryTrickleOptions,
  KnownInventory,
  MAX_INV_TRICKLE_SIZE,
  MAX_KNOWN_INVENTORY,
} from "./inventory_trickle.ts";
export {
  IDLE_TIMEOUT_MS,
  Keepalive,
  type KeepaliveOptions,
  PING_INTERVAL_MS,
} from "./keepalive.ts";
export { type Listener, type MessageListeners } from "./listeners.ts";
export { OutboundMux, type OutboundMuxOptions, type Outgoing } from "./outbound_mux.ts";
export { Peer, type PeerOptions, type QueueOptions } from "./peer.ts";
export {
  STALL_RESPONSE_TIMEOUT_MS,
  STALL_TICK_INTERVAL_MS,
  StallDetector,
  type StallDetectorOptions,
} from "./stall_detector.ts";
export { type CommandCounter, OTHER_COMMANDS, TrafficStats } from "./stats.ts";
export type { PeerStatsSnapshot } from "./stats_snapshot.ts";

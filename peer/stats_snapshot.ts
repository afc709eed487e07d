// A peer's statistics at one moment, as plain data: btcd's `StatsSnap`, plus the per-command
// counters of Bitcoin Core's `getpeerinfo` (`bytessent_per_msg`, `bytesrecv_per_msg`).
import type { CommandCounter, TrafficStats } from "./stats.ts";

/**
 * A snapshot of a peer's statistics. Times are milliseconds since the epoch (0: never).
 *
 * @example
 * ```ts
 * import {
 *   memoryConnectionPair,
 *   Peer,
 *   type PeerStatsSnapshot,
 *   SentNonces,
 * } from "@btcstream/p2p/peer";
 * import { assertMatch } from "@std/assert";
 * function summary(s: PeerStatsSnapshot): string {
 *   return `${s.address}: ${s.bytesReceived} B in, ${s.bytesSent} B out`;
 * }
 * const [a, b] = memoryConnectionPair();
 * const peer = new Peer(a, { network: "regtest", address: "10.0.0.2:18444" });
 * const remote = new Peer(b, { network: "regtest", inbound: true, sentNonces: new SentNonces() });
 * await peer.ready;
 * assertMatch(summary(peer.statsSnapshot()), /^10\.0\.0\.2:18444: [1-9]\d* B in, [1-9]\d* B out$/);
 * peer.disconnect();
 * await remote.closed;
 * ```
 */
export interface PeerStatsSnapshot {
  /** The peer's id. */
  readonly id: number;
  /** The remote's `host:port`. */
  readonly address: string;
  /** The remote's services. */
  readonly services: bigint;
  /** When the last frame was written. */
  readonly lastSent: number;
  /** When the last frame arrived. */
  readonly lastReceived: number;
  /** Bytes written. */
  readonly bytesSent: number;
  /** Bytes read. */
  readonly bytesReceived: number;
  /** When the peer was created. */
  readonly connectedAt: number;
  /** The remote clock minus ours, in seconds. */
  readonly timeOffset: number;
  /** The protocol version the remote advertised. */
  readonly version: number;
  /** The remote's user agent. */
  readonly userAgent: string;
  /** Whether the remote dialed us. */
  readonly inbound: boolean;
  /** The height in the remote's `version`. */
  readonly startingHeight: number;
  /** The remote's best height as we know it. */
  readonly lastBlock: number;
  /** The nonce of the ping awaiting its pong, or 0n. */
  readonly lastPingNonce: bigint;
  /** When that ping was sent. */
  readonly lastPingTime: number;
  /** The last round trip, in microseconds. */
  readonly lastPingMicros: number;
  /** Messages and bytes sent, by command. */
  readonly sentPerCommand: Readonly<Record<string, Readonly<CommandCounter>>>;
  /** Messages and bytes received, by command (unknown commands under `*other*`). */
  readonly receivedPerCommand: Readonly<Record<string, Readonly<CommandCounter>>>;
}

/** What {@linkcode snapshotOf} reads; internal. */
export interface SnapshotSource {
  readonly id: number;
  readonly address: string;
  readonly services: bigint;
  readonly inbound: boolean;
  readonly connectedAt: number;
  readonly timeOffset: number;
  readonly version: number;
  readonly userAgent: string;
  readonly startingHeight: number;
  readonly lastBlock: number;
  readonly lastPingNonce: bigint;
  readonly lastPingTime: number;
  readonly lastPingMicros: number;
  readonly traffic: TrafficStats;
}

/** Copies the live counters into a snapshot. */
export function snapshotOf(source: SnapshotSource): PeerStatsSnapshot {
  const { traffic } = source;
  return {
    id: source.id,
    address: source.address,
    services: source.services,
    lastSent: traffic.lastSent,
    lastReceived: traffic.lastReceived,
    bytesSent: traffic.bytesSent,
    bytesReceived: traffic.bytesReceived,
    connectedAt: source.connectedAt,
    timeOffset: source.timeOffset,
    version: source.version,
    userAgent: source.userAgent,
    inbound: source.inbound,
    startingHeight: source.startingHeight,
    lastBlock: source.lastBlock,
    lastPingNonce: source.lastPingNonce,
    lastPingTime: source.lastPingTime,
    lastPingMicros: source.lastPingMicros,
    sentPerCommand: copy(traffic.sentByCommand),
    receivedPerCommand: copy(traffic.receivedByCommand),
  };
}

function copy(table: ReadonlyMap<string, CommandCounter>): Record<string, CommandCounter> {
  const out: Record<string, CommandCounter> = Object.create(null);
  for (const [command, counter] of table) out[command] = { ...counter };
  return out;
}

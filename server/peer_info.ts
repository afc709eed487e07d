// One peer as plain JSON, shaped like an entry of Bitcoin Core's `getpeerinfo` (snake_case
// keys, seconds where Core uses seconds), with btcd's ban score.
import type { CommandCounter } from "../peer/stats.ts";
import { joinHostPort } from "./_host_port.ts";
import type { ConnectionType, ServerPeer } from "./_server_peer.ts";
import { isRoutable } from "../addrmgr/network.ts";
import { BIP155Network, type NetAddressV2, serviceFlagsToString } from "../wire/mod.ts";

/**
 * A snapshot of one peer, JSON-serialisable (`JSON.stringify` works: services are hex and
 * every other number is a plain number), like Bitcoin Core's `getpeerinfo`.
 *
 * @example
 * ```ts
 * import { MemoryNetwork, type PeerInfo, Server } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * const show = (p: PeerInfo) => `${p.addr} ${p.subver} ${p.pingtime ?? "-"} s`;
 * const net = new MemoryNetwork();
 * const a = new Server({
 *   network: "regtest", net: net.host("10.0.0.1"), listen: { hostname: "10.0.0.1" },
 * });
 * const b = new Server({
 *   network: "regtest", net: net.host("10.0.0.2"), connect: ["10.0.0.1"],
 * });
 * await a.start();
 * await b.start();
 * await b.nextPeer();
 * assertEquals(b.peerInfo().map(show), ["10.0.0.1:18444 /btcstream:0.1.0/ - s"]); // no pong yet
 * await b.stop();
 * await a.stop();
 * ```
 */
export interface PeerInfo {
  /** The peer's id in this process. */
  readonly id: number;
  /** `host:port` of the remote. */
  readonly addr: string;
  /** `ipv4`, `ipv6`, `onion`, `i2p`, `cjdns` or `not_publicly_routable` (Core's `network`). */
  readonly network: string;
  /** Services the peer offers, as 16 hex digits. */
  readonly services: string;
  /** Names of those services (`NETWORK`, `WITNESS`, ...). */
  readonly servicesnames: readonly string[];
  /** Whether the peer asked us to relay transactions. */
  readonly relaytxes: boolean;
  /** Last send, unix seconds (0 if none). */
  readonly lastsend: number;
  /** Last receive, unix seconds (0 if none). */
  readonly lastrecv: number;
  /** Bytes sent, frame headers included. */
  readonly bytessent: number;
  /** Bytes received, frame headers included. */
  readonly bytesrecv: number;
  /** When the connection opened, unix seconds. */
  readonly conntime: number;
  /** The peer's clock minus ours, seconds. */
  readonly timeoffset: number;
  /** Last ping round trip in seconds, if one completed. */
  readonly pingtime?: number;
  /** Fastest ping round trip in seconds, if one completed (Core). */
  readonly minping?: number;
  /** Negotiated protocol version the peer announced. */
  readonly version: number;
  /** The peer's user agent. */
  readonly subver: string;
  /** Whether it dialed us. */
  readonly inbound: boolean;
  /** Core's `connection_type`: `inbound`, `outbound-full-relay` or `manual`. */
  readonly connection_type: ConnectionType;
  /** Height the peer announced in `version`. */
  readonly startingheight: number;
  /** Height we last saw from it. */
  readonly synced_blocks: number;
  /** btcd's misbehaviour score, decayed to now. */
  readonly banscore: number;
  /** Whether it sent `sendaddrv2` (BIP 155). */
  readonly addrv2: boolean;
  /** Addresses from it that we processed (Core). */
  readonly addr_processed: number;
  /** Addresses from it dropped by the rate limit (Core). */
  readonly addr_rate_limited: number;
  /** Bytes sent per command (Core). */
  readonly bytessent_per_msg: Readonly<Record<string, number>>;
  /** Bytes received per command (Core). */
  readonly bytesrecv_per_msg: Readonly<Record<string, number>>;
  /** `"v1"` or `"v2"` (BIP 324), as Core. */
  readonly transport_protocol_type: "v1" | "v2";
  /** BIP 324's session id, hex; `""` for v1, as Core. */
  readonly session_id: string;
  /** Bytes queued to send to it, as charged (not in Core). */
  readonly send_queue_bytes: number;
  /**
   * Whether its send queue is over the pause level, so its messages wait and its socket is
   * not read (Core's `fPauseSend`, which `getpeerinfo` does not show).
   */
  readonly send_paused: boolean;
  /** Bytes of a message in progress held for it (not in Core). */
  readonly recv_buffer_bytes: number;
}

/** The snapshot of one server peer. */
export function peerInfoOf(sp: ServerPeer): PeerInfo {
  const peer = sp.peer;
  const s = peer.statsSnapshot();
  const info: PeerInfo = {
    id: s.id,
    addr: joinHostPort(sp.host, sp.port),
    network: networkName(sp.netAddress),
    services: s.services.toString(16).padStart(16, "0"),
    servicesnames: s.services === 0n ? [] : serviceFlagsToString(s.services).split("|"),
    relaytxes: peer.remoteVersion?.relay ?? false,
    lastsend: Math.floor(s.lastSent / 1000),
    lastrecv: Math.floor(s.lastReceived / 1000),
    bytessent: s.bytesSent,
    bytesrecv: s.bytesReceived,
    conntime: Math.floor(s.connectedAt / 1000),
    timeoffset: s.timeOffset,
    version: s.version,
    subver: s.userAgent,
    inbound: sp.inbound,
    connection_type: sp.type,
    startingheight: s.startingHeight,
    synced_blocks: s.lastBlock,
    banscore: sp.banScore.score,
    addrv2: peer.wantsAddrV2,
    addr_processed: sp.addrProcessed,
    addr_rate_limited: sp.addrLimiter.rateLimited,
    bytessent_per_msg: bytesPerCommand(s.sentPerCommand),
    bytesrecv_per_msg: bytesPerCommand(s.receivedPerCommand),
    transport_protocol_type: peer.transportProtocol,
    session_id: peer.sessionId,
    send_queue_bytes: peer.sendQueueBytes,
    send_paused: peer.sendPaused,
    recv_buffer_bytes: peer.receiveBufferBytes,
  };
  return s.lastPingMicros > 0
    ? { ...info, pingtime: s.lastPingMicros / 1e6, minping: peer.minPingMicros / 1e6 }
    : info;
}

function bytesPerCommand(
  counters: Readonly<Record<string, Readonly<CommandCounter>>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [command, counter] of Object.entries(counters)) out[command] = counter.bytes;
  return out;
}

/** Core's `network` field for an address. */
/** Bitcoin Core's name for the network a peer came through. */
export function networkName(
  na: NetAddressV2 | undefined,
): "ipv4" | "ipv6" | "onion" | "i2p" | "cjdns" | "not_publicly_routable" {
  if (na === undefined) return "not_publicly_routable";
  switch (na.networkId) {
    case BIP155Network.TORV3:
      return "onion";
    case BIP155Network.I2P:
      return "i2p";
    case BIP155Network.CJDNS:
      return "cjdns";
  }
  if (!isRoutable(na)) return "not_publicly_routable";
  return na.networkId === BIP155Network.IPV4 ? "ipv4" : "ipv6";
}

// A peer's configuration, as btcd's `peer.Config`, with defaults applied in one place.
import {
  formatUserAgent,
  type Network,
  type NetworkName,
  NETWORKS,
  PROTOCOL_VERSION,
  ServiceFlag,
} from "../wire/mod.ts";
import { type Clock, SYSTEM_CLOCK } from "./clock.ts";
import { DEFAULT_SENT_NONCES, NEGOTIATE_TIMEOUT_MS, type SentNonces } from "./handshake.ts";
import { DEFAULT_TRICKLE_INTERVAL_MS } from "./inventory_trickle.ts";
import { IDLE_TIMEOUT_MS, PING_INTERVAL_MS } from "./keepalive.ts";
import type { MessageListeners } from "./listeners.ts";
import { STALL_RESPONSE_TIMEOUT_MS, STALL_TICK_INTERVAL_MS } from "./stall_detector.ts";

/** This library's name and version, the first product in every user agent it sends. */
export const LIBRARY_USER_AGENT = { name: "btcstream", version: "0.1.0" } as const;

/**
 * The default cap on bytes queued for one peer: four maximum-size blocks. Bitcoin Core's send
 * buffer and dcrd's queue cap (40 MiB) bound the same thing; btcd does not.
 */
export const DEFAULT_SEND_QUEUE_CAP_BYTES = 16 * 1024 * 1024;

/**
 * The send queue level above which a peer stops processing the remote's messages until it
 * drains to half (Bitcoin Core's `-maxsendbuffer`, 1,000 KB).
 */
export const DEFAULT_SEND_BUFFER_BYTES = 1_000_000;

/** How long a paused send queue may go without a byte written before the peer is dropped. */
export const SEND_STALL_TIMEOUT_MS = 120_000;

/** The best block as `version` announces it. */
export interface BestBlock {
  /** Its hash, in wire order. */
  readonly hash: Uint8Array;
  /** Its height. */
  readonly height: number;
}

/**
 * A peer's configuration; every field is optional.
 *
 * @example
 * ```ts
 * import { memoryConnectionPair, Peer, type PeerConfig, SentNonces } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const config: PeerConfig = {
 *   network: "regtest",
 *   userAgentName: "crawler",
 *   userAgentVersion: "1.0",
 *   newestBlock: () => ({ hash: new Uint8Array(32), height: 0 }),
 * };
 * const [a, b] = memoryConnectionPair();
 * const crawler = new Peer(a, config);
 * const remote = new Peer(b, { network: "regtest", inbound: true, sentNonces: new SentNonces() });
 * await crawler.ready;
 * assertEquals(remote.userAgent, "/btcstream:0.1.0/crawler:1.0/");
 * crawler.disconnect();
 * await remote.closed;
 * ```
 */
export interface PeerConfig {
  /** The network (default `"mainnet"`). */
  network?: NetworkName | Network;
  /** Services we offer (default `NODE_WITNESS`: a client serving no blocks). */
  services?: bigint;
  /** Our protocol version (default 70016). */
  protocolVersion?: number;
  /** BIP 14 user agent: our product's name, appended after the library's own. */
  userAgentName?: string;
  /** Its version. */
  userAgentVersion?: string;
  /** Comments in parentheses after it. */
  userAgentComments?: readonly string[];
  /** Our best block, for `version.start_height` (default height 0). */
  newestBlock?: () => BestBlock;
  /** BIP 37: ask the peer not to relay transactions (default false). */
  disableRelayTx?: boolean;
  /** BIP 339: send `wtxidrelay` during the handshake (default true). */
  wtxidRelay?: boolean;
  /** The transaction announcement period (default 10 s). */
  trickleIntervalMs?: number;
  /** Accept a connection to ourselves (for tests; default false). */
  allowSelfConnections?: boolean;
  /**
   * The nonces this node sent in `version`s, for self-connection detection; shared by the
   * node's peers (default: one set per process).
   */
  sentNonces?: SentNonces;
  /** Turn stall detection off (default false). */
  disableStallDetection?: boolean;
  /**
   * The hard cap: bytes queued for sending (as charged, see `Peer.sendQueueBytes`) past which
   * the peer counts as too slow and is dropped (default 16 MiB).
   */
  sendQueueCapBytes?: number;
  /**
   * Above this many queued bytes the peer stops processing the remote's messages (and stops
   * reading its socket) until the queue drains to half (default 1,000,000, Bitcoin Core's
   * `-maxsendbuffer`).
   */
  sendBufferBytes?: number;
  /** How long the send queue may stay paused without a byte written (default 2 min). */
  sendStallTimeoutMs?: number;
  /**
   * The transport: `"v1"` (Bitcoin's original framing, the default) or `"v2"` (BIP 324,
   * encrypted). With `"v2"` an outbound peer dials with v2 (and ends with `v2-not-supported`
   * if the remote closes before answering, so that it can be dialed again with v1), and an
   * inbound peer accepts both, telling them apart by the first bytes, as Bitcoin Core.
   */
  transport?: "v1" | "v2";
  /** Message listeners. */
  listeners?: MessageListeners;
  /** The clock every timer uses (default: the system clock). */
  clock?: Clock;
  /** The LogTape category of this peer's log lines (default `["btcstream", "peer"]`). */
  logCategory?: readonly string[];
  /** The handshake deadline (default 30 s). */
  negotiateTimeoutMs?: number;
  /** The idle timeout (default 5 min). */
  idleTimeoutMs?: number;
  /** The ping period (default 2 min). */
  pingIntervalMs?: number;
  /** The base stall deadline (default 30 s; 90 s for `getheaders`). */
  stallResponseTimeoutMs?: number;
  /** The stall check period (default 15 s). */
  stallTickIntervalMs?: number;
}

/** A configuration with defaults applied. */
export interface ResolvedPeerConfig {
  readonly network: Network;
  readonly services: bigint;
  readonly protocolVersion: number;
  readonly userAgent: string;
  readonly newestBlock: () => BestBlock;
  readonly disableRelayTx: boolean;
  readonly wtxidRelay: boolean;
  readonly trickleIntervalMs: number;
  readonly allowSelfConnections: boolean;
  readonly sentNonces: SentNonces;
  readonly disableStallDetection: boolean;
  readonly sendQueueCapBytes: number;
  readonly sendBufferBytes: number;
  readonly sendStallTimeoutMs: number;
  readonly transport: "v1" | "v2";
  readonly listeners: MessageListeners;
  readonly clock: Clock;
  readonly logCategory: readonly string[];
  readonly negotiateTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly stallResponseTimeoutMs: number;
  readonly stallTickIntervalMs: number;
}

/** Applies the defaults; throws `TypeError`/`RangeError` for a configuration that cannot work. */
export function resolvePeerConfig(config: PeerConfig): ResolvedPeerConfig {
  const network = typeof config.network === "string"
    ? NETWORKS[config.network]
    : config.network ?? NETWORKS.mainnet;
  if (network === undefined) throw new TypeError(`Unknown network "${config.network}"`);
  const parts: { name: string; version: string; comments?: readonly string[] }[] = [
    LIBRARY_USER_AGENT,
  ];
  if (config.userAgentName !== undefined) {
    parts.push({
      name: config.userAgentName,
      version: config.userAgentVersion ?? "",
      comments: config.userAgentComments,
    });
  }
  const protocolVersion = config.protocolVersion ?? PROTOCOL_VERSION;
  if (!Number.isInteger(protocolVersion) || protocolVersion < 1) {
    throw new RangeError(`Invalid protocol version ${protocolVersion}`);
  }
  const cap = config.sendQueueCapBytes ?? DEFAULT_SEND_QUEUE_CAP_BYTES;
  if (!(cap > 0)) throw new RangeError(`Invalid send queue cap ${cap}`);
  const sendBufferBytes = config.sendBufferBytes ?? Math.min(DEFAULT_SEND_BUFFER_BYTES, cap);
  if (!(sendBufferBytes > 0)) throw new RangeError(`Invalid send buffer ${sendBufferBytes}`);
  return {
    network,
    services: config.services ?? ServiceFlag.WITNESS,
    protocolVersion,
    userAgent: formatUserAgent(parts),
    newestBlock: config.newestBlock ?? (() => ({ hash: new Uint8Array(32), height: 0 })),
    disableRelayTx: config.disableRelayTx ?? false,
    wtxidRelay: config.wtxidRelay ?? true,
    trickleIntervalMs: config.trickleIntervalMs ?? DEFAULT_TRICKLE_INTERVAL_MS,
    allowSelfConnections: config.allowSelfConnections ?? false,
    sentNonces: config.sentNonces ?? DEFAULT_SENT_NONCES,
    disableStallDetection: config.disableStallDetection ?? false,
    sendQueueCapBytes: cap,
    sendBufferBytes,
    sendStallTimeoutMs: config.sendStallTimeoutMs ?? SEND_STALL_TIMEOUT_MS,
    transport: config.transport ?? "v1",
    listeners: config.listeners ?? {},
    clock: config.clock ?? SYSTEM_CLOCK,
    logCategory: config.logCategory ?? ["btcstream", "peer"],
    negotiateTimeoutMs: config.negotiateTimeoutMs ?? NEGOTIATE_TIMEOUT_MS,
    idleTimeoutMs: config.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    pingIntervalMs: config.pingIntervalMs ?? PING_INTERVAL_MS,
    stallResponseTimeoutMs: config.stallResponseTimeoutMs ?? STALL_RESPONSE_TIMEOUT_MS,
    stallTickIntervalMs: config.stallTickIntervalMs ?? STALL_TICK_INTERVAL_MS,
  };
}

// A node's configuration: which peers it keeps, where it listens, and its policies. Defaults
// are btcd's unless said otherwise.
import type { AddrManager } from "../addrmgr/addr_manager.ts";
import type { Clock } from "../peer/clock.ts";
import type { PeerConfig } from "../peer/config.ts";
import type { DisconnectReason } from "../peer/disconnect.ts";
import type { MessageListeners } from "../peer/listeners.ts";
import type { Peer } from "../peer/peer.ts";
import type { SeedResolver } from "./dns_seed.ts";
import type { Socks5ProxyOptions } from "./socks5.ts";
import type { Net } from "./net.ts";

/** btcd's `defaultMaxPeers`. */
export const DEFAULT_MAX_PEERS = 125;

/** Where to accept inbound peers. */
export interface ListenOptions {
  /** Interface to bind (default `127.0.0.1`; `0.0.0.0` for every interface). */
  readonly hostname?: string;
  /** Port (default: the network's; 0 lets the OS choose). */
  readonly port?: number;
}

/** Options for {@linkcode Server}; the peer settings are passed to every peer. */
export interface ServerOptions
  extends Omit<PeerConfig, "listeners" | "sentNonces" | "clock" | "logCategory"> {
  /** How to dial and listen (default: TCP through Deno, via `proxy` when given). */
  readonly net?: Net;
  /**
   * BIP 324's v2 encrypted transport (default true, as Bitcoin Core since 27): NODE_P2P_V2 is
   * advertised, inbound connections may use v2 or v1, addresses known to advertise
   * NODE_P2P_V2 are dialed with v2, and one whose v2 dial is refused before the key exchange
   * is dialed again with v1.
   */
  readonly v2Transport?: boolean;
  /** A SOCKS5 proxy for outbound connections (Tor); also makes `.onion` peers dialable. */
  readonly proxy?: Socks5ProxyOptions;
  /**
   * The address book (default: one of our own, kept in `<dataDir>/peers.json`, or in
   * memory without `dataDir`). A book passed in is started and stopped by its owner.
   */
  readonly addrManager?: AddrManager;
  /** Folder for `peers.json` when the server makes its own address book. */
  readonly dataDir?: string;
  /** Where to listen for inbound peers (default: nowhere). */
  readonly listen?: ListenOptions | readonly ListenOptions[];
  /**
   * Peers at most, inbound and outbound (default {@linkcode DEFAULT_MAX_PEERS}); inbound
   * peers get what the outbound target and the added (or `connect`) peers don't reserve.
   */
  readonly maxPeers?: number;
  /**
   * Unfinished inbound handshakes allowed per source /24 (IPv4) or /64 (IPv6) (default 8, as
   * btcd; unlimited on a local network, where every node is 127.0.0.1).
   */
  readonly maxPendingInboundPerSource?: number;
  /** Automatic outbound peers to keep (default 8). */
  readonly targetOutbound?: number;
  /** Connect only to these `host[:port]` peers (btcd's `--connect`): no other outbound, no seeding. */
  readonly connect?: readonly string[];
  /** Permanent peers, kept in addition to the automatic ones (btcd's `--addpeer`). */
  readonly addPeers?: readonly string[];
  /** Ask the network's DNS seeds for addresses when the book needs more (default true). */
  readonly dnsSeed?: boolean;
  /** Resolves the DNS seeds (default: `Deno.resolveDns`). */
  readonly seedResolver?: SeedResolver;
  /**
   * Services an automatic outbound peer must offer (default NODE_NETWORK and NODE_WITNESS:
   * Bitcoin Core's desirable services, and btcd's rule once segwit is active, which it is on
   * every network); peers asked for by address are exempt, as in Core. Also the services
   * asked of DNS seeds (`x9.<seed>`).
   */
  readonly requiredServices?: bigint;
  /**
   * A local test network: the book keeps loopback and private addresses, they are
   * advertised and relayed (a fresh address to every peer, not two), `getaddr` is answered
   * from the whole book, and the one-outbound-per-group and default-port rules are
   * relaxed. Default: true on regtest and simnet, false elsewhere.
   */
  readonly localNetwork?: boolean;
  /**
   * Average time between two `addr` messages to one peer (default 30 s, Bitcoin Core's
   * `AVG_ADDRESS_BROADCAST_INTERVAL`; 0 sends at once). The first goes at once; later ones
   * wait for the next moment of a Poisson schedule, so that relay timing reveals little.
   */
  readonly addrSendIntervalMs?: number;
  /** Misbehaviour score at which a peer is disconnected and discouraged or banned (100). */
  readonly banThreshold?: number;
  /**
   * What happens to a misbehaving peer's address: `"discourage"` (default, Bitcoin Core's:
   * not dialed, let in only while slots are free, evicted first) or `"ban"` (btcd's: refused
   * for `banDurationMs`). Loopback peers are only ever disconnected.
   */
  readonly misbehavingAction?: "discourage" | "ban";
  /** How long a ban lasts (default 24 h). */
  readonly banDurationMs?: number;
  /** Peers whose user agent contains any of these are dropped after the handshake (btcd). */
  readonly userAgentBlacklist?: readonly string[];
  /** When given, only peers whose user agent contains one of these are kept (btcd). */
  readonly userAgentWhitelist?: readonly string[];
  /**
   * Addresses and CIDR ranges (`10.0.0.0/8`, `2001:db8::/32`) never banned, discouraged or
   * evicted (btcd's `--whitelist`, Bitcoin Core's `noban`).
   */
  readonly whitelist?: readonly string[];
  /** Base retry delay of the connection manager (default 5 s). */
  readonly retryDurationMs?: number;
  /** Listeners for every peer, called after the server's own handling of a message. */
  readonly listeners?: MessageListeners;
  /** Called when a peer completed the handshake and was accepted. */
  readonly onPeerReady?: (peer: Peer) => void;
  /** Called when an accepted peer disconnected. */
  readonly onPeerClosed?: (peer: Peer, reason: DisconnectReason) => void;
  /**
   * Called for every connection that ended without becoming an accepted peer: refused at
   * accept (banned, full, too many handshakes from its network), a handshake that failed or
   * timed out, a peer refused after it (user agent, `maxPeers`), or one evicted before it.
   */
  readonly onConnectionFailed?: (failure: FailedConnection) => void;
  /** Time and timers for the server and its peers; defaults to the system clock. */
  readonly clock?: Clock;
  /** LogTape category prefix; defaults to `["btcstream", "server"]`. */
  readonly logCategory?: readonly string[];
}

/**
 * A connection that ended before it became an accepted peer.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import type { FailedConnection } from "@btcstream/p2p/server";
 * const failure: FailedConnection = {
 *   address: "203.0.113.7:8333",
 *   direction: "outbound",
 *   reason: { code: "handshake-failed", message: "Received \"ping\" before \"version\"" },
 * };
 * assertEquals(failure.reason.code, "handshake-failed");
 * ```
 */
export interface FailedConnection {
  /** The remote's `host:port`. */
  readonly address: string;
  /** Whether it dialed us or we dialed it. */
  readonly direction: "inbound" | "outbound";
  /**
   * Why it ended: the peer's disconnect reason (with the remote's `reject`, when it sent one
   * during the handshake), or `local` with the server's reason for refusing it.
   */
  readonly reason: DisconnectReason;
}

/**
 * Points for {@linkcode Server.misbehaving}, and why.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import type { MisbehavingScore } from "@btcstream/p2p/server";
 * const score: MisbehavingScore = { transient: 33, reason: "mempool" };
 * assertEquals(score.persistent ?? 0, 0);
 * ```
 */
export interface MisbehavingScore {
  /** Points that stay (default 0). */
  readonly persistent?: number;
  /** Points that decay with a half-life of 60 s (default 0). */
  readonly transient?: number;
  /** What the peer did, for the log. */
  readonly reason: string;
}

// A HeaderSync's configuration and what it reports of its peers.
import type { Clock } from "../peer/clock.ts";
import type { Peer } from "../peer/peer.ts";
import type { Server } from "../server/server.ts";

/** Default of {@linkcode HeaderSyncOptions.progressTimeoutMs}: two minutes. */
export const HEADERS_PROGRESS_TIMEOUT_MS = 120_000;

/** Default of {@linkcode HeaderSyncEventsOptions.highWaterMark}: headers a reader may leave unread. */
export const DEFAULT_HEADER_EVENTS_HIGH_WATER_MARK = 10_000;

/**
 * Options for {@linkcode HeaderSync}.
 *
 * @example
 * ```ts
 * import type { HeaderSyncOptions } from "@btcstream/p2p/sync";
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const options: HeaderSyncOptions = { clock: new FakeClock(), progressTimeoutMs: 60_000 };
 * assertEquals(options.maxDownloadPeers ?? 1, 1);
 * ```
 */
export interface HeaderSyncOptions {
  /**
   * The node whose peers to sync from: those accepted now and each one accepted later.
   * Misbehaviour is reported to it (`misbehaving`), and peers that extend the chain are
   * credited (`noteNovelBlock`).
   */
  readonly server?: Server;
  /** Peers to sync from, besides the server's (more can be added with `addPeer`). */
  readonly peers?: Iterable<Peer>;
  /** The clock of the progress check (default: the system clock; give a server's its own). */
  readonly clock?: Clock;
  /**
   * How long a peer we expect headers from may go without progress before it is
   * disconnected (default {@linkcode HEADERS_PROGRESS_TIMEOUT_MS}).
   */
  readonly progressTimeoutMs?: number;
  /** Peers asked at once while the chain is behind (default 1, as Bitcoin Core). */
  readonly maxDownloadPeers?: number;
  /** LogTape category (default `["btcstream", "sync"]`). */
  readonly logCategory?: readonly string[];
}

/**
 * Options for {@linkcode HeaderSync.events}.
 *
 * @example
 * ```ts
 * import type { HeaderSyncEventsOptions } from "@btcstream/p2p/sync";
 * import { assertEquals } from "@std/assert";
 * const options: HeaderSyncEventsOptions = { highWaterMark: 2_000 };
 * assertEquals(options.highWaterMark, 2_000);
 * ```
 */
export interface HeaderSyncEventsOptions {
  /**
   * Headers (in events' `added` and `removed`) the stream may hold unread before the sync
   * stops taking headers from its peers (default {@linkcode DEFAULT_HEADER_EVENTS_HIGH_WATER_MARK}).
   */
  readonly highWaterMark?: number;
}

/**
 * One peer of a {@linkcode HeaderSync}, as {@linkcode HeaderSync.peers} lists it.
 *
 * @example
 * ```ts
 * import type { HeaderSyncPeer } from "@btcstream/p2p/sync";
 * import { assertEquals } from "@std/assert";
 * const describe = (p: HeaderSyncPeer) => `${p.peer.address} at ${p.bestHeight ?? "?"}`;
 * assertEquals(describe({ peer: { address: "10.0.0.1:18444" }, bestHeight: 7 } as HeaderSyncPeer), "10.0.0.1:18444 at 7");
 * ```
 */
export interface HeaderSyncPeer {
  /** The peer. */
  readonly peer: Peer;
  /**
   * The height on our best chain of the last block this peer has shown it has (by headers it
   * sent, an `inv`, or an empty answer from our tip); undefined until it has shown one.
   */
  readonly bestHeight: number | undefined;
  /** Whether it may be asked for headers now (all peers, once the chain has caught up). */
  readonly downloading: boolean;
  /** Whether its last answer said it has nothing after what we have. */
  readonly atTip: boolean;
}

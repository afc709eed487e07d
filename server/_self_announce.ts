// Telling peers where to reach us (btcd's self-advertisement after the handshake, and Bitcoin
// Core's re-announcement about once a day), on one timer for all peers.
import type { AddrManager } from "../addrmgr/addr_manager.ts";
import { isRoutable } from "../addrmgr/network.ts";
import type { Clock, Timer } from "../peer/clock.ts";
import type { NetAddressV2 } from "../wire/mod.ts";
import type { ServerPeer } from "./_server_peer.ts";
import type { AddrGossip } from "./addr_gossip.ts";
import { exponentialMs } from "./_exponential.ts";

/** Average time between announcements to one peer (Core's `AVG_LOCAL_ADDRESS_BROADCAST_INTERVAL`). */
const SELF_ANNOUNCE_INTERVAL_MS = 24 * 60 * 60_000;

/** What announcing needs of the server. */
export interface SelfAnnounceOptions {
  readonly clock: Clock;
  readonly addrManager: AddrManager;
  readonly gossip: AddrGossip;
  /** A local test network: announce the listen address itself, routable or not. */
  readonly localNetwork: boolean;
  /** The addresses we listen on (empty: we don't listen, so we announce nothing). */
  readonly ownAddresses: readonly NetAddressV2[];
  /** The services we offer. */
  readonly services: bigint;
  /** The peers to consider when a re-announcement is due. */
  readonly peers: () => Iterable<ServerPeer>;
}

export class SelfAnnounce {
  readonly #options: SelfAnnounceOptions;
  #timer: Timer | undefined;
  #timerAt = 0;
  #stopped = false;

  constructor(options: SelfAnnounceOptions) {
    this.#options = options;
  }

  /**
   * Tells a peer where to reach us: our best routable address for it (btcd), and schedules
   * the next time, about a day later (Core). The peer is first made to forget it knows the
   * address, so that the announcement does go out.
   */
  announce(sp: ServerPeer): void {
    const { clock, gossip, ownAddresses } = this.#options;
    if (ownAddresses.length === 0 || this.#stopped) return;
    const now = clock.now();
    sp.nextSelfAnnounceAt = now + exponentialMs(SELF_ANNOUNCE_INTERVAL_MS);
    this.#schedule(sp.nextSelfAnnounceAt);
    const ours = this.#addressFor(sp.netAddress);
    if (ours === undefined) return;
    const announcement = {
      ...ours,
      timestamp: Math.floor(now / 1000),
      services: this.#options.services,
    };
    sp.knownAddresses.delete(announcement);
    gossip.push(sp, [announcement]);
  }

  /** Cancels the timer; nothing more is announced. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #addressFor(remote: NetAddressV2 | undefined): NetAddressV2 | undefined {
    const { localNetwork, ownAddresses, addrManager } = this.#options;
    if (localNetwork) {
      return ownAddresses.find((a) => remote === undefined || a.networkId === remote.networkId);
    }
    if (remote === undefined) return undefined;
    const best = addrManager.getBestLocalAddress(remote);
    return isRoutable(best) ? best : undefined;
  }

  /** One timer for all peers, at the earliest announcement due. */
  #schedule(at: number): void {
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    this.#timer?.cancel();
    this.#timerAt = at;
    const { clock } = this.#options;
    this.#timer = clock.setTimeout(() => this.#due(), Math.max(0, at - clock.now()));
  }

  #due(): void {
    this.#timer = undefined;
    const now = this.#options.clock.now();
    let next = Infinity;
    for (const sp of this.#options.peers()) {
      if (sp.nextSelfAnnounceAt === 0) continue;
      if (now >= sp.nextSelfAnnounceAt) this.announce(sp);
      else next = Math.min(next, sp.nextSelfAnnounceAt);
    }
    if (next < Infinity) this.#schedule(next);
  }
}

// Which address an automatic outbound connection dials next (btcd's `newAddressFunc`), and
// what counts as ours or reachable for that choice and for gossip.
import type { AddrManager } from "../addrmgr/addr_manager.ts";
import { groupKey, netAddressKey } from "../addrmgr/group_key.ts";
import { isRoutable } from "../addrmgr/network.ts";
import type { Clock } from "../peer/clock.ts";
import { BIP155Network, type NetAddressV2, type Network } from "../wire/mod.ts";
import type { ConnRequest, DialTarget } from "./conn_manager.ts";
import { joinHostPort, parseHostPort, tryNetAddress } from "./_host_port.ts";

/** btcd's address choice: tries before giving up, and when each rule relaxes. */
const NEW_ADDRESS_TRIES = 100;
const RECENT_ATTEMPT_TRIES = 30;
const DEFAULT_PORT_TRIES = 50;
const RECENT_ATTEMPT_MS = 10 * 60_000;

/** What the choice needs of the server. */
export interface OutboundChoiceOptions {
  readonly addrManager: AddrManager;
  readonly network: Network;
  readonly clock: Clock;
  /** A local test network: no group or default-port rule, unroutable addresses are fine. */
  readonly localNetwork: boolean;
  /** Whether `.onion` addresses can be dialed (a SOCKS5 proxy is configured). */
  readonly onion: boolean;
  /** The outbound requests being kept (dialing, connected, waiting to retry). */
  readonly kept: () => Iterable<ConnRequest>;
  readonly isBanned: (host: string) => boolean;
}

export class OutboundChoice {
  readonly #options: OutboundChoiceOptions;
  /** The addresses we listen on, as peers would dial them. */
  readonly ownAddresses: NetAddressV2[] = [];
  readonly #ownKeys = new Set<string>();

  constructor(options: OutboundChoiceOptions) {
    this.#options = options;
  }

  /** Records a listen address as ours (a wildcard or host name is no address to give out). */
  addOwn(hostname: string, port: number): void {
    const na = tryNetAddress(hostname, port, {
      timestamp: Math.floor(this.#options.clock.now() / 1000),
    });
    if (na === undefined || na.address.every((b) => b === 0)) return;
    this.ownAddresses.push(na);
    this.#ownKeys.add(netAddressKey(na));
  }

  isOwn(na: NetAddressV2): boolean {
    return this.#ownKeys.has(netAddressKey(na));
  }

  /** Whether we can dial it: IP when routable (or on a local network), Tor with a proxy. */
  isReachable(na: NetAddressV2): boolean {
    if (na.networkId === BIP155Network.IPV4 || na.networkId === BIP155Network.IPV6) {
      return this.#options.localNetwork || isRoutable(na);
    }
    return na.networkId === BIP155Network.TORV3 && this.#options.onion;
  }

  /**
   * btcd's `newAddressFunc`: up to 100 picks from the book, skipping our own, unreachable,
   * banned and already kept addresses, one per network group (dials in flight count too: at
   * start every slot picks before any connects), none tried in the last ten minutes for 30
   * picks, the default port only for 50. Marks the chosen one attempted.
   *
   * It stops early once every address in the book was refused for a reason that picking
   * again cannot change (ours, unreachable, banned, kept, its group taken): a node whose
   * book holds only its peers would otherwise spend 100 picks per empty slot at every
   * retry (on the demo's local network, a third of its CPU).
   */
  next(): DialTarget | undefined {
    const { addrManager, network, localNetwork, clock } = this.#options;
    const keptKeys = new Set<string>();
    const groups = new Set<string>();
    for (const request of this.#options.kept()) {
      keptKeys.add(joinHostPort(request.host, request.port));
      if (request.state === "connecting" || request.state === "connected") {
        groups.add(groupOf(request.host));
      }
    }
    const size = addrManager.numAddresses();
    const refused = new Set<string>();
    const now = clock.now();
    for (let tries = 0; tries < NEW_ADDRESS_TRIES && refused.size < size; tries++) {
      const known = addrManager.getAddress();
      if (known === undefined) break;
      const na = known.netAddress;
      const key = netAddressKey(na);
      if (refused.has(key)) continue;
      if (this.#ownKeys.has(key) || keptKeys.has(key) || !this.isReachable(na)) {
        refused.add(key);
        continue;
      }
      if (!localNetwork && groups.has(groupKey(na))) {
        refused.add(key);
        continue;
      }
      const target = parseHostPort(key, network.defaultPort);
      if (this.#options.isBanned(target.host)) {
        refused.add(key);
        continue;
      }
      if (tries < RECENT_ATTEMPT_TRIES && now - known.lastAttemptMs < RECENT_ATTEMPT_MS) continue;
      if (!localNetwork && tries < DEFAULT_PORT_TRIES && na.port !== network.defaultPort) continue;
      addrManager.attempt(na);
      return { ...target, services: na.services };
    }
    return undefined;
  }
}

/** The network group of a dialed host (a host name is a group of its own). */
function groupOf(host: string): string {
  const na = tryNetAddress(host, 0);
  return na === undefined ? `host:${host}` : groupKey(na);
}

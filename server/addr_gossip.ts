// The address gossip policy of a node: which `getaddr` it answers, what it takes from
// `addr`/`addrv2`, and where it relays fresh addresses. btcd answers and stores but never
// relays and never rate-limits; we follow Bitcoin Core (net_processing.cpp, `ProcessAddrs`
// and `RelayAddress`) for those two.
import { createHash } from "node:crypto";
import { getLogger } from "@logtape/logtape";
import type { AddrManager } from "../addrmgr/addr_manager.ts";
import { isRoutable } from "../addrmgr/network.ts";
import type { Clock } from "../peer/clock.ts";
import type { NetAddress, NetAddressV2 } from "../wire/mod.ts";
import { netAddressV2ToLegacy } from "../wire/mod.ts";
import type { ServerPeer } from "./_server_peer.ts";
import { exponentialMs } from "./_exponential.ts";
import { GETADDR_TOKEN_CREDIT } from "./addr_rate_limiter.ts";

/** Addresses in one message at most, for it to be relayed (Core). */
export const MAX_RELAYED_ADDR_MESSAGE = 10;
/** Only addresses seen this recently are relayed (Core: 10 minutes). */
export const ADDR_RELAY_FRESHNESS_MS = 10 * 60_000;
/** How long one address keeps going to the same peers (Core's `ROTATE_ADDR_RELAY_DEST_INTERVAL`). */
export const ADDR_RELAY_ROTATE_MS = 24 * 60 * 60_000;
/** Average time between two `addr` messages to one peer (Core's `AVG_ADDRESS_BROADCAST_INTERVAL`). */
export const AVG_ADDR_SEND_INTERVAL_MS = 30_000;
/** Addresses queued for one peer at most (Core's `MAX_ADDR_TO_SEND`). */
const MAX_ADDR_QUEUED = 1000;
/** A `getaddr` answer is reused for 21 hours plus up to 6 more (Core's address response cache). */
const ADDR_ANSWER_CACHE_MS = 21 * 60 * 60_000;
const ADDR_ANSWER_CACHE_SPREAD_MS = 6 * 60 * 60_000;
/** How much older an address heard from another node is stored (Core's addrman penalty). */
const ADDR_TIME_PENALTY_S = 2 * 60 * 60;
/** A timestamp this far ahead is replaced (btcd and Core: 10 minutes). */
const FUTURE_LIMIT_S = 10 * 60;
/** ...by now minus five days. */
const PAST_STAMP_S = 5 * 24 * 60 * 60;

/** What the policy needs of the server. */
export interface AddrGossipOptions {
  readonly addrManager: AddrManager;
  readonly clock: Clock;
  /** Keep and relay unroutable (loopback, private) addresses: a local test network. */
  readonly localNetwork: boolean;
  /** Average time between two `addr` messages to one peer; 0 sends at once. */
  readonly sendIntervalMs: number;
  /** The peers that completed the handshake. */
  readonly peers: () => Iterable<ServerPeer>;
  /** Whether an address is one of ours (never stored, never dialed). */
  readonly isOwnAddress: (address: NetAddressV2) => boolean;
  /** Whether we can dial addresses of this kind (Core's reachable networks). */
  readonly isReachable: (address: NetAddressV2) => boolean;
  /** Ends a peer that broke the rules. */
  readonly disconnect: (peer: ServerPeer, why: string) => void;
  /** LogTape category. */
  readonly logCategory: readonly string[];
}

/** The address gossip of one node: see the file comment. */
export class AddrGossip {
  readonly #options: AddrGossipOptions;
  readonly #log: ReturnType<typeof getLogger>;
  /** The `getaddr` answer per network of the asking peer, and until when it holds. */
  readonly #answers = new Map<number, { addresses: NetAddressV2[]; until: number }>();
  /** Core's deterministic randomizer: a secret, so peers can't predict relay targets. */
  readonly #secret: Uint8Array = crypto.getRandomValues(new Uint8Array(32));

  constructor(options: AddrGossipOptions) {
    this.#options = options;
    this.#log = getLogger([...options.logCategory]);
  }

  /**
   * `getaddr`: answered only for inbound peers (an outbound answer would let the remote
   * fingerprint us) and only once per connection, from the address cache minus what the
   * peer knows. The answer replaces what was queued for the peer (Core clears
   * `m_addrs_to_send`).
   */
  onGetAddr(sp: ServerPeer): void {
    if (!sp.inbound) {
      this.#log.debug("Ignoring getaddr from outbound peer {peer}", { peer: sp.peer.address });
      return;
    }
    sp.addrRelayEnabled = true;
    if (sp.getAddrAnswered) {
      this.#log.debug("Ignoring repeated getaddr from {peer}", { peer: sp.peer.address });
      return;
    }
    sp.getAddrAnswered = true;
    sp.addrQueue = [];
    this.push(sp, this.#answer(sp));
  }

  /**
   * The addresses a `getaddr` gets. As Bitcoin Core, one answer per network the asking
   * peer is on, kept for 21 to 27 hours: asking again and again, from many connections,
   * shows the same sample instead of the whole book. A local test network, small and
   * growing while it starts, answers from the whole book each time.
   */
  #answer(sp: ServerPeer): NetAddressV2[] {
    const { addrManager, clock, localNetwork } = this.#options;
    if (localNetwork) return addrManager.addressCache({ percent: 100 });
    const network = sp.netAddress?.networkId ?? 0;
    const now = clock.now();
    const cached = this.#answers.get(network);
    if (cached !== undefined && cached.until > now) return cached.addresses;
    const addresses = addrManager.addressCache();
    const until = now + ADDR_ANSWER_CACHE_MS + Math.random() * ADDR_ANSWER_CACHE_SPREAD_MS;
    this.#answers.set(network, { addresses, until });
    return addresses;
  }

  /** Sends `getaddr` and lets the answer through the rate limit (Core). */
  requestAddresses(sp: ServerPeer): void {
    sp.getAddrSent = true;
    sp.addrLimiter.credit(GETADDR_TOKEN_CREDIT);
    void sp.peer.queueMessage({ command: "getaddr" });
  }

  /**
   * `addr` or `addrv2`: an empty list disconnects (btcd); past the peer's token bucket the
   * rest is dropped (Core); future timestamps become five days old; each address becomes
   * known to the peer; fresh ones from small messages are relayed; the rest go to the book.
   */
  onAddresses(sp: ServerPeer, addresses: readonly NetAddressV2[]): void {
    sp.addrRelayEnabled = true;
    if (addresses.length === 0) {
      this.#options.disconnect(sp, `Empty ${sp.peer.wantsAddrV2 ? "addrv2" : "addr"} message`);
      return;
    }
    const { addrManager, clock, localNetwork, isOwnAddress, isReachable } = this.#options;
    const nowMs = clock.now();
    const nowS = Math.floor(nowMs / 1000);
    const allowed = sp.addrLimiter.take(addresses.length);
    const relay = !sp.getAddrSent && addresses.length <= MAX_RELAYED_ADDR_MESSAGE;
    const keep: NetAddressV2[] = [];
    for (let i = 0; i < allowed; i++) {
      let na = addresses[i];
      if (na.timestamp <= 100_000_000 || na.timestamp > nowS + FUTURE_LIMIT_S) {
        na = { ...na, timestamp: nowS - PAST_STAMP_S };
      }
      sp.knownAddresses.add(na);
      if (isOwnAddress(na)) continue;
      const fresh = na.timestamp * 1000 > nowMs - ADDR_RELAY_FRESHNESS_MS;
      const reachable = isReachable(na);
      if (relay && fresh && (localNetwork || isRoutable(na))) this.relay(sp, na, reachable);
      if (reachable) keep.push(na);
    }
    sp.addrProcessed += allowed;
    if (allowed < addresses.length) {
      this.#log.debug("Rate-limited {dropped} addresses from {peer}", {
        dropped: addresses.length - allowed,
        peer: sp.peer.address,
      });
    }
    // A short answer is the last of our getaddr's (Core).
    if (addresses.length < 1000) sp.getAddrSent = false;
    const source = sp.netAddress;
    if (source === undefined || keep.length === 0) return;
    // Core stores an address heard from another node as seen two hours earlier than it says
    // (addrman's time penalty); a node's word about its own IP is taken as is.
    addrManager.addAddresses(
      keep.map((na) =>
        sameIp(na, source)
          ? na
          : { ...na, timestamp: Math.max(0, na.timestamp - ADDR_TIME_PENALTY_S) }
      ),
      source,
    );
  }

  /**
   * Relays `na` to two peers (one or two when we can't reach it), chosen by a keyed hash of
   * the address, the peer and the day, so the same address goes to the same peers all day
   * and their known-address caches stop repeats (Core's `RelayAddress`). On a local test
   * network it goes to every peer instead: Core's two suit a large network where addresses
   * keep coming, but in a small one that starts at once they leave gaps that nothing fills
   * (a node whose outbound slots filled before it heard of another never hears of it).
   *
   * Only peers that take part in address relay get it: every outbound peer, and an inbound
   * one once it sent `addr`, `addrv2` or `getaddr` (Core's `SetupAddressRelay`). Besides sparing
   * peers that ignore addresses (light clients), this keeps a relay from being the first
   * `addr` a new inbound peer gets, which would hold the answer to its `getaddr`, a moment
   * later, until the next moment of the send schedule (30 s on average) instead of at once.
   */
  relay(origin: ServerPeer, na: NetAddressV2, reachable: boolean): void {
    const legacy = netAddressV2ToLegacy(na) !== undefined;
    const targets: ServerPeer[] = [];
    for (const sp of this.#options.peers()) {
      if (sp === origin || (sp.inbound && !sp.addrRelayEnabled)) continue;
      if (legacy || sp.peer.wantsAddrV2) targets.push(sp);
    }
    if (this.#options.localNetwork) {
      for (const sp of targets) this.push(sp, [na]);
      return;
    }
    const addrHash = this.#hash(na.address, na.port);
    const day = Math.floor(
      (this.#options.clock.now() + Number(addrHash & 0xffffffn)) /
        ADDR_RELAY_ROTATE_MS,
    );
    const base = this.#hash(addrHash, day);
    const count = reachable || (base & 1n) === 1n ? 2 : 1;
    const best: { key: bigint; sp: ServerPeer }[] = [];
    for (const sp of targets) {
      const key = this.#hash(base, sp.peer.id);
      let i = best.length;
      while (i > 0 && best[i - 1].key < key) i--;
      if (i < count) {
        best.splice(i, 0, { key, sp });
        if (best.length > count) best.pop();
      }
    }
    for (const { sp } of best) this.push(sp, [na]);
  }

  /**
   * Queues what the peer doesn't know of `addresses` for its next `addr` (Core's
   * `PushAddress`): `addrv2` when it asked for it, else `addr` with what `addr` can carry. At
   * most 1,000 wait; past that a random one is replaced.
   */
  push(sp: ServerPeer, addresses: readonly NetAddressV2[]): void {
    const queue = sp.addrQueue;
    for (const na of addresses) {
      if (sp.knownAddresses.has(na)) continue;
      if (!sp.peer.wantsAddrV2 && netAddressV2ToLegacy(na) === undefined) continue;
      if (queue.length < MAX_ADDR_QUEUED) queue.push(na);
      else queue[Math.floor(Math.random() * queue.length)] = na;
    }
    this.#schedule(sp);
  }

  /**
   * Core's `MaybeSendAddr` schedule: the first `addr` to a peer goes at once, and each later
   * one at the next moment of a Poisson process (average `sendIntervalMs`). Core advances
   * that schedule whether or not anything waits; as the process is memoryless, an address
   * queued after the last scheduled moment waits an exponential time from now.
   */
  #schedule(sp: ServerPeer): void {
    if (sp.addrQueue.length === 0 || sp.addrTimer !== undefined || !sp.peer.connected) return;
    const { clock, sendIntervalMs } = this.#options;
    const now = clock.now();
    if (sp.nextAddrSendAt === 0 || sendIntervalMs === 0) {
      this.#send(sp, now);
      return;
    }
    const at = sp.nextAddrSendAt > now ? sp.nextAddrSendAt : now + this.#poissonGap();
    sp.addrTimer = clock.setTimeout(() => {
      sp.addrTimer = undefined;
      this.#send(sp, clock.now());
    }, at - now);
  }

  /** Sends the queue, minus what the peer came to know since; what is sent becomes known. */
  #send(sp: ServerPeer, now: number): void {
    sp.nextAddrSendAt = now + this.#poissonGap();
    const unknown = sp.knownAddresses.filter(sp.addrQueue);
    sp.addrQueue = [];
    if (unknown.length === 0 || !sp.peer.connected) return;
    let sent: readonly NetAddressV2[];
    if (sp.peer.wantsAddrV2) {
      sent = sp.peer.pushAddrV2Msg(unknown);
    } else {
      const byLegacy = new Map<NetAddress, NetAddressV2>();
      for (const na of unknown) {
        const legacy = netAddressV2ToLegacy(na);
        if (legacy !== undefined) byLegacy.set(legacy, na);
      }
      sent = sp.peer.pushAddrMsg([...byLegacy.keys()]).map((l) => byLegacy.get(l)!);
    }
    for (const na of sent) sp.knownAddresses.add(na);
  }

  /** An exponential wait with mean `sendIntervalMs` (at least 1 ms when the mean isn't 0). */
  #poissonGap(): number {
    const mean = this.#options.sendIntervalMs;
    return mean === 0 ? 0 : Math.max(1, exponentialMs(mean));
  }

  #hash(first: Uint8Array | bigint, second: number | bigint): bigint {
    const h = createHash("sha256").update(this.#secret);
    h.update(typeof first === "bigint" ? first.toString(16) : first);
    h.update(String(second));
    return h.digest().readBigUInt64LE(0);
  }
}

function sameIp(a: NetAddressV2, b: NetAddressV2): boolean {
  if (a.networkId !== b.networkId || a.address.length !== b.address.length) return false;
  for (let i = 0; i < a.address.length; i++) if (a.address[i] !== b.address[i]) return false;
  return true;
}

// A node: many peers and the glue between them (btcd's `server.go` around its peers). It
// listens, keeps outbound connections through a ConnManager, runs every peer's messages past
// the server's policies (the `version` checks, address gossip, misbehaviour), and keeps the
// median time offset. The one place, with net.ts, that touches sockets.
import { getLogger } from "@logtape/logtape";
import { AddrManager } from "../addrmgr/addr_manager.ts";
import { MemoryStorage } from "../addrmgr/storage.ts";
import { type Clock, SYSTEM_CLOCK } from "../peer/clock.ts";
import type { Connection } from "../peer/connection.ts";
import type { DisconnectReason } from "../peer/disconnect.ts";
import { SentNonces } from "../peer/handshake.ts";
import type { MessageListeners } from "../peer/listeners.ts";
import { Peer } from "../peer/peer.ts";
import { type Message, type Network, NETWORKS, ServiceFlag } from "../wire/mod.ts";
import type { Ban } from "./_ban_list.ts";
import { NetGroupKeys } from "./_eviction.ts";
import { chooseEviction } from "./_inbound_eviction.ts";
import { isLocal } from "../addrmgr/network.ts";
import { MisbehaviorPolicy } from "./_misbehavior.ts";
import { InboundAdmission, MAX_PENDING_INBOUND_PER_SOURCE } from "./_inbound_admission.ts";
import { OutboundChoice } from "./_outbound_choice.ts";
import { SelfAnnounce } from "./_self_announce.ts";
import { closeQuietly } from "./_close_quietly.ts";
import { joinHostPort, parseHostPort, tryNetAddress } from "./_host_port.ts";
import { ServerPeer } from "./_server_peer.ts";
import { AddrGossip, AVG_ADDR_SEND_INTERVAL_MS } from "./addr_gossip.ts";
import { serverListeners } from "./_server_listeners.ts";
import { BAN_THRESHOLD, DEFAULT_BAN_DURATION_MS } from "./ban_score.ts";
import { ConnManager, type ConnRequest, DEFAULT_TARGET_OUTBOUND } from "./conn_manager.ts";
import { DNS_SEEDS, seedFromDns } from "./dns_seed.ts";
import { MedianTimeSource } from "./median_time.ts";
import { type PeerInfo, peerInfoOf } from "./peer_info.ts";
import {
  DEFAULT_MAX_PEERS,
  type FailedConnection,
  type ListenOptions,
  type MisbehavingScore,
  type ServerOptions,
} from "./server_options.ts";
import { type Net, type NetListener, tcpNet } from "./net.ts";

/**
 * A Bitcoin node's peer-to-peer side: inbound and outbound peers, the address book, gossip.
 *
 * - **Outbound**: keeps `targetOutbound` peers (8) to addresses from the book, chosen as
 *   btcd's `newAddressFunc` does (one per network group, not tried in the last ten minutes,
 *   the default port first), plus permanent peers (`connect`, `addPeers`), with backoff.
 * - **Inbound**: accepts up to `maxPeers` minus what outbound peers reserve (the target and
 *   the added peers, or the `connect` peers), at most 8 unfinished handshakes per source
 *   /24 or /64 (btcd, 2026).
 * - **On `version`**: records an outbound peer's services in the book, refuses an automatic
 *   one without the required services (`reject nonstandard`; peers from `connect`,
 *   `addPeers` and {@linkcode Server.connect} are exempt, as in Bitcoin Core), and adds its
 *   clock to the median time.
 * - **After the handshake**: an outbound peer's address is marked connected and good; we
 *   advertise our address to it and ask it for addresses when the book needs more.
 * - **Gossip**: `getaddr` answered once per inbound peer; `addr`/`addrv2` rate-limited and
 *   relayed as Bitcoin Core does.
 * - **Misbehaviour**: a decaying score per peer; past `banThreshold` the host is banned.
 *
 * @example
 * ```ts
 * import { MemoryNetwork, Server } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 *
 * // Two nodes on an in-memory network: b dials a and they gossip.
 * const net = new MemoryNetwork();
 * const a = new Server({
 *   network: "regtest", net: net.host("10.0.0.1"), listen: { hostname: "10.0.0.1" },
 * });
 * const b = new Server({
 *   network: "regtest", net: net.host("10.0.0.2"), connect: ["10.0.0.1"],
 * });
 * await a.start();
 * await b.start();
 * const peer = await b.nextPeer();
 * assertEquals(peer.userAgent, "/btcstream:0.1.0/");
 * await b.stop();
 * await a.stop();
 * ```
 */
export class Server {
  readonly #options: ServerOptions;
  readonly #network: Network;
  readonly #clock: Clock;
  readonly #log: ReturnType<typeof getLogger>;
  readonly #net: Net;
  readonly #addrManager: AddrManager;
  readonly #ownsAddrManager: boolean;
  readonly #timeSource: MedianTimeSource;
  readonly #connManager: ConnManager;
  readonly #gossip: AddrGossip;
  readonly #selfAnnounce: SelfAnnounce;
  readonly #listeners: MessageListeners;
  readonly #nonces = new SentNonces();
  readonly #localNetwork: boolean;
  readonly #maxPeers: number;
  readonly #maxInbound: number;
  readonly #targetOutbound: number;
  readonly #admission: InboundAdmission;
  readonly #requiredServices: bigint;
  /** Every peer, from connection to disconnect, and which of them are accepted. */
  readonly #all = new Map<Peer, ServerPeer>();
  readonly #ready = new Set<ServerPeer>();
  readonly #choice: OutboundChoice;
  readonly #policy: MisbehaviorPolicy;
  readonly #groupKeys = new NetGroupKeys();
  /** What we advertise: the configured services, with NODE_P2P_V2 when v2 is on. */
  readonly #services: bigint;
  readonly #v2: boolean;
  /** Addresses whose v2 dial was refused before the key exchange: dialed next with v1. */
  readonly #downgrade = new Set<string>();
  /** The services our outbound peers announced, by `host:port` (for manual peers' v2). */
  readonly #dialedServices = new Map<string, bigint>();
  readonly #bound: NetListener[] = [];
  readonly #tasks = new Set<Promise<unknown>>();
  readonly #abort = new AbortController();
  readonly #waiters: ((peer: Peer) => void)[] = [];
  #state: "new" | "running" | "stopping" | "stopped" = "new";

  /**
   * Creates a stopped server; {@linkcode Server.start} starts it.
   *
   * @param options Network, peers, listening, policies and peer settings.
   * @throws {TypeError} For an unknown network or an invalid peer address.
   */
  constructor(options: ServerOptions = {}) {
    this.#options = options;
    const network = typeof options.network === "string"
      ? NETWORKS[options.network]
      : options.network ?? NETWORKS.mainnet;
    if (network === undefined) throw new TypeError(`Unknown network "${options.network}"`);
    this.#network = network;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#v2 = options.v2Transport ?? true;
    this.#services = (options.services ?? ServiceFlag.WITNESS) |
      (this.#v2 ? ServiceFlag.P2P_V2 : 0n);
    const category = options.logCategory ?? ["btcstream", "server"];
    this.#log = getLogger([...category]);
    this.#net = options.net ?? tcpNet({ proxy: options.proxy });
    this.#localNetwork = options.localNetwork ??
      (network.name === "regtest" || network.name === "simnet");
    this.#ownsAddrManager = options.addrManager === undefined;
    this.#addrManager = options.addrManager ?? new AddrManager({
      storage: options.dataDir === undefined ? new MemoryStorage() : undefined,
      dataDir: options.dataDir,
      clock: this.#clock,
      keepLocalAddresses: this.#localNetwork,
      logCategory: [...category, "addrmgr"],
    });
    this.#timeSource = new MedianTimeSource({
      clock: this.#clock,
      logCategory: [...category, "time"],
    });
    this.#maxPeers = options.maxPeers ?? DEFAULT_MAX_PEERS;
    const connectOnly = (options.connect?.length ?? 0) > 0;
    this.#targetOutbound = connectOnly ? 0 : options.targetOutbound ?? DEFAULT_TARGET_OUTBOUND;
    // btcd (2026): inbound peers get what the outbound ones don't reserve: the permanent
    // peers in connect-only mode, else the outbound target plus the added peers.
    const reserved = connectOnly
      ? options.connect!.length
      : this.#targetOutbound + (options.addPeers?.length ?? 0);
    this.#maxInbound = Math.max(0, this.#maxPeers - reserved);
    this.#admission = new InboundAdmission(
      options.maxPendingInboundPerSource ??
        (this.#localNetwork ? Infinity : MAX_PENDING_INBOUND_PER_SOURCE),
    );
    this.#requiredServices = options.requiredServices ??
      (ServiceFlag.NETWORK | ServiceFlag.WITNESS);
    this.#policy = new MisbehaviorPolicy({
      clock: this.#clock,
      action: options.misbehavingAction ?? "discourage",
      banDurationMs: options.banDurationMs ?? DEFAULT_BAN_DURATION_MS,
      whitelist: options.whitelist ?? [],
    });
    this.#choice = new OutboundChoice({
      addrManager: this.#addrManager,
      network,
      clock: this.#clock,
      localNetwork: this.#localNetwork,
      onion: options.proxy !== undefined,
      kept: () => this.#connManager.requests,
      // As Bitcoin Core: neither banned nor discouraged addresses are dialed.
      isBanned: (host) => this.isBanned(host) || this.isDiscouraged(host),
    });
    this.#connManager = new ConnManager({
      targetOutbound: this.#targetOutbound,
      retryDurationMs: options.retryDurationMs,
      clock: this.#clock,
      logCategory: [...category, "connmgr"],
      dial: (target, signal) => this.#net.dial(target.host, target.port, { signal }),
      onConnection: (request, connection) => this.#attachOutbound(request, connection),
      newAddress: connectOnly ? undefined : () => this.#choice.next(),
    });
    for (const text of [...(options.connect ?? []), ...(options.addPeers ?? [])]) {
      this.#connManager.connect(parseHostPort(text, network.defaultPort));
    }
    this.#gossip = new AddrGossip({
      addrManager: this.#addrManager,
      clock: this.#clock,
      localNetwork: this.#localNetwork,
      sendIntervalMs: options.addrSendIntervalMs ?? AVG_ADDR_SEND_INTERVAL_MS,
      peers: () => this.#ready,
      isOwnAddress: (na) => this.#choice.isOwn(na),
      isReachable: (na) => this.#choice.isReachable(na),
      disconnect: (sp, why) => sp.peer.disconnect(why),
      logCategory: [...category, "gossip"],
    });
    this.#selfAnnounce = new SelfAnnounce({
      clock: this.#clock,
      addrManager: this.#addrManager,
      gossip: this.#gossip,
      localNetwork: this.#localNetwork,
      ownAddresses: this.#choice.ownAddresses,
      services: this.#services,
      peers: () => this.#ready,
    });
    this.#listeners = serverListeners(options.listeners ?? {}, {
      lookup: (peer) => this.#all.get(peer),
      gossip: this.#gossip,
      simnet: network.name === "simnet",
      ourServices: this.#services,
      onVersion: (sp, version) => {
        if (!sp.inbound && sp.netAddress !== undefined && network.name !== "simnet") {
          this.#addrManager.setServices(sp.netAddress, version.services);
        }
        if (!sp.inbound) this.#noteServices(sp.host, sp.port, version.services);
        if (version.protocolVersion < 209) return undefined;
        // As Bitcoin Core, a connection the user asked for is exempt.
        const missing = this.#requiredServices & ~version.services;
        if (sp.type === "outbound-full-relay" && missing !== 0n) {
          return `required services 0x${this.#requiredServices.toString(16)} not offered`;
        }
        this.#timeSource.addTimeSample(sp.peer.address, Number(version.timestamp));
        return undefined;
      },
      misbehaving: (sp, score) => this.#misbehaving(sp, score),
    });
  }

  // ─── Lifecycle ─────────────────────────────────────────────────────────────────────────

  /**
   * Loads the address book, binds the listen addresses, and starts connecting (and DNS
   * seeding, when the book needs addresses).
   *
   * @returns Resolves once listening.
   * @throws When a listen address cannot be bound (nothing is left running then).
   */
  async start(): Promise<void> {
    if (this.#state !== "new") return;
    this.#state = "running";
    if (this.#ownsAddrManager) await this.#addrManager.start();
    const listens = this.#options.listen;
    const wanted: readonly ListenOptions[] = listens === undefined
      ? []
      : Array.isArray(listens)
      ? listens
      : [listens as ListenOptions];
    try {
      for (const l of wanted) {
        const bound = this.#net.listen(
          l.hostname ?? "127.0.0.1",
          l.port ?? this.#network.defaultPort,
        );
        this.#bound.push(bound);
        this.#choice.addOwn(bound.hostname, bound.port);
        this.#track(this.#acceptLoop(bound));
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.#connManager.start();
    if (this.#targetOutbound > 0 && this.#options.dnsSeed !== false) this.#track(this.#seed());
    this.#log.info("Started on {network}, listening on {listen}", {
      network: this.#network.name,
      listen: this.#bound.map((b) => joinHostPort(b.hostname, b.port)).join(", ") || "nothing",
    });
  }

  /**
   * Stops connecting and listening, disconnects every peer and waits for them, and saves
   * the address book it owns. Idempotent.
   *
   * @returns Resolves when everything has ended.
   */
  async stop(): Promise<void> {
    if (this.#state === "stopped" || this.#state === "stopping") {
      while (this.#state !== "stopped") await Promise.all(this.#tasks);
      return;
    }
    const owned = this.#state === "running" && this.#ownsAddrManager;
    this.#state = "stopping";
    this.#abort.abort();
    this.#selfAnnounce.stop();
    this.#connManager.stop();
    for (const bound of this.#bound) bound.close();
    for (const sp of this.#all.values()) sp.peer.disconnect("Server stopping");
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
    if (owned) await this.#addrManager.stop();
    this.#state = "stopped";
    this.#log.info("Stopped");
  }

  /** Stops the server: `await using server = new Server(...)` stops it when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #track(task: Promise<unknown>): void {
    const tracked = task.catch((error) => {
      this.#log.error("Unexpected failure: {error}", { error: String(error) });
    }).finally(() => this.#tasks.delete(tracked));
    this.#tasks.add(tracked);
  }

  // ─── Connections ───────────────────────────────────────────────────────────────────────

  async #acceptLoop(listener: NetListener): Promise<void> {
    for await (const inbound of listener) {
      const { connection, remoteHost, remotePort } = inbound;
      const address = joinHostPort(remoteHost, remotePort);
      const refuse = this.#admit(remoteHost);
      const release = refuse === undefined ? this.#admission.acquire(remoteHost) : undefined;
      const why = refuse ??
        (release === undefined ? "too many unfinished handshakes from its network" : undefined);
      if (why !== undefined) {
        this.#log.info("Refused inbound {address}: {why}", { address, why });
        closeQuietly(connection);
        this.#failed({
          address,
          direction: "inbound",
          reason: { code: "local", message: `Refused: ${why}` },
        });
        continue;
      }
      this.#attach(connection, remoteHost, remotePort, undefined).releaseAdmission = release;
    }
  }

  /**
   * Bitcoin Core's `CreateNodeFromAcceptedSocket`: why a new inbound connection from `host`
   * is refused, or undefined when it may come in, after evicting another inbound connection
   * if the slots are full.
   */
  #admit(host: string): string | undefined {
    if (this.#state !== "running") return "the server is stopping";
    if (this.isBanned(host)) return "the host is banned";
    const whitelisted = this.#policy.isWhitelisted(host);
    const inbound = this.#inboundCount();
    // Core: a discouraged address only while a slot would be left for someone else.
    if (!whitelisted && this.isDiscouraged(host) && inbound + 1 >= this.#maxInbound) {
      return "the host is discouraged and the inbound slots are nearly full";
    }
    if (inbound < this.#maxInbound) return undefined;
    const victim = chooseEviction(this.#all.values(), {
      now: this.#clock.now(),
      keys: this.#groupKeys,
      policy: this.#policy,
      requiredServices: this.#requiredServices,
      accepted: (sp) => this.#ready.has(sp),
    });
    if (victim === undefined) return `${this.#maxInbound} inbound peers, none of them evictable`;
    this.#log.info("Evicting inbound {peer} to make room for {host}", {
      peer: victim.peer.address,
      host,
    });
    victim.peer.disconnect("Evicted to make room for a new inbound connection");
    return undefined;
  }

  #attachOutbound(request: ConnRequest, connection: Connection): void {
    if (this.#state !== "running") {
      closeQuietly(connection);
      return;
    }
    this.#attach(connection, request.host, request.port, request);
  }

  #attach(
    connection: Connection,
    host: string,
    port: number,
    request: ConnRequest | undefined,
  ): ServerPeer {
    const type = request === undefined
      ? "inbound"
      : request.permanent
      ? "manual"
      : "outbound-full-relay";
    const sp = new ServerPeer(host, port, request, type, this.#clock);
    const { listen: _, connect: __, addPeers: ___, ...peerConfig } = this.#options;
    sp.peer = new Peer(connection, {
      ...peerConfig,
      services: this.#services,
      transport: this.#transportFor(host, port, request),
      network: this.#network,
      inbound: request === undefined,
      address: joinHostPort(host, port),
      listeners: this.#listeners,
      onReady: () => this.#accept(sp),
      sentNonces: this.#nonces,
      clock: this.#clock,
      logCategory: [...(this.#options.logCategory ?? ["btcstream", "server"]), "peer"],
    });
    this.#all.set(sp.peer, sp);
    this.#track(this.#lifecycle(sp));
    return sp;
  }

  /**
   * Inbound connections are told apart (v2, or v1 by its first bytes), as Bitcoin Core. We
   * dial v2 to an address known to advertise NODE_P2P_V2 (from the address book, or from its
   * last `version`), v1 to the rest and to one whose v2 dial was just refused. Bitcoin Core
   * also tries v2 first with manual peers whose services it does not know; we do not, because
   * some v1 nodes (bcoin) answer the 64-byte key and the garbage after it with a v1 reject per
   * 24 bytes and a ban score per reject, and ban us before a v1 retry could reach them.
   */
  #transportFor(host: string, port: number, request: ConnRequest | undefined): "v1" | "v2" {
    if (!this.#v2) return "v1";
    if (request === undefined) return "v2";
    const key = joinHostPort(host, port);
    if (this.#downgrade.delete(key)) return "v1";
    const services = request.services ?? this.#dialedServices.get(key) ?? this.#bookServices(
      host,
      port,
    );
    return (services & ServiceFlag.P2P_V2) !== 0n ? "v2" : "v1";
  }

  /** What the address book knows of `host:port`'s services (0n when nothing). */
  #bookServices(host: string, port: number): bigint {
    const na = tryNetAddress(host, port);
    return na === undefined ? 0n : this.#addrManager.knownAddress(na)?.netAddress.services ?? 0n;
  }

  #noteServices(host: string, port: number, services: bigint): void {
    if (this.#dialedServices.size >= 1000) this.#dialedServices.clear();
    this.#dialedServices.set(joinHostPort(host, port), services);
  }

  async #lifecycle(sp: ServerPeer): Promise<void> {
    const reason = await sp.peer.closed;
    sp.close();
    this.#done(sp, reason);
  }

  /**
   * btcd's `handleAddPeerMsg`, when the handshake completes (the peer's `onReady`), so
   * that it happens before any later message of the peer is handled.
   */
  #accept(sp: ServerPeer): void {
    const peer = sp.peer;
    sp.releaseAdmission?.();
    let refuse: string | undefined;
    if (this.#state !== "running") refuse = "Server stopping";
    else if (this.isBanned(sp.host)) refuse = "Banned host";
    else if (this.#ready.size >= this.#maxPeers) refuse = `Already ${this.#maxPeers} peers`;
    else if (this.#unwantedAgent(peer.userAgent)) refuse = `Unwanted user agent ${peer.userAgent}`;
    if (refuse !== undefined) {
      peer.disconnect(refuse);
      return;
    }
    this.#ready.add(sp);
    if (!sp.inbound) {
      const na = sp.netAddress;
      if (na !== undefined) this.#addrManager.connected(na);
      if (this.#network.name !== "simnet") {
        // Core's order: `getaddr` goes before our address, so that it is the first address
        // message the remote gets from us, and its answer is the first it sends back.
        if (this.#addrManager.needMoreAddresses() && peer.protocolVersion >= 31402) {
          this.#gossip.requestAddresses(sp);
        }
        this.#selfAnnounce.announce(sp);
      }
      if (na !== undefined) this.#addrManager.good(na);
    }
    this.#log.info("New {direction} peer {peer} ({agent}, version {version})", {
      direction: sp.inbound ? "inbound" : "outbound",
      peer: peer.address,
      agent: peer.userAgent,
      version: peer.protocolVersion,
    });
    this.#options.onPeerReady?.(peer);
    for (const wake of this.#waiters.splice(0)) wake(peer);
  }

  /** btcd's `HasUndesiredUserAgent`: any blacklisted part, or no whitelisted part. */
  #unwantedAgent(agent: string): boolean {
    const { userAgentBlacklist: black = [], userAgentWhitelist: white = [] } = this.#options;
    if (black.some((part) => agent.includes(part))) return true;
    return white.length > 0 && !white.some((part) => agent.includes(part));
  }

  /** btcd's `handleDonePeerMsg`. */
  #done(sp: ServerPeer, reason: DisconnectReason): void {
    this.#all.delete(sp.peer);
    if (this.#ready.delete(sp)) {
      this.#options.onPeerClosed?.(sp.peer, reason);
    } else {
      this.#log.info(
        "{direction} connection {address} ended before it was accepted ({code}): {message}",
        {
          direction: sp.inbound ? "Inbound" : "Outbound",
          address: sp.peer.address,
          code: reason.code,
          message: reason.message,
        },
      );
      this.#failed({
        address: sp.peer.address,
        direction: sp.inbound ? "inbound" : "outbound",
        reason,
      });
    }
    if (sp.request !== undefined && this.#state === "running") {
      // The v1 redial first: its request is then kept, and the automatic slot the old one
      // frees does not pick the same address again with v2.
      if (reason.code === "v2-not-supported") this.#redialWithV1(sp.request);
      this.#connManager.disconnected(sp.request);
    }
  }

  async #seed(): Promise<void> {
    if (!this.#addrManager.needMoreAddresses() || DNS_SEEDS[this.#network.name] === undefined) {
      return;
    }
    const results = await seedFromDns(this.#network, {
      resolve: this.#options.seedResolver,
      requiredServices: this.#requiredServices,
      signal: this.#abort.signal,
      now: () => this.#clock.now(),
    });
    for (const { seed, addresses, error } of results) {
      if (error !== undefined) {
        this.#log.info("DNS seed {seed} failed: {error}", { seed, error: error.message });
      }
      if (addresses.length === 0 || this.#state !== "running") continue;
      // As btcd: the source is one of the seed's own answers, at random.
      const source = addresses[Math.floor(Math.random() * addresses.length)];
      this.#addrManager.addAddresses(addresses, source);
      this.#log.info("{count} addresses from DNS seed {seed}", { count: addresses.length, seed });
    }
  }

  /**
   * A v2 dial closed before the key exchange: perhaps a v1-only node. Dial it once more, now,
   * with v1 (Bitcoin Core's `ShouldReconnectV1`; btcd's downgrader). A permanent peer is
   * retried by its request; an automatic one gets a one-try request of its own.
   */
  #redialWithV1(request: ConnRequest): void {
    const key = joinHostPort(request.host, request.port);
    if (this.#downgrade.size >= 1000) this.#downgrade.clear();
    this.#downgrade.add(key);
    this.#log.info("v2 refused by {address}; dialing it again with v1", { address: key });
    if (!request.permanent) {
      this.#connManager.connect({ host: request.host, port: request.port }, { permanent: false });
    }
  }

  /** Reports a connection that never became an accepted peer; a throwing callback is logged. */
  #failed(failure: FailedConnection): void {
    try {
      this.#options.onConnectionFailed?.(failure);
    } catch (error) {
      this.#log.error("onConnectionFailed threw: {error}", { error: String(error) });
    }
  }

  /** Inbound connections holding a slot: accepted or in their handshake, not ending. */
  #inboundCount(): number {
    let n = 0;
    for (const sp of this.#all.values()) if (sp.inbound && !sp.peer.ended) n++;
    return n;
  }

  // ─── Misbehaviour ──────────────────────────────────────────────────────────────────────

  #misbehaving(sp: ServerPeer, score: MisbehavingScore): boolean {
    const { persistent = 0, transient = 0, reason } = score;
    if (this.#policy.isWhitelisted(sp.host)) return false;
    const threshold = this.#options.banThreshold ?? BAN_THRESHOLD;
    const total = sp.banScore.increase(persistent, transient);
    if (total <= threshold / 2) return false;
    this.#log.warn("Misbehaving peer {peer}: {reason} -- ban score increased to {score}", {
      peer: sp.peer.address,
      reason,
      score: total,
    });
    if (total < threshold) return false;
    // As Bitcoin Core: a connection the user asked for is kept.
    if (sp.type === "manual") return false;
    const loopback = sp.netAddress !== undefined && isLocal(sp.netAddress);
    const action = this.#policy.punish(sp.host, loopback);
    if (action === "ban") {
      this.#log.warn("Banned {host} for misbehaving", { host: sp.host });
      for (const other of this.#all.values()) {
        if (other !== sp && this.isBanned(other.host)) other.peer.disconnect("Banned host");
      }
    } else if (action === "discourage") {
      this.#log.warn("Discouraged {host} for misbehaving", { host: sp.host });
    }
    sp.peer.disconnect(`Misbehaving: ban score ${total} reached ${threshold} (${action})`);
    return true;
  }

  /**
   * Adds to a peer's misbehaviour score (btcd's `addBanScore`): a warning past half the
   * threshold; at it, the peer is disconnected and its address discouraged (Bitcoin Core's
   * default) or banned (`misbehavingAction: "ban"`, btcd's). Whitelisted hosts are exempt;
   * loopback peers are disconnected only; a manual peer is kept.
   *
   * @param peer One of this server's peers.
   * @param score The points (persistent ones stay, transient ones decay with a half-life of
   * 60 s) and what it did, for the log.
   * @returns Whether the peer was disconnected for it.
   *
   * @example
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { MemoryNetwork, Server } from "@btcstream/p2p/server";
   * const net = new MemoryNetwork();
   * await using a = new Server({
   *   network: "regtest", net: net.host("10.0.0.1"), listen: { hostname: "10.0.0.1" },
   * });
   * await using b = new Server({ network: "regtest", net: net.host("10.0.0.2"), connect: ["10.0.0.1"] });
   * await a.start();
   * await b.start();
   * const [peer] = await Promise.all([a.nextPeer(), b.nextPeer()]);
   * assertEquals(a.misbehaving(peer, { transient: 40, reason: "spam" }), false);
   * assertEquals(a.misbehaving(peer, { persistent: 60, reason: "bad block" }), true);
   * assertEquals(a.isDiscouraged("10.0.0.2"), true);
   * assertEquals(a.isBanned("10.0.0.2"), false);
   * ```
   */
  misbehaving(peer: Peer, score: MisbehavingScore): boolean {
    const sp = this.#all.get(peer);
    return sp === undefined ? false : this.#misbehaving(sp, score);
  }

  /**
   * Bans an address, a CIDR range (`10.0.0.0/8`, `2001:db8::/32`) or a host name: its
   * connections are refused and it is not dialed until the ban ends; its current peers are
   * disconnected (as Bitcoin Core's `setban`).
   *
   * @param target The address, range or name.
   * @param durationMs How long (default `banDurationMs`, 24 h).
   * @returns The ban, its range normalised (`10.1.2.3/8` is `10.0.0.0/8`).
   * @throws {RangeError} For a prefix longer than the address.
   */
  ban(target: string, durationMs?: number): Ban {
    const ban = this.#policy.ban(target, durationMs);
    this.#log.warn("Banned {target} until {until}", {
      target: ban.target,
      until: new Date(ban.until).toISOString(),
    });
    for (const sp of this.#all.values()) {
      if (this.isBanned(sp.host)) sp.peer.disconnect("Banned host");
    }
    return ban;
  }

  /**
   * Lifts a ban.
   *
   * @param target The address, range or name, as banned (a range in any spelling).
   * @returns Whether it was banned.
   */
  unban(target: string): boolean {
    return this.#policy.unban(target);
  }

  /**
   * Whether a host is covered by a ban now.
   *
   * @param host An IP literal or host name.
   * @returns True while a ban lasts.
   */
  isBanned(host: string): boolean {
    return this.#policy.isBanned(host);
  }

  /** The bans in force (Core's `listbanned`). */
  get bans(): Ban[] {
    return this.#policy.bans;
  }

  /**
   * Discourages an address (Bitcoin Core's answer to misbehaviour): it is not dialed, it is
   * let in only while inbound slots are free, and it is evicted first. Remembered in a
   * rolling filter of the latest 50,000 addresses.
   *
   * @param host An IP literal or host name.
   */
  discourage(host: string): void {
    this.#policy.discourage(host);
  }

  /**
   * Whether an address is discouraged (with a one-in-a-million chance of a false yes).
   *
   * @param host An IP literal or host name.
   * @returns True when discouraged.
   */
  isDiscouraged(host: string): boolean {
    return this.#policy.isDiscouraged(host);
  }

  /** Forgets every discouraged address (Core's `clearbanned` does the same). */
  clearDiscouraged(): void {
    this.#policy.clearDiscouraged();
  }

  /**
   * Credits a peer with a block that was new to the application and valid: the four peers
   * that did so most recently are protected from inbound eviction (Bitcoin Core's rule).
   *
   * @param peer One of this server's peers.
   */
  noteNovelBlock(peer: Peer): void {
    const sp = this.#all.get(peer);
    if (sp !== undefined) sp.lastBlockAt = this.#clock.now();
  }

  /**
   * Credits a peer with a transaction that was new to the application and accepted by it: the
   * four peers that did so most recently are protected from inbound eviction (Bitcoin Core's
   * rule).
   *
   * @param peer One of this server's peers.
   */
  noteNovelTransaction(peer: Peer): void {
    const sp = this.#all.get(peer);
    if (sp !== undefined) sp.lastTxAt = this.#clock.now();
  }

  // ─── Peers ─────────────────────────────────────────────────────────────────────────────

  /**
   * Adds a peer to connect to (btcd's `addnode`): kept for good, or tried once.
   *
   * @param address `host[:port]`.
   * @param options `permanent` (default true).
   * @throws {TypeError} For an invalid address.
   */
  connect(address: string, options: { permanent?: boolean } = {}): void {
    this.#connManager.connect(parseHostPort(address, this.#network.defaultPort), options);
  }

  /**
   * Sends a message to every accepted peer (but `except`).
   *
   * @param message The message.
   * @param except A peer to skip, such as the one it came from.
   * @returns How many peers it was queued for.
   */
  broadcast(message: Message, except?: Peer): number {
    let n = 0;
    for (const sp of this.#ready) {
      if (sp.peer === except) continue;
      void sp.peer.queueMessage(message);
      n++;
    }
    return n;
  }

  /**
   * Resolves with the next peer to complete its handshake and be accepted.
   *
   * @returns The peer.
   */
  nextPeer(): Promise<Peer> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The accepted peers (those past the handshake). */
  get peers(): Peer[] {
    return [...this.#ready].map((sp) => sp.peer);
  }

  /** Connections still in their handshake (not yet accepted peers). */
  get pendingPeers(): number {
    return this.#all.size - this.#ready.size;
  }

  /** How many accepted peers dialed us, and how many we dialed. */
  get peerCounts(): { inbound: number; outbound: number } {
    let inbound = 0;
    for (const sp of this.#ready) if (sp.inbound) inbound++;
    return { inbound, outbound: this.#ready.size - inbound };
  }

  /**
   * A JSON-serialisable snapshot of every accepted peer, like Bitcoin Core's `getpeerinfo`.
   *
   * @returns One entry per peer, oldest first.
   */
  peerInfo(): PeerInfo[] {
    return [...this.#ready].map(peerInfoOf);
  }

  /** Where the server listens (with the ports the OS chose). */
  get listenAddresses(): { hostname: string; port: number }[] {
    return this.#bound.map((b) => ({ hostname: b.hostname, port: b.port }));
  }

  /** The address book. */
  get addrManager(): AddrManager {
    return this.#addrManager;
  }

  /** The median time source fed by peers' `version` timestamps. */
  get timeSource(): MedianTimeSource {
    return this.#timeSource;
  }

  /** The network. */
  get network(): Network {
    return this.#network;
  }
}

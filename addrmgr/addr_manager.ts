// The address manager: btcd's `AddrManager` on the tables of `_tables.ts`, with an injectable
// clock, randomness and storage, and a periodic save.
import { getLogger } from "@logtape/logtape";
import type { Clock, Timer } from "../peer/clock.ts";
import { SYSTEM_CLOCK } from "../peer/clock.ts";
import type { NetAddressV2 } from "../wire/net_address_v2.ts";
import { decodeBook, encodeBook } from "./_serialize.ts";
import { AddressTables } from "./_tables.ts";
import { GET_ADDR_PERCENT, NEED_ADDRESS_THRESHOLD, SAVE_INTERVAL_MS } from "./constants.ts";
import { netAddressKey } from "./group_key.ts";
import { hostToNetAddress, type Resolver } from "./host.ts";
import type { KnownAddress } from "./known_address.ts";
import { isRoutable, isValid } from "./network.ts";
import { bestLocalAddress, type LocalAddress } from "./reachability.ts";
import { type AddrStorage, FileStorage } from "./storage.ts";

/** Options for {@linkcode AddrManager}. */
export interface AddrManagerOptions {
  /** Where the book is kept; defaults to a {@linkcode FileStorage} of `<dataDir>/peers.json`. */
  readonly storage?: AddrStorage;
  /** The folder of the default storage; defaults to the working directory. */
  readonly dataDir?: string;
  /** Time and timers; defaults to the system clock. */
  readonly clock?: Clock;
  /** Uniform randomness in [0, 1); defaults to `crypto.getRandomValues`. Seed it in tests. */
  readonly random?: () => number;
  /** The secret 32-byte bucket key of a new book; defaults to 32 random bytes. */
  readonly key?: Uint8Array;
  /** Resolves host names for {@linkcode AddrManager.hostToNetAddress}. */
  readonly resolve?: Resolver;
  /** How often a started manager saves; defaults to {@linkcode SAVE_INTERVAL_MS}. */
  readonly saveIntervalMs?: number;
  /** LogTape category; defaults to `["btcstream", "addrmgr"]`. */
  readonly logCategory?: readonly string[];
  /**
   * Keep valid but unroutable addresses (loopback, private ranges) and accept them as local
   * addresses, so that nodes on one machine or LAN can find each other (default false: a
   * public node must never gossip them).
   */
  readonly keepLocalAddresses?: boolean;
}

/** Options for {@linkcode AddrManager.addressCache}. */
export interface AddressCacheOptions {
  /** Share of the book to give, 0 to 100 (default {@linkcode GET_ADDR_PERCENT}, 23). */
  readonly percent?: number;
}

/** Randomness from `crypto.getRandomValues`, drawn 1024 words at a time. */
function cryptoRandom(): () => number {
  const words = new Uint32Array(1024);
  let i = words.length;
  return () => {
    if (i === words.length) {
      crypto.getRandomValues(words);
      i = 0;
    }
    return words[i++] / 4294967296;
  };
}

/**
 * The address book a node finds peers in (btcd's `addrmgr`, REFERENCE 3): addresses heard of
 * go to 1024 "new" buckets, addresses connected to move to 256 "tried" buckets, and a secret
 * key decides the buckets so that no one peer or network group can fill the book.
 *
 * @example
 * ```ts
 * import { AddrManager, MemoryStorage } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assertEquals, assertExists } from "@std/assert";
 *
 * const manager = new AddrManager({ storage: new MemoryStorage() });
 * await manager.start();
 * const now = Math.floor(Date.now() / 1000);
 * const source = netAddressV2FromString("203.0.113.1", 8333);
 * manager.addAddresses([
 *   netAddressV2FromString("8.8.8.8", 8333, { timestamp: now }),
 *   netAddressV2FromString("2a01:4f8::1", 8333, { timestamp: now }),
 * ], source);
 * const pick = manager.getAddress();
 * assertExists(pick);
 * manager.attempt(pick.netAddress);
 * manager.good(pick.netAddress); // after a completed handshake: moved to a tried bucket
 * assertEquals(manager.numAddresses(), 2);
 * await manager.stop(); // saves
 * ```
 */
export class AddrManager {
  #tables: AddressTables;
  #storage: AddrStorage;
  #clock: Clock;
  #random: () => number;
  #resolve: Resolver | undefined;
  #saveIntervalMs: number;
  #log: ReturnType<typeof getLogger>;
  #locals = new Map<string, { netAddress: NetAddressV2; score: number }>();
  #timer: Timer | undefined;
  #saving: Promise<void> = Promise.resolve();
  #started = false;
  readonly #keepLocal: boolean;

  /**
   * Creates an empty manager; {@linkcode AddrManager.start} loads the stored book.
   *
   * @param options Storage, clock, randomness, key, resolver, save interval, log category.
   */
  constructor(options: AddrManagerOptions = {}) {
    this.#storage = options.storage ??
      new FileStorage(`${options.dataDir ?? "."}/peers.json`);
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#random = options.random ?? cryptoRandom();
    this.#resolve = options.resolve;
    this.#saveIntervalMs = options.saveIntervalMs ?? SAVE_INTERVAL_MS;
    this.#log = getLogger([...(options.logCategory ?? ["btcstream", "addrmgr"])]);
    const key = options.key ?? crypto.getRandomValues(new Uint8Array(32));
    this.#keepLocal = options.keepLocalAddresses ?? false;
    this.#tables = new AddressTables(key, this.#random, this.#keepLocal);
  }

  /**
   * Loads the stored book (replacing what is in memory) and starts saving it every
   * `saveIntervalMs`. A corrupt, truncated or unknown-version book is set aside under a new
   * name, a warning is logged, and the manager starts empty. Calling it again does nothing.
   *
   * @returns A promise that resolves once loaded.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const text = await this.#storage.load();
    if (text !== undefined) {
      try {
        const [tables, report] = decodeBook(text, this.#random, this.#keepLocal);
        this.#tables = tables;
        this.#log.info("Loaded {count} addresses from version {version} book", {
          count: tables.size,
          version: report.version,
        });
        if (report.dropped > 0) {
          this.#log.warn("Dropped {dropped} entries that did not fit after re-bucketing", {
            dropped: report.dropped,
          });
        }
      } catch (e) {
        const kept = await this.#storage.setAside().catch(() => undefined);
        this.#log.warn("Starting with an empty address book: {error}; old book kept as {kept}", {
          error: (e as Error).message,
          kept: kept ?? "nothing",
        });
      }
    }
    this.#timer = this.#clock.setInterval(() => {
      this.save().catch((e) => this.#log.error("Cannot save addresses: {error}", { error: e }));
    }, this.#saveIntervalMs);
  }

  /**
   * Stops the periodic save and saves one last time. Calling it again does nothing.
   *
   * @returns A promise that resolves once saved.
   */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.save();
  }

  /**
   * Saves the book now (saves never overlap).
   *
   * @returns A promise that resolves once stored.
   */
  save(): Promise<void> {
    const run = this.#saving.catch(() => {}).then(() =>
      this.#storage.save(encodeBook(this.#tables))
    );
    this.#saving = run;
    return run;
  }

  /**
   * Adds addresses announced by `source` (an `addr`/`addrv2` message). Unroutable ones are
   * ignored; known ones get the newer timestamp and more services, and sometimes one more
   * new bucket.
   *
   * @param addresses The addresses.
   * @param source The peer that sent them.
   */
  addAddresses(addresses: Iterable<NetAddressV2>, source: NetAddressV2): void {
    for (const na of addresses) this.#tables.add(na, source, this.#clock);
  }

  /**
   * Adds one address announced by `source`.
   *
   * @param address The address.
   * @param source The peer that sent it.
   */
  addAddress(address: NetAddressV2, source: NetAddressV2): void {
    this.#tables.add(address, source, this.#clock);
  }

  /**
   * Records a completed handshake: resets the attempts and moves the address to the tried
   * table, evicting the oldest of a full tried bucket back to the new table.
   *
   * @param address The address.
   */
  good(address: NetAddressV2): void {
    this.#tables.good(address, this.#clock.now());
  }

  /**
   * Records a connection attempt.
   *
   * @param address The address.
   */
  attempt(address: NetAddressV2): void {
    this.#tables.attempt(address, this.#clock.now());
  }

  /**
   * Records that we are connected: refreshes the timestamp when older than 20 minutes.
   *
   * @param address The address.
   */
  connected(address: NetAddressV2): void {
    this.#tables.connected(address, this.#clock.now());
  }

  /**
   * Replaces the services of a known address (what its `version` said).
   *
   * @param address The address.
   * @param services The services.
   */
  setServices(address: NetAddressV2, services: bigint): void {
    this.#tables.setServices(address, services);
  }

  /**
   * Picks an address to connect to: tried or new with even odds, then a random entry,
   * accepted with its {@linkcode chance} (the bar lowering by 1.2x at each refusal).
   *
   * @returns The address, or `undefined` when the book is empty.
   */
  getAddress(): KnownAddress | undefined {
    return this.#tables.select(this.#clock.now());
  }

  /**
   * What we know about `address`.
   *
   * @param address The address.
   * @returns Its entry, or `undefined` when unknown.
   */
  knownAddress(address: NetAddressV2): KnownAddress | undefined {
    return this.#tables.find(address);
  }

  /**
   * Addresses to answer a `getaddr` with: a random 23% of the book, at most 1000 (Bitcoin
   * Core's limit; btcd's is 2500), bad ones left out (as Core).
   *
   * @param options `percent` of the book to give instead of 23 (a small test network may
   *   give all of it).
   * @returns The addresses.
   */
  addressCache(options: AddressCacheOptions = {}): NetAddressV2[] {
    const percent = options.percent ?? GET_ADDR_PERCENT;
    if (!(percent >= 0 && percent <= 100)) {
      throw new RangeError(`Address cache percent must be 0 to 100, got ${percent}`);
    }
    return this.#tables.sample(this.#clock.now(), percent);
  }

  /**
   * Whether to ask peers for more addresses (fewer than 1000 known).
   *
   * @returns True when more are wanted.
   */
  needMoreAddresses(): boolean {
    return this.#tables.size < NEED_ADDRESS_THRESHOLD;
  }

  /**
   * How many addresses the book holds (new and tried).
   *
   * @returns The count.
   */
  numAddresses(): number {
    return this.#tables.size;
  }

  /**
   * Adds one of our own addresses, to advertise. Re-adding it with a higher priority raises
   * its score to that priority plus one (as btcd).
   *
   * @param address The address.
   * @param priority An {@linkcode AddressPriority}.
   * @throws {TypeError} When the address is not routable.
   */
  addLocalAddress(address: NetAddressV2, priority: number): void {
    const key = netAddressKey(address);
    if (this.#keepLocal ? !isValid(address) : !isRoutable(address)) {
      throw new TypeError(`Cannot add local address ${key}: it is not routable`);
    }
    const known = this.#locals.get(key);
    if (known === undefined) this.#locals.set(key, { netAddress: address, score: priority });
    else if (known.score < priority) known.score = priority + 1;
  }

  /**
   * Our local addresses and their scores.
   *
   * @returns A snapshot.
   */
  localAddresses(): LocalAddress[] {
    return [...this.#locals.values()].map((l) => ({ ...l }));
  }

  /**
   * The local address to advertise to `remote`: the one it reaches best, ties broken by
   * score; an unroutable placeholder when none is reachable.
   *
   * @param remote The peer's address.
   * @returns The address.
   */
  getBestLocalAddress(remote: NetAddressV2): NetAddressV2 {
    return bestLocalAddress(this.#locals.values(), remote, this.#clock.now());
  }

  /**
   * Turns a host into an address, with this manager's resolver and clock.
   *
   * @param host An IP literal, `.onion`, `.b32.i2p` or DNS name.
   * @param port The port.
   * @param services The services to record.
   * @returns The address.
   */
  hostToNetAddress(host: string, port: number, services: bigint = 0n): Promise<NetAddressV2> {
    return hostToNetAddress(host, port, {
      services,
      timestamp: Math.floor(this.#clock.now() / 1000),
      resolve: this.#resolve,
    });
  }
}

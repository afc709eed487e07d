// DNS seeding, as btcd's connmgr/seed.go: ask every seed of the network for A and AAAA
// records at once, and turn the answers into addresses on the network's default port with a
// last-seen time 3 to 7 days ago (so they rank below addresses learned from peers).
import {
  BIP155Network,
  type NetAddressV2,
  netAddressV2FromString,
  type Network,
  type NetworkName,
  NETWORKS,
  ServiceFlag,
} from "../wire/mod.ts";

/**
 * A DNS seed: a name server that answers with addresses of reachable nodes.
 *
 * @example
 * ```ts
 * import { type DnsSeed, DNS_SEEDS } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * const seed: DnsSeed = DNS_SEEDS.mainnet[0];
 * assertEquals(seed, { host: "seed.bitcoin.sipa.be", hasFiltering: true }); // asked as x9.<host>
 * ```
 */
export interface DnsSeed {
  /** The seed's host name. */
  readonly host: string;
  /** Whether it answers `x<hex services>.<host>` with nodes offering those services. */
  readonly hasFiltering: boolean;
}

/**
 * Bitcoin Core's DNS seeds (`vSeeds` in `kernel/chainparams.cpp`, v30), keyed by network.
 *
 * `hasFiltering` is btcd's flag where btcd lists the seed. For seeds btcd does not list it is
 * `true` where Core's comments name the prefixes the seed supports, or Core lists it among
 * the seeds "with support for servicebits filtering" (testnet), or the operator runs sipa's
 * bitcoin-seeder (which filters); Core itself queries every seed with the `x` prefix and falls
 * back to the plain name through a peer.
 *
 * @example
 * ```ts
 * import { DNS_SEEDS } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * assertEquals(DNS_SEEDS.mainnet[0].host, "seed.bitcoin.sipa.be");
 * assertEquals(DNS_SEEDS.regtest.length, 0);
 * ```
 */
export const DNS_SEEDS: Readonly<Record<string, readonly DnsSeed[]>> = {
  mainnet: [
    { host: "seed.bitcoin.sipa.be", hasFiltering: true }, // btcd; Core: x1, x5, x9, xd
    { host: "dnsseed.bluematt.me", hasFiltering: true }, // btcd; Core: x9 only
    { host: "seed.bitcoin.jonasschnelli.ch", hasFiltering: true }, // btcd; Core: x1, x5, x9, xd
    // Not in btcd; Core: x1, x5, x9, xd (btcd lists its old .org name as filtering).
    { host: "seed.btc.petertodd.net", hasFiltering: true },
    { host: "seed.bitcoin.sprovoost.nl", hasFiltering: true }, // not in btcd; bitcoin-seeder
    { host: "dnsseed.emzy.de", hasFiltering: true }, // not in btcd; bitcoin-seeder
    { host: "seed.bitcoin.wiz.biz", hasFiltering: true }, // not in btcd; bitcoin-seeder
    // Not in btcd; Core: x1, x5, x9, x49, x809, x849, xd, x400, x404, x408, x448, xc08, ...
    { host: "seed.mainnet.achownodes.xyz", hasFiltering: true },
  ],
  testnet3: [
    { host: "testnet-seed.bitcoin.jonasschnelli.ch", hasFiltering: true }, // btcd
    { host: "seed.tbtc.petertodd.net", hasFiltering: true }, // btcd (as .org)
    { host: "seed.testnet.bitcoin.sprovoost.nl", hasFiltering: true }, // not in btcd; Core
    { host: "testnet-seed.bluematt.me", hasFiltering: false }, // btcd; Core: a static list
    { host: "seed.testnet.achownodes.xyz", hasFiltering: true }, // not in btcd; Core
  ],
  testnet4: [
    // btcd has no testnet4 seeds; Core lists both among those that filter.
    { host: "seed.testnet4.bitcoin.sprovoost.nl", hasFiltering: true },
    { host: "seed.testnet4.wiz.biz", hasFiltering: true },
  ],
  signet: [
    // Core's seeds (btcd lists fixed nodes instead, which are not DNS seeds).
    { host: "seed.signet.bitcoin.sprovoost.nl", hasFiltering: true },
    { host: "seed.signet.achownodes.xyz", hasFiltering: true }, // Core: x1, x5, x9, x49, ...
  ],
  regtest: [],
  simnet: [],
};

/**
 * Looks up the A or AAAA records of a host name: IP literals as text.
 *
 * @example
 * ```ts
 * import { type SeedResolver, seedFromDns } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * const resolve: SeedResolver = (_hostname, type) =>
 *   Promise.resolve(type === "A" ? ["203.0.113.1"] : []);
 * assertEquals(await resolve("seed.example", "A"), ["203.0.113.1"]);
 * const [result] = await seedFromDns("mainnet", {
 *   resolve,
 *   seeds: [{ host: "seed.example", hasFiltering: false }],
 * });
 * assertEquals(result.addresses.length, 1);
 * ```
 */
export type SeedResolver = (hostname: string, recordType: "A" | "AAAA") => Promise<string[]>;

/** Options for {@linkcode seedFromDns}. */
export interface SeedFromDnsOptions {
  /** Looks names up; defaults to `Deno.resolveDns`. Tests pass a fake. */
  readonly resolve?: SeedResolver;
  /**
   * Services the addresses must offer, and the services they are given (default
   * `NODE_NETWORK`). Anything else is asked of seeds that filter as `x<hex>.<seed>`.
   */
  readonly requiredServices?: bigint;
  /** The seeds to ask; defaults to {@linkcode DNS_SEEDS} of the network. */
  readonly seeds?: readonly DnsSeed[];
  /** Uniform randomness in [0, 1) for the timestamps; defaults to `Math.random`. */
  readonly random?: () => number;
  /** The current time in milliseconds since the epoch; defaults to `Date.now`. */
  readonly now?: () => number;
  /** Abandons all lookups; the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** How long one lookup may take (default 10 s); a seed that takes longer yields `error`. */
  readonly timeoutMs?: number;
}

/**
 * What one seed answered.
 *
 * @example
 * ```ts
 * import { type SeedResult, seedFromDns } from "@btcstream/p2p/server";
 * import { assertEquals, assertInstanceOf } from "@std/assert";
 * const results: SeedResult[] = await seedFromDns("testnet4", {
 *   resolve: () => Promise.reject(new Error("SERVFAIL")),
 * });
 * assertEquals(results.map((r) => r.addresses.length), [0, 0]);
 * assertInstanceOf(results[0].error, AggregateError); // both lookups (A and AAAA) failed
 * ```
 */
export interface SeedResult {
  /** The seed's host name (without the `x<services>.` prefix). */
  readonly seed: string;
  /** The addresses it gave, A then AAAA answers; answers that are not IP literals skipped. */
  readonly addresses: NetAddressV2[];
  /** Why it gave none: both lookups failed (an `AggregateError` of the two). */
  readonly error?: Error;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const SECONDS_IN_3_DAYS = 3 * 24 * 60 * 60;
const SECONDS_IN_4_DAYS = 4 * 24 * 60 * 60;

/**
 * Asks the network's DNS seeds for node addresses, all seeds at once, A and AAAA records
 * both. A seed that fails yields its `error` and does not affect the others.
 *
 * Each address gets the network's default port, `requiredServices` as its services, and a
 * last-seen time picked uniformly between 3 and 7 days ago (as btcd and Bitcoin Core).
 *
 * @param network The network, or its name; regtest and simnet have no seeds.
 * @param options Resolver, required services, seeds, randomness, clock, cancellation, timeout.
 * @returns One result per seed, in the order of the seed list.
 * @throws When `signal` aborts: its reason.
 *
 * @example
 * ```ts
 * import { seedFromDns } from "@btcstream/p2p/server";
 * import { assert, assertEquals } from "@std/assert";
 * const asked: string[] = [];
 * const results = await seedFromDns("testnet4", {
 *   // A fake resolver: no DNS traffic.
 *   resolve: (host, type) => {
 *     asked.push(`${type} ${host}`);
 *     return Promise.resolve(type === "A" ? ["203.0.113.7"] : []);
 *   },
 *   requiredServices: 9n, // NODE_NETWORK | NODE_WITNESS: asks x9.<seed>
 * });
 * assertEquals(results.map((r) => r.seed), [
 *   "seed.testnet4.bitcoin.sprovoost.nl",
 *   "seed.testnet4.wiz.biz",
 * ]);
 * assertEquals(results.map((r) => r.addresses[0].port), [48333, 48333]);
 * assertEquals(results[0].addresses[0].services, 9n);
 * assert(asked.includes("A x9.seed.testnet4.wiz.biz"));
 * ```
 */
export async function seedFromDns(
  network: Network | NetworkName,
  options: SeedFromDnsOptions = {},
): Promise<SeedResult[]> {
  if (typeof network === "string" && !Object.hasOwn(NETWORKS, network)) {
    throw new TypeError(`Cannot seed: unknown network "${network}"`);
  }
  const params = typeof network === "string" ? NETWORKS[network] : network;
  const seeds = options.seeds ??
    (Object.hasOwn(DNS_SEEDS, params.name) ? DNS_SEEDS[params.name] : []);
  const services = options.requiredServices ?? ServiceFlag.NETWORK;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new RangeError(`Cannot seed: timeoutMs ${timeoutMs} is not a non-negative number`);
  }
  const { signal } = options;
  signal?.throwIfAborted();

  // Abandoning: the caller's abort ends every lookup now, whatever the resolver does.
  const stop = new AbortController();
  const aborted = new Promise<never>((_, reject) => {
    stop.signal.addEventListener("abort", () => reject(stop.signal.reason), { once: true });
  });
  aborted.catch(() => {});
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });

  const lookup = (hostname: string, type: "A" | "AAAA"): Promise<string[]> =>
    withTimeout(hostname, type, options.resolve, timeoutMs, stop.signal);

  const querySeed = async (seed: DnsSeed): Promise<SeedResult> => {
    // As btcd: filtering only when it narrows anything (NODE_NETWORK is what every seed
    // returns anyway).
    const hostname = seed.hasFiltering && services !== ServiceFlag.NETWORK
      ? `x${BigInt.asUintN(64, services).toString(16)}.${seed.host}`
      : seed.host;
    const [v4, v6] = await Promise.allSettled([lookup(hostname, "A"), lookup(hostname, "AAAA")]);
    if (v4.status === "rejected" && v6.status === "rejected") {
      return {
        seed: seed.host,
        addresses: [],
        error: new AggregateError(
          [v4.reason, v6.reason],
          `Cannot resolve DNS seed ${hostname}: ${errorText(v4.reason)}`,
        ),
      };
    }
    const nowSeconds = Math.floor(now() / 1000);
    const addresses: NetAddressV2[] = [];
    for (const answers of [v4, v6]) {
      if (answers.status === "rejected" || !Array.isArray(answers.value)) continue;
      for (const ip of answers.value) {
        const timestamp = nowSeconds - SECONDS_IN_3_DAYS -
          Math.floor(random() * SECONDS_IN_4_DAYS);
        try {
          const address = netAddressV2FromString(ip, params.defaultPort, { services, timestamp });
          // A seed answers with IP addresses; anything else in its answer is noise.
          if (
            address.networkId === BIP155Network.IPV4 || address.networkId === BIP155Network.IPV6
          ) addresses.push(address);
        } catch {
          // Not an IP literal: skipped.
        }
      }
    }
    return { seed: seed.host, addresses };
  };

  try {
    return await Promise.race([Promise.all(seeds.map(querySeed)), aborted]);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // Ends the timers of lookups still running (none unless aborted).
    stop.abort(new Error("Seeding finished"));
  }
}

/** One lookup, failing after `timeoutMs` or when `stop` aborts. */
function withTimeout(
  hostname: string,
  type: "A" | "AAAA",
  resolve: SeedResolver | undefined,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<string[]> {
  const controller = new AbortController();
  return new Promise<string[]>((done, fail) => {
    const finish = () => {
      clearTimeout(timer);
      stop.removeEventListener("abort", onStop);
    };
    const onStop = () => {
      finish();
      controller.abort(stop.reason);
      fail(stop.reason);
    };
    const timer = setTimeout(() => {
      finish();
      const error = new Error(`DNS lookup of ${type} ${hostname} timed out after ${timeoutMs} ms`);
      controller.abort(error);
      fail(error);
    }, Math.min(timeoutMs, 0x7fffffff));
    stop.addEventListener("abort", onStop, { once: true });
    let pending: Promise<string[]>;
    try {
      pending = resolve === undefined
        ? Deno.resolveDns(hostname, type, { signal: controller.signal })
        : resolve(hostname, type);
    } catch (error) {
      pending = Promise.reject(error);
    }
    Promise.resolve(pending).then(
      (answers) => {
        finish();
        done(answers);
      },
      (error) => {
        finish();
        fail(error);
      },
    );
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// The verified header chain: every header checked as Bitcoin Core checks it
// (`CheckBlockHeader`, `ContextualCheckBlockHeader`), the most-work tip kept, reorganizations
// to heavier branches, and each change reported. The best chain lives in flat buffers
// (`_store.ts`); side branches are few small objects (`_side.ts`); the file is in
// `_persist.ts`.
import { getLogger } from "@logtape/logtape";
import {
  BLOCK_HEADER_SIZE,
  blockHash,
  type BlockHeader,
  bytesToHex,
  decodeBlockHeader,
  doubleSha256,
  encodeBlockHeader,
  hashToHex,
  MAX_BLOCK_HEADERS_PER_MSG,
  type NetworkName,
} from "../wire/mod.ts";
import { decodeBlockHeaderAt } from "../wire/block_header.ts";
import { EventHub } from "./_event_hub.ts";
import { branchOf, BranchView, pruneSide, type SideEntry } from "./_side.ts";
import { hashEquals, HeaderStore, setU32le, u32le } from "./_store.ts";
import { TargetCache } from "./_target.ts";
import { HeaderError, type HeaderErrorCode } from "./errors.ts";
import type { ChainEntry, ChainEvent, ChainEventsOptions } from "./events.ts";
import { type ChainParams, chainParams } from "./params.ts";
import { checkHeaderContext, medianTimePast, type MinDifficultyWalkCache } from "./rules.ts";
import { type ChainFile, openChainFile } from "./_persist.ts";
import type { HeaderStorage } from "./storage.ts";

/** Default of {@linkcode HeaderChainOptions.maxSideHeaders}. */
export const DEFAULT_MAX_SIDE_HEADERS = 10_000;

/**
 * Blocks' worth of work below the tip within which a branch may be stored without reaching
 * the minimum chain work (Core's `GetAntiDoSWorkThreshold`: 144 blocks, a day).
 */
const ANTI_DOS_BLOCKS = 144n;

/** Heights between cumulative-work marks of the best chain. */
const MARK_INTERVAL = 1024;

/**
 * Options for {@linkcode HeaderChain}.
 *
 * @example
 * ```ts
 * import { HeaderChain, type HeaderChainOptions } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const options: HeaderChainOptions = { network: "signet", adjustedTime: () => Date.now() };
 * assertEquals(new HeaderChain(options).params.name, "signet");
 * ```
 */
export interface HeaderChainOptions {
  /** The network, by name or as parameters (default `"mainnet"`). */
  readonly network?: NetworkName | ChainParams;
  /**
   * The network-adjusted time in milliseconds since the epoch, or a function returning it
   * (default `Date.now`): headers more than two hours after it are refused as
   * `time-too-new`. A server passes its `MedianTimeSource`'s `adjustedTime`.
   */
  readonly adjustedTime?: number | (() => number);
  /**
   * Headers kept off the best chain (default 10,000): past it, the branches with the least
   * work are dropped (they were stored, so they can be fetched again).
   */
  readonly maxSideHeaders?: number;
  /** LogTape category (default `["btcstream", "headers"]`). */
  readonly logCategory?: readonly string[];
}

/**
 * What {@linkcode HeaderChain.connect} did with a batch.
 *
 * @example
 * ```ts
 * import { type ConnectResult, HeaderChain } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const result: ConnectResult = new HeaderChain({ network: "regtest" }).connect([]);
 * assertEquals(result.accepted, 0);
 * ```
 */
export interface ConnectResult {
  /** Headers stored now (on the best chain or a side branch). */
  readonly accepted: number;
  /** Headers the chain already had (a prefix of the batch). */
  readonly known: number;
  /** Why the batch, or the header at `error.index`, was refused; headers before it stay. */
  readonly error: HeaderError | undefined;
  /** Whether the best chain changed. */
  readonly tipChanged: boolean;
  /**
   * The last header of the batch the chain holds (known or stored): where a `getheaders`
   * continues from.
   */
  readonly last: { readonly height: number; readonly hash: Uint8Array } | undefined;
}

/**
 * A header the chain holds, with what a sync needs to know about it.
 *
 * @example
 * ```ts
 * import { HeaderChain, type HeaderInfo } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const chain = new HeaderChain({ network: "regtest" });
 * const info: HeaderInfo = chain.lookup(chain.tip.hash)!;
 * assertEquals([info.height, info.best, info.work], [0, true, 2n]);
 * ```
 */
export interface HeaderInfo extends ChainEntry {
  /** Cumulative work up to and including it. */
  readonly work: bigint;
  /** Median of its timestamp and its 10 predecessors' (seconds). */
  readonly medianTimePast: number;
  /** Whether it is on the best chain. */
  readonly best: boolean;
}

/** A header the chain holds: on the best chain (`side` undefined) or off it. */
interface Ref {
  readonly height: number;
  readonly side: SideEntry | undefined;
}

/** Set below: connects headers whose chain's work a presync has verified. */
let connectVerified: (chain: HeaderChain, headers: readonly BlockHeader[]) => ConnectResult;

/**
 * A verified chain of block headers, as a light client keeps it: each header checked for
 * proof of work, the required difficulty (retargets, testnet's minimum-difficulty rule,
 * BIP 94), median time past, the two-hour future limit, version minimums and checkpoints;
 * the most-work chain kept (the first seen on equal work), with reorganizations to heavier
 * branches reported as events.
 *
 * A million headers take about 90 MB (80 bytes each plus an index). Headers are stored only
 * while the chain they build has enough work ({@linkcode HeaderChain.antiDosWorkThreshold});
 * a {@linkcode HeaderFeed} per peer brings a new chain up to that point without storing it.
 *
 * @example
 * ```ts
 * import { HeaderChain } from "@btcstream/p2p/headers";
 * import { blockHash } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 *
 * const chain = new HeaderChain({ network: "regtest" });
 * const events = chain.events();
 * // Mine a regtest header: about two tries.
 * const header = {
 *   version: 0x20000000,
 *   prevBlock: chain.tip.hash,
 *   merkleRoot: new Uint8Array(32),
 *   timestamp: chain.tip.header.timestamp + 600,
 *   bits: 0x207fffff,
 *   nonce: 0,
 * };
 * while (blockHash(header)[31] >= 0x80) header.nonce++;
 * const result = chain.connect([header]);
 * assertEquals([result.accepted, result.error, chain.height], [1, undefined, 1]);
 * await chain.close();
 * const [event] = await Array.fromAsync(events);
 * assertEquals([event.type, event.tip.height], ["tip", 1]);
 * ```
 */
export class HeaderChain {
  /** The network's parameters. */
  readonly params: ChainParams;
  readonly #store = new HeaderStore();
  readonly #side = new Map<string, SideEntry>();
  readonly #targets: TargetCache;
  readonly #hub = new EventHub();
  readonly #log: ReturnType<typeof getLogger>;
  readonly #now: () => number;
  readonly #maxSide: number;
  readonly #checkpoints: Map<number, Uint8Array>;
  readonly #walkCache: MinDifficultyWalkCache = { height: -1, bits: 0 };
  /** Cumulative work at heights 0, MARK_INTERVAL, 2 MARK_INTERVAL... of the best chain. */
  readonly #marks: bigint[] = [];
  #tipWork = 0n;
  #file: ChainFile | undefined;
  /** Scratch for the contextual check of a best-chain header (no object per header). */
  readonly #scratch = { version: 0, timestamp: 0, bits: 0 };

  /**
   * Creates a chain holding the network's genesis block.
   *
   * @param options Network, adjusted time, side-branch cap and log category.
   * @throws {RangeError} When the genesis header does not hash to the params' genesis hash,
   *   or `maxSideHeaders` is negative.
   */
  constructor(options: HeaderChainOptions = {}) {
    const params = chainParams(options.network ?? "mainnet");
    this.params = params;
    this.#targets = new TargetCache(params.powLimit);
    this.#log = getLogger([...(options.logCategory ?? ["btcstream", "headers"])]);
    const adjusted = options.adjustedTime ?? Date.now;
    this.#now = typeof adjusted === "number" ? () => adjusted : adjusted;
    this.#maxSide = options.maxSideHeaders ?? DEFAULT_MAX_SIDE_HEADERS;
    if (!(this.#maxSide >= 0)) {
      throw new RangeError(`Cannot create a chain: maxSideHeaders ${this.#maxSide} is negative`);
    }
    this.#checkpoints = new Map(params.checkpoints.map((c) => [c.height, c.hash]));
    const genesisHash = blockHash(params.genesis);
    if (!hashEquals(genesisHash, 0, params.genesisHash, 0)) {
      throw new RangeError(
        `Cannot create a ${params.name} chain: its genesis header hashes to ` +
          `${hashToHex(genesisHash)}, not ${hashToHex(params.genesisHash)}`,
      );
    }
    this.#store.chunk(0).set(encodeBlockHeader(params.genesis), 0);
    this.#store.push(genesisHash);
    this.#tipWork = this.#targets.proof(params.genesis.bits);
    this.#marks.push(this.#tipWork);
  }

  /**
   * Opens a chain kept in storage, creating the file when there is none. Every stored header
   * is checked again; a truncated or corrupt file keeps its valid prefix (logged as a
   * warning) and is repaired. From then on the best chain is appended to the file after each
   * change, in the background ({@linkcode HeaderChain.flush} waits for it).
   *
   * @param storage Where the chain is kept (a {@linkcode FileHeaderStorage} for a path).
   * @param options As for the constructor.
   * @returns The chain.
   * @throws {Error} When the storage holds another network's chain or is not a header file.
   *
   * @example
   * ```ts
   * import { HeaderChain, MemoryHeaderStorage } from "@btcstream/p2p/headers";
   * import { assertEquals } from "@std/assert";
   * const storage = new MemoryHeaderStorage();
   * await (await HeaderChain.open(storage, { network: "regtest" })).close();
   * const again = await HeaderChain.open(storage, { network: "regtest" });
   * assertEquals(again.height, 0);
   * await again.close();
   * ```
   */
  static async open(
    storage: HeaderStorage,
    options: HeaderChainOptions = {},
  ): Promise<HeaderChain> {
    const chain = new HeaderChain(options);
    chain.#file = await openChainFile(storage, {
      params: chain.params,
      log: chain.#log,
      appendRecord: (bytes, offset) => chain.#appendRecord(bytes, offset),
      truncate: (count) => chain.#truncateMain(count),
      store: chain.#store,
    });
    return chain;
  }

  /** Height of the best chain's tip. */
  get height(): number {
    return this.#store.count - 1;
  }

  /** The best chain's tip. */
  get tip(): ChainEntry {
    return this.#entry(this.height);
  }

  /** Cumulative work of the best chain (Core's `nChainWork` of the tip). */
  get tipWork(): bigint {
    return this.#tipWork;
  }

  /** Headers held off the best chain. */
  get sideHeaders(): number {
    return this.#side.size;
  }

  /** Whether the best chain contains the network's assumed-valid block. */
  get assumeValidReached(): boolean {
    const av = this.params.assumeValid;
    return av !== undefined && av.height <= this.height &&
      this.#store.hashIs(av.height, av.hash, 0);
  }

  /**
   * The least work a branch must reach to be stored: the network's minimum chain work, or the
   * tip's work less 144 blocks' worth, whichever is more (Core's `GetAntiDoSWorkThreshold`).
   *
   * @returns The threshold.
   */
  antiDosWorkThreshold(): bigint {
    const tipProof = this.#targets.proof(this.#store.bits(this.height));
    const slack = ANTI_DOS_BLOCKS * tipProof;
    const near = this.#tipWork - (slack < this.#tipWork ? slack : this.#tipWork);
    return near > this.params.minimumChainWork ? near : this.params.minimumChainWork;
  }

  /**
   * The best chain's header at a height.
   *
   * @param height 0 to {@linkcode HeaderChain.height}.
   * @returns The entry, or `undefined` outside the chain.
   */
  entryAt(height: number): ChainEntry | undefined {
    if (!Number.isInteger(height) || height < 0 || height > this.height) return undefined;
    return this.#entry(height);
  }

  /**
   * The best chain's hash at a height.
   *
   * @param height 0 to {@linkcode HeaderChain.height}.
   * @returns A copy of the hash, or `undefined` outside the chain.
   */
  hashAt(height: number): Uint8Array | undefined {
    if (!Number.isInteger(height) || height < 0 || height > this.height) return undefined;
    return this.#store.hash(height);
  }

  /**
   * The height of a block on the best chain.
   *
   * @param hash 32 bytes in wire order.
   * @returns Its height, or `undefined` when it is not on the best chain.
   */
  heightOf(hash: Uint8Array): number | undefined {
    if (hash.length !== 32) return undefined;
    const h = this.#store.find(hash);
    return h < 0 ? undefined : h;
  }

  /**
   * Whether the chain holds a header, on the best chain or off it.
   *
   * @param hash 32 bytes in wire order.
   * @returns Whether it is known.
   */
  has(hash: Uint8Array): boolean {
    return hash.length === 32 && this.#locate(hash) !== undefined;
  }

  /**
   * Finds a header the chain holds, on the best chain or off it.
   *
   * @param hash 32 bytes in wire order.
   * @returns The header and its place, or `undefined` when unknown.
   */
  lookup(hash: Uint8Array): HeaderInfo | undefined {
    const ref = hash.length === 32 ? this.#locate(hash) : undefined;
    if (ref === undefined) return undefined;
    const side = ref.side;
    const view = side === undefined ? this.#store : branchOf(this.#store, this.#side, side);
    return {
      height: ref.height,
      hash: hash.slice(),
      header: decodeBlockHeader(
        side === undefined ? this.#store.raw(ref.height) : side.bytes.slice(),
      ),
      work: this.#workOf(ref),
      medianTimePast: medianTimePast(view, ref.height),
      best: side === undefined,
    };
  }

  /**
   * The network-adjusted time the chain judges timestamps against.
   *
   * @returns Milliseconds since the epoch.
   */
  adjustedTime(): number {
    return this.#now();
  }

  /**
   * Cumulative work up to a header of the best chain.
   *
   * @param height 0 to {@linkcode HeaderChain.height}.
   * @returns The work, or `undefined` outside the chain.
   */
  workAt(height: number): bigint | undefined {
    if (!Number.isInteger(height) || height < 0 || height > this.height) return undefined;
    return this.#workAt(height);
  }

  /**
   * A block locator (Core's `GetLocator`): the hashes of the 11 headers below and including
   * `from`, then exponentially farther ones, ending with genesis.
   *
   * @param from The header to start from, by hash (on the best chain or off it); default the
   *   tip.
   * @returns The hashes, newest first (copies).
   *
   * @example
   * ```ts
   * import { HeaderChain } from "@btcstream/p2p/headers";
   * import { assertEquals } from "@std/assert";
   * const chain = new HeaderChain({ network: "regtest" });
   * assertEquals(chain.locator(), [chain.tip.hash]);
   * ```
   */
  locator(from?: Uint8Array): Uint8Array[] {
    let view: { hash(height: number): Uint8Array } = this.#store;
    let height = this.height;
    if (from !== undefined) {
      const ref = from.length === 32 ? this.#locate(from) : undefined;
      if (ref === undefined) return this.locator();
      height = ref.height;
      if (ref.side !== undefined) view = branchOf(this.#store, this.#side, ref.side);
    }
    const out: Uint8Array[] = [];
    let step = 1;
    for (;;) {
      out.push(view.hash(height));
      if (height === 0) break;
      height = Math.max(height - step, 0);
      if (out.length > 10) step *= 2;
    }
    return out;
  }

  /**
   * Where a peer's locator meets the best chain (Core's `FindForkInGlobalIndex`): the first of
   * its hashes on the best chain.
   *
   * @param locator Hashes, newest first.
   * @returns That hash's height; 0 (genesis) when none is on the best chain.
   *
   * @example
   * ```ts
   * import { HeaderChain } from "@btcstream/p2p/headers";
   * import { assertEquals } from "@std/assert";
   * const chain = new HeaderChain({ network: "regtest" });
   * assertEquals(chain.findFork([new Uint8Array(32), chain.tip.hash]), 0);
   * ```
   */
  findFork(locator: readonly Uint8Array[]): number {
    for (const hash of locator) {
      if (hash.length !== 32) continue;
      const h = this.#store.find(hash);
      if (h >= 0) return h;
    }
    return 0;
  }

  /**
   * Connects a batch of headers (the content of one `headers` message, each the child of the
   * one before), as Core's `ProcessHeadersMessage` and `AcceptBlockHeader` do:
   *
   * 1. every header's proof of work and the batch's continuity are checked first; any failure
   *    refuses the whole batch (`bad-pow`, `non-continuous`);
   * 2. the first header's parent must be known (`bad-prevblk`);
   * 3. headers already held are skipped;
   * 4. the work of the chain the batch builds must reach
   *    {@linkcode HeaderChain.antiDosWorkThreshold} (`low-work`: nothing is stored);
   * 5. each new header is checked against its ancestors and stored; the first that fails
   *    stops the batch, and those before it stay;
   * 6. if the batch's last header has more work than the tip, it becomes the tip (a reorg
   *    when it is on another branch), and the change is reported on {@linkcode events}.
   *
   * Never throws for bad headers: refusals come back in `error`.
   *
   * @param headers Up to 2,000 headers.
   * @returns What was done.
   * @throws {TypeError} A hand-built header whose hashes are not 32 bytes.
   * @throws {RangeError} A hand-built header with a field out of its integer range.
   */
  connect(headers: readonly BlockHeader[]): ConnectResult {
    return this.#connect(headers, false);
  }

  /**
   * The best chain's changes from now on: a {@linkcode TipEvent} when it grows, a
   * {@linkcode ReorgEvent} when it switches branch. The stream ends when the chain is
   * closed, and fails if its reader falls too far behind.
   *
   * @param options How far behind a reader may fall.
   * @returns A stream of events.
   */
  events(options: ChainEventsOptions = {}): ReadableStream<ChainEvent> {
    return this.#hub.stream(options);
  }

  /**
   * Waits until the best chain as it is now is in storage (nothing to do without storage).
   *
   * @returns Once written and flushed.
   */
  flush(): Promise<void> {
    return this.#file?.flush() ?? Promise.resolve();
  }

  /**
   * Writes what is pending, ends the event streams, and detaches the storage (the chain
   * stays usable in memory).
   */
  async close(): Promise<void> {
    const file = this.#file;
    this.#hub.close();
    if (file !== undefined) {
      try {
        await file.flush();
      } finally {
        this.#file = undefined;
      }
    }
  }

  /** Same as {@linkcode HeaderChain.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  static {
    connectVerified = (chain, headers) => chain.#connect(headers, true);
  }

  #connect(headers: readonly BlockHeader[], workVerified: boolean): ConnectResult {
    const n = headers.length;
    if (n > MAX_BLOCK_HEADERS_PER_MSG) {
      return refused(
        new HeaderError(
          "too-many-headers",
          `Cannot connect ${n} headers: a batch holds at most ${MAX_BLOCK_HEADERS_PER_MSG}`,
        ),
      );
    }
    if (n === 0) return refused(undefined);

    // 1. Proof of work and continuity for the whole batch, one hash per header.
    const hashes = new Array<Uint8Array>(n);
    for (let i = 0; i < n; i++) {
      const header = headers[i];
      const hash = blockHash(header);
      if (i > 0 && !hashEquals(header.prevBlock, 0, hashes[i - 1], 0)) {
        return refused(
          new HeaderError(
            "non-continuous",
            `Header ${i} of ${n} (${hashToHex(hash)}) is not the child of header ${i - 1}`,
            { index: i, hash },
          ),
        );
      }
      if (!this.#targets.meets(hash, 0, header.bits)) {
        return refused(
          new HeaderError(
            "bad-pow",
            `Header ${i} of ${n} (${hashToHex(hash)}) fails its proof of work (bits 0x${
              header.bits.toString(16)
            })`,
            { index: i, hash },
          ),
        );
      }
      hashes[i] = hash;
    }

    // 2. The parent.
    const parent = this.#locate(headers[0].prevBlock);
    if (parent === undefined) {
      return refused(
        new HeaderError(
          "bad-prevblk",
          `Header 0 of ${n} (${hashToHex(hashes[0])}) builds on unknown block ${
            hashToHex(headers[0].prevBlock)
          }`,
          { index: 0, hash: hashes[0] },
        ),
      );
    }

    // 3. Headers already held.
    let known = 0;
    let ref: Ref = parent;
    while (known < n) {
      const r = this.#locate(hashes[known]);
      if (r === undefined) break;
      ref = r;
      known++;
    }
    if (known === n) {
      return {
        accepted: 0,
        known,
        error: undefined,
        tipChanged: false,
        last: lastOf(ref.height, hashes[n - 1]),
      };
    }

    // 4. Anti-DoS: the work the batch claims, on top of its parent.
    if (!workVerified) {
      // Runs of equal bits (a whole batch, usually) cost one multiplication.
      let claimed = this.#workOf(parent);
      for (let i = 0; i < n;) {
        const bits = headers[i].bits;
        let j = i + 1;
        while (j < n && headers[j].bits === bits) j++;
        claimed += this.#targets.proof(bits) * BigInt(j - i);
        i = j;
      }
      const threshold = this.antiDosWorkThreshold();
      if (claimed < threshold) {
        return {
          accepted: 0,
          known,
          tipChanged: false,
          last: known > 0 ? lastOf(ref.height, hashes[known - 1]) : undefined,
          error: new HeaderError(
            "low-work",
            `Headers up to height ${parent.height + n} reach work 0x${claimed.toString(16)}, ` +
              `below the 0x${threshold.toString(16)} needed to store them`,
            { index: -1, height: parent.height + n },
          ),
        };
      }
    }

    // 5. Check and store each new header.
    const nowSeconds = Math.floor(this.#now() / 1000);
    const oldTip = this.height;
    const oldTipWork = this.#tipWork;
    let branch: BranchView | undefined;
    if (ref.side !== undefined) branch = branchOf(this.#store, this.#side, ref.side);
    else if (ref.height !== oldTip) branch = new BranchView(this.#store, ref.height, []);
    let height = ref.height;
    let accepted = 0;
    let error: HeaderError | undefined;
    if (branch !== undefined) {
      const lastCheckpoint = this.#lastCheckpointHeight();
      if (height + 1 < lastCheckpoint) {
        error = new HeaderError(
          "fork-below-checkpoint",
          `Header ${known} of ${n} (${hashToHex(hashes[known])}) forks at height ${
            height + 1
          }, below the checkpoint at ${lastCheckpoint}`,
          { index: known, hash: hashes[known], height: height + 1 },
        );
      }
    }
    for (let i = known; i < n && error === undefined; i++) {
      const header = headers[i];
      const hash = hashes[i];
      height++;
      let code: HeaderErrorCode | undefined;
      if (branch === undefined) {
        const chunk = this.#store.chunk(height);
        writeHeader(chunk, this.#store.offset(height), header);
        code = this.#extendMain(hash, nowSeconds);
      } else {
        code = checkHeaderContext(this.params, header, height, branch, nowSeconds) ??
          this.#checkpointCode(height, hash);
        if (code === undefined) {
          const bytes = new Uint8Array(BLOCK_HEADER_SIZE);
          writeHeader(bytes, 0, header);
          const prevWork = branch.entries.length > 0
            ? branch.entries[branch.entries.length - 1].work
            : this.#workAt(branch.fork);
          const entry: SideEntry = {
            key: bytesToHex(hash),
            hash,
            bytes,
            height,
            work: prevWork + this.#targets.proof(header.bits),
          };
          this.#side.set(entry.key, entry);
          branch.entries.push(entry);
        }
      }
      if (code !== undefined) {
        error = new HeaderError(code, describe(code, i, n, hash, height, header), {
          index: i,
          hash,
          height,
        });
        break;
      }
      accepted++;
    }
    if (error !== undefined) {
      this.#log.debug("Refused {code} header at height {height}: {message}", {
        code: error.code,
        height: error.height,
        message: error.message,
      });
    }

    // 6. The best tip.
    let tipChanged = this.height !== oldTip;
    if (branch !== undefined && branch.entries.length > 0) {
      const best = branch.entries[branch.entries.length - 1];
      if (best.work > this.#tipWork) {
        this.#reorgTo(branch, oldTip, oldTipWork);
        tipChanged = true;
      }
    } else if (tipChanged && this.#hub.active) {
      const added = this.#entries(oldTip + 1, this.height);
      this.#hub.emit({ type: "tip", added, tip: added[added.length - 1], work: this.#tipWork });
    }
    if (this.#side.size > this.#maxSide) {
      const dropped = pruneSide(this.#side, this.#maxSide);
      this.#log.info("Dropped {dropped} side-branch headers (cap {max})", {
        dropped,
        max: this.#maxSide,
      });
    }
    if (tipChanged) this.#file?.changed();
    const lastIndex = known + accepted - 1;
    return {
      accepted,
      known,
      error,
      tipChanged,
      last: lastIndex >= 0 ? lastOf(ref.height + accepted, hashes[lastIndex]) : undefined,
    };
  }

  /**
   * Checks the header written at the next height of the best chain and makes it the tip.
   * Proof of work and linkage were checked by the caller.
   */
  #extendMain(hash: Uint8Array, nowSeconds: number | undefined): HeaderErrorCode | undefined {
    const store = this.#store;
    const height = store.count;
    const chunk = store.chunk(height);
    const off = store.offset(height);
    const scratch = this.#scratch;
    scratch.version = u32le(chunk, off) | 0;
    scratch.timestamp = u32le(chunk, off + 68);
    scratch.bits = u32le(chunk, off + 72);
    const code = checkHeaderContext(
      this.params,
      scratch,
      height,
      store,
      nowSeconds,
      this.#walkCache,
    ) ?? this.#checkpointCode(height, hash);
    if (code !== undefined) return code;
    store.push(hash);
    this.#tipWork += this.#targets.proof(scratch.bits);
    if (height % MARK_INTERVAL === 0) this.#marks.push(this.#tipWork);
    return undefined;
  }

  /**
   * Appends a header read back from the file (linkage, proof of work and every rule but the
   * future limit are checked again).
   */
  #appendRecord(bytes: Uint8Array, offset: number): HeaderErrorCode | undefined {
    const store = this.#store;
    const height = store.count;
    const chunk = store.chunk(height);
    const off = store.offset(height);
    chunk.set(bytes.subarray(offset, offset + BLOCK_HEADER_SIZE), off);
    if (!store.hashIs(height - 1, chunk, off + 4)) return "non-continuous";
    const hash = doubleSha256(chunk.subarray(off, off + BLOCK_HEADER_SIZE));
    if (!this.#targets.meets(hash, 0, u32le(chunk, off + 72))) return "bad-pow";
    return this.#extendMain(hash, undefined);
  }

  #checkpointCode(height: number, hash: Uint8Array): HeaderErrorCode | undefined {
    const expected = this.#checkpoints.get(height);
    return expected !== undefined && !hashEquals(expected, 0, hash, 0)
      ? "checkpoint-mismatch"
      : undefined;
  }

  /** The highest checkpoint at or below the tip (the best chain matches it). */
  #lastCheckpointHeight(): number {
    let last = 0;
    for (const c of this.params.checkpoints) if (c.height <= this.height) last = c.height;
    return last;
  }

  /** Makes the end of `branch` the tip: main above the fork becomes side, the branch main. */
  #reorgTo(branch: BranchView, oldTip: number, oldTipWork: bigint): void {
    const fork = branch.fork;
    const store = this.#store;
    const build = this.#hub.active;
    const removed: ChainEntry[] = [];
    let work = oldTipWork;
    const moved: SideEntry[] = [];
    for (let h = oldTip; h > fork; h--) {
      const hash = store.hash(h);
      const bytes = store.raw(h);
      moved.push({ key: bytesToHex(hash), hash, bytes, height: h, work });
      if (build) removed.push({ height: h, hash, header: decodeBlockHeader(bytes) });
      work -= this.#targets.proof(u32le(bytes, 72));
    }
    this.#truncateMain(fork + 1);
    for (const e of moved) this.#side.set(e.key, e);
    for (const e of branch.entries) {
      const h = store.count;
      store.chunk(h).set(e.bytes, store.offset(h));
      store.push(e.hash);
      this.#tipWork = e.work;
      if (h % MARK_INTERVAL === 0) this.#marks.push(e.work);
      this.#side.delete(e.key);
    }
    this.#log.info("Reorganized from height {from} to {to} (fork at {fork})", {
      from: oldTip,
      to: this.height,
      fork,
    });
    if (build) {
      removed.reverse();
      const added = branch.entries.map((e) => ({
        height: e.height,
        hash: e.hash.slice(),
        header: decodeBlockHeader(e.bytes.slice()),
      }));
      this.#hub.emit({
        type: "reorg",
        fork: this.#entry(fork),
        removed,
        added,
        tip: added[added.length - 1],
        work: this.#tipWork,
      });
    }
  }

  /** Cuts the best chain to `count` headers, keeping its work accounting right. */
  #truncateMain(count: number): void {
    if (count >= this.#store.count) return;
    this.#tipWork = this.#workAt(count - 1);
    this.#marks.length = Math.floor((count - 1) / MARK_INTERVAL) + 1;
    this.#store.truncate(count);
    this.#walkCache.height = -1;
    this.#file?.truncated(count);
  }

  #workAt(height: number): bigint {
    if (height === this.height) return this.#tipWork;
    const mark = Math.floor(height / MARK_INTERVAL);
    let work = this.#marks[mark];
    for (let h = mark * MARK_INTERVAL + 1; h <= height; h++) {
      work += this.#targets.proof(this.#store.bits(h));
    }
    return work;
  }

  #workOf(ref: Ref): bigint {
    return ref.side !== undefined ? ref.side.work : this.#workAt(ref.height);
  }

  #locate(hash: Uint8Array): Ref | undefined {
    const h = this.#store.find(hash);
    if (h >= 0) return { height: h, side: undefined };
    if (this.#side.size === 0) return undefined;
    const side = this.#side.get(bytesToHex(hash));
    return side === undefined ? undefined : { height: side.height, side };
  }

  /**
   * The entries of heights `[from, to]` of the best chain, in one buffer: each header's hash is
   * the next header's `prevBlock`, so one copy of the range holds them all (a tip event of
   * 2,000 headers is one allocation, not 4,000).
   */
  #entries(from: number, to: number): ChainEntry[] {
    const count = to - from + 1;
    const bytes = this.#store.rawRange(from, to + 1);
    const view = new DataView(bytes.buffer);
    const tipHash = this.#store.hash(to);
    const out: ChainEntry[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const at = i * BLOCK_HEADER_SIZE;
      out[i] = {
        height: from + i,
        hash: i + 1 < count
          ? bytes.subarray(at + BLOCK_HEADER_SIZE + 4, at + BLOCK_HEADER_SIZE + 36)
          : tipHash,
        header: decodeBlockHeaderAt(bytes, at, view),
      };
    }
    return out;
  }

  #entry(height: number): ChainEntry {
    return {
      height,
      hash: this.#store.hash(height),
      header: decodeBlockHeader(this.#store.raw(height)),
    };
  }
}

/**
 * Connects headers whose chain a presync has shown to reach enough work (internal to
 * `headers/`: the {@linkcode HeaderFeed} calls it).
 *
 * @param chain The chain.
 * @param headers The batch.
 * @returns What was done.
 */
export function connectPresynced(
  chain: HeaderChain,
  headers: readonly BlockHeader[],
): ConnectResult {
  return connectVerified(chain, headers);
}

function refused(error: HeaderError | undefined): ConnectResult {
  return { accepted: 0, known: 0, error, tipChanged: false, last: undefined };
}

function lastOf(height: number, hash: Uint8Array): { height: number; hash: Uint8Array } {
  return { height, hash: hash.slice() };
}

/** Serializes a header's fields into `out` at `offset`. */
function writeHeader(out: Uint8Array, offset: number, header: BlockHeader): void {
  setU32le(out, offset, header.version);
  out.set(header.prevBlock, offset + 4);
  out.set(header.merkleRoot, offset + 36);
  setU32le(out, offset + 68, header.timestamp);
  setU32le(out, offset + 72, header.bits);
  setU32le(out, offset + 76, header.nonce);
}

function describe(
  code: HeaderErrorCode,
  index: number,
  n: number,
  hash: Uint8Array,
  height: number,
  header: BlockHeader,
): string {
  const which = `Header ${index} of ${n} (${hashToHex(hash)}, height ${height})`;
  switch (code) {
    case "bad-diffbits":
      return `${which} has bits 0x${header.bits.toString(16)}, not the required difficulty`;
    case "time-too-old":
      return `${which} has time ${header.timestamp}, not after the median of the previous 11`;
    case "time-too-new":
      return `${which} has time ${header.timestamp}, more than two hours in the future`;
    case "time-timewarp-attack":
      return `${which} has time ${header.timestamp}, over 600 s before its parent (BIP 94)`;
    case "bad-version":
      return `${which} has version 0x${
        (header.version >>> 0).toString(16)
      }, too old for its height`;
    case "checkpoint-mismatch":
      return `${which} does not match the checkpoint at its height`;
    default:
      return `${which} is refused (${code})`;
  }
}

// One peer's headers into a shared HeaderChain, with Bitcoin Core's headers presync
// (`src/headerssync.cpp`, `ProcessHeadersMessage`) between them.
//
// Why a presync. Headers at the genesis difficulty cost an ASIC microseconds each, so a peer
// can make a long, valid, worthless chain for free; a light client that stored it (and the
// next one, and the next) would run out of memory. Core's answer, kept here: a chain's
// headers are stored only once it is known to reach the network's minimum chain work (or
// to come within a day's work of our tip). When a peer offers a chain below that, its headers
// are first only checked (proof of work, the factor-4 difficulty clamp, continuity) and
// summed, keeping one salted commitment bit per `commitmentPeriod` headers; once the sum
// reaches the threshold, the same headers are asked for again, checked against the
// commitments, and released to the chain after `redownloadBufferSize` more have matched.
// A peer that swaps chains between the passes is caught by a commitment with probability
// 1/2 each, long before the buffer drains. Memory per peer: the commitments (at most one
// bit per `commitmentPeriod` headers a chain could have by now) and the buffer
// (`redownloadBufferSize` + 2,000 headers of 80 bytes: 1.4 MB on mainnet).
import {
  blockHash,
  type BlockHeader,
  decodeBlockHeader,
  encodeBlockHeader,
  hashToHex,
  MAX_BLOCK_HEADERS_PER_MSG,
  sha256,
} from "../wire/mod.ts";
import { hashEquals } from "./_store.ts";
import { TargetCache } from "./_target.ts";
import { connectPresynced, type ConnectResult, type HeaderChain } from "./chain.ts";
import { HeaderError } from "./errors.ts";
import { MAX_FUTURE_BLOCK_TIME_MS } from "./rules.ts";
import { permittedDifficultyTransition } from "./pow.ts";

/** Where a {@linkcode HeaderFeed} is. */
export type HeaderFeedPhase = "normal" | "presync" | "redownload";

/**
 * What a {@linkcode HeaderFeed} did with one `headers` message.
 *
 * @example
 * ```ts
 * import { HeaderChain, HeaderFeed, type HeaderFeedResult } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const feed = new HeaderFeed(new HeaderChain({ network: "regtest" }));
 * const result: HeaderFeedResult = feed.receive([]);
 * assertEquals(result.requestMore, false);
 * ```
 */
export interface HeaderFeedResult {
  /** Headers stored in the chain from this message (or released by the presync). */
  readonly accepted: number;
  /** Why headers were refused; `error.misbehaving` says whether to hold it against the peer. */
  readonly error: HeaderError | undefined;
  /** Whether the best chain changed. */
  readonly tipChanged: boolean;
  /** Send `getheaders` with {@linkcode HeaderFeed.locator} (the peer has more to give). */
  readonly requestMore: boolean;
  /** The phase after this message. */
  readonly phase: HeaderFeedPhase;
}

/**
 * A peer's headers into a shared {@linkcode HeaderChain}, with the headers presync that keeps
 * low-work chains out of memory (Bitcoin Core's, see the file's comment). One per peer:
 * send `getheaders` with {@linkcode HeaderFeed.locator}, hand each `headers` message to
 * {@linkcode HeaderFeed.receive}, and ask again while `requestMore` is set.
 *
 * @example
 * ```ts
 * import { HeaderChain, HeaderFeed } from "@btcstream/p2p/headers";
 * import { hexToHash } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const chain = new HeaderChain({ network: "mainnet" });
 * const feed = new HeaderFeed(chain);
 * assertEquals(feed.locator(), [chain.tip.hash]);
 * // Mainnet's block 1, well-formed but far below the minimum chain work: nothing is stored,
 * // and since the message was not full the peer has no more to offer.
 * const block1 = {
 *   version: 1,
 *   prevBlock: chain.tip.hash,
 *   merkleRoot: hexToHash("0e3e2357e806b6cdb1f70b54c3a3a17b6714ee1f0e68bebb44a74b1efd512098"),
 *   timestamp: 1231469665,
 *   bits: 0x1d00ffff,
 *   nonce: 2573394689,
 * };
 * const result = feed.receive([block1]);
 * assertEquals([result.accepted, result.error?.code, result.requestMore], [0, "low-work", false]);
 * ```
 */
export class HeaderFeed {
  readonly #chain: HeaderChain;
  readonly #targets: TargetCache;
  /** Where the next normal `getheaders` starts: the last header the peer gave us. */
  #last: Uint8Array | undefined;
  #sync: Presync | undefined;

  /**
   * Creates a feed for one peer.
   *
   * @param chain The chain every peer's feed shares.
   */
  constructor(chain: HeaderChain) {
    this.#chain = chain;
    this.#targets = new TargetCache(chain.params.powLimit);
  }

  /** The feed's phase: storing directly, checking a low-work chain, or fetching it again. */
  get phase(): HeaderFeedPhase {
    return this.#sync?.phase ?? "normal";
  }

  /**
   * The block locator for the next `getheaders` to this peer.
   *
   * @returns Hashes, newest first.
   */
  locator(): Uint8Array[] {
    const sync = this.#sync;
    if (sync !== undefined) return [sync.lastHash.slice(), ...this.#chain.locator(sync.startHash)];
    if (this.#last !== undefined && this.#chain.has(this.#last)) {
      return this.#chain.locator(this.#last);
    }
    return this.#chain.locator();
  }

  /**
   * Handles one `headers` message from the peer.
   *
   * @param headers The message's headers (at most 2,000).
   * @returns What was stored, refused, and whether to ask for more.
   */
  receive(headers: readonly BlockHeader[]): HeaderFeedResult {
    const n = headers.length;
    if (n > MAX_BLOCK_HEADERS_PER_MSG) {
      this.#sync = undefined;
      return this.#result(
        0,
        false,
        false,
        new HeaderError(
          "too-many-headers",
          `Cannot take ${n} headers: a message holds at most ${MAX_BLOCK_HEADERS_PER_MSG}`,
        ),
      );
    }
    // An empty message: the peer has nothing after our locator.
    if (n === 0) {
      if (this.#sync !== undefined) {
        this.#sync = undefined;
        return this.#result(0, false, false, presyncFailed("the peer stopped sending headers"));
      }
      return this.#result(0, false, false, undefined);
    }
    const full = n === MAX_BLOCK_HEADERS_PER_MSG;
    if (this.#sync !== undefined) return this.#presync(this.#sync, headers, full);

    const r = this.#chain.connect(headers);
    if (r.error?.code === "low-work") {
      if (!full) {
        // The peer's chain ends here and has too little work: nothing to do.
        return this.#result(0, false, false, r.error);
      }
      const start = this.#chain.lookup(headers[0].prevBlock)!;
      this.#sync = new Presync(this.#chain, start, this.#chain.antiDosWorkThreshold());
      return this.#presync(this.#sync, headers, full);
    }
    if (r.error?.code === "bad-prevblk") {
      // Core's HandleUnconnectingHeaders: ask again from our tip.
      this.#last = undefined;
      return this.#result(0, false, true, r.error);
    }
    if (r.last !== undefined) this.#last = r.last.hash;
    return this.#result(r.accepted, r.tipChanged, full && r.error === undefined, r.error);
  }

  #presync(sync: Presync, headers: readonly BlockHeader[], full: boolean): HeaderFeedResult {
    // Core's CheckHeadersPoW comes first in every phase: bad proof of work is misbehaviour.
    const hashes = new Array<Uint8Array>(headers.length);
    for (let i = 0; i < headers.length; i++) {
      const hash = blockHash(headers[i]);
      if (i > 0 && !hashEquals(headers[i].prevBlock, 0, hashes[i - 1], 0)) {
        this.#sync = undefined;
        return this.#result(
          0,
          false,
          false,
          new HeaderError(
            "non-continuous",
            `Header ${i} of ${headers.length} (${hashToHex(hash)}) is not the child of header ${
              i - 1
            }`,
            { index: i, hash },
          ),
        );
      }
      if (!this.#targets.meets(hash, 0, headers[i].bits)) {
        this.#sync = undefined;
        return this.#result(
          0,
          false,
          false,
          new HeaderError(
            "bad-pow",
            `Header ${i} of ${headers.length} (${hashToHex(hash)}) fails its proof of work`,
            { index: i, hash },
          ),
        );
      }
      hashes[i] = hash;
    }
    const outcome = sync.process(headers, hashes, full);
    let accepted = 0;
    let tipChanged = false;
    let error = outcome.error;
    for (const batch of outcome.release) {
      const r: ConnectResult = connectPresynced(this.#chain, batch);
      accepted += r.accepted;
      tipChanged ||= r.tipChanged;
      if (r.last !== undefined) this.#last = r.last.hash;
      if (r.error !== undefined) {
        error = r.error;
        this.#sync = undefined;
        return this.#result(accepted, tipChanged, false, error);
      }
    }
    if (outcome.done) this.#sync = undefined;
    return this.#result(accepted, tipChanged, outcome.requestMore, error);
  }

  #result(
    accepted: number,
    tipChanged: boolean,
    requestMore: boolean,
    error: HeaderError | undefined,
  ): HeaderFeedResult {
    return { accepted, tipChanged, requestMore, error, phase: this.phase };
  }
}

function presyncFailed(why: string): HeaderError {
  return new HeaderError("presync-failed", `Headers presync stopped: ${why}`);
}

/** What a presync step asks of the feed. */
interface PresyncOutcome {
  /** Headers the chain may now store, in batches of at most 2,000. */
  readonly release: BlockHeader[][];
  readonly requestMore: boolean;
  /** The presync is over (finished or given up). */
  readonly done: boolean;
  readonly error: HeaderError | undefined;
}

/** Core's `HeadersSyncState`: one low-work chain being measured, then fetched again. */
class Presync {
  phase: "presync" | "redownload" = "presync";
  readonly startHash: Uint8Array;
  readonly #chain: HeaderChain;
  readonly #targets: TargetCache;
  readonly #period: number;
  readonly #bufferSize: number;
  readonly #offset: number;
  readonly #salt: Uint8Array;
  readonly #minimumWork: bigint;
  readonly #maxCommitments: number;
  readonly #startHeight: number;
  readonly #startWork: bigint;
  readonly #startBits: number;
  /** Commitment bits, one per `#period` headers. */
  #bits = new Uint8Array(64);
  #written = 0;
  #read = 0;
  // Presync phase: the last header received.
  lastHash: Uint8Array;
  #lastBits: number;
  #height: number;
  #work: bigint;
  // Redownload phase: a queue of raw headers not yet released.
  #buffer = new Uint8Array(0);
  #head = 0;
  #size = 0;
  #processAll = false;

  constructor(
    chain: HeaderChain,
    start: {
      hash: Uint8Array;
      height: number;
      work: bigint;
      header: BlockHeader;
      medianTimePast: number;
    },
    minimumWork: bigint,
  ) {
    this.#chain = chain;
    const params = chain.params;
    this.#targets = new TargetCache(params.powLimit);
    this.#period = params.headersSync.commitmentPeriod;
    this.#bufferSize = params.headersSync.redownloadBufferSize;
    const random = crypto.getRandomValues(new Uint32Array(1));
    this.#offset = random[0] % this.#period;
    this.#salt = crypto.getRandomValues(new Uint8Array(16));
    this.#minimumWork = minimumWork;
    this.startHash = start.hash.slice();
    this.#startHeight = start.height;
    this.#startWork = start.work;
    this.#startBits = start.header.bits;
    this.lastHash = start.hash.slice();
    this.#lastBits = start.header.bits;
    this.#height = start.height;
    this.#work = start.work;
    // No valid chain can have more blocks than 6 a second (the median-time-past rule) from
    // the start's median time past until two hours from now (Core's bound).
    const seconds = Math.max(
      0,
      Math.floor(chain.adjustedTime() / 1000) - start.medianTimePast +
        MAX_FUTURE_BLOCK_TIME_MS / 1000,
    );
    this.#maxCommitments = Math.floor((6 * seconds) / this.#period);
  }

  process(headers: readonly BlockHeader[], hashes: Uint8Array[], full: boolean): PresyncOutcome {
    return this.phase === "presync"
      ? this.#measure(headers, hashes, full)
      : this.#redownload(headers, hashes, full);
  }

  #measure(headers: readonly BlockHeader[], hashes: Uint8Array[], full: boolean): PresyncOutcome {
    if (!hashEquals(headers[0].prevBlock, 0, this.lastHash, 0)) {
      return stop(presyncFailed(`headers at height ${this.#height + 1} do not continue the chain`));
    }
    const params = this.#chain.params;
    for (let i = 0; i < headers.length; i++) {
      const bits = headers[i].bits;
      const height = this.#height + 1;
      // A chain that compresses its work into few blocks breaks the factor-4 clamp.
      if (!permittedDifficultyTransition(params, height, this.#lastBits, bits)) {
        return stop(presyncFailed(`an impossible difficulty change at height ${height}`));
      }
      if (height % this.#period === this.#offset) {
        if (this.#written >= this.#maxCommitments) {
          return stop(presyncFailed(`the chain is longer than any valid chain can be by now`));
        }
        this.#push(this.#commitment(hashes[i]));
      }
      this.#work += this.#targets.proof(bits);
      this.lastHash = hashes[i];
      this.#lastBits = bits;
      this.#height = height;
    }
    if (this.#work >= this.#minimumWork) {
      // Enough work: fetch the same chain again from its start.
      this.phase = "redownload";
      this.lastHash = this.startHash.slice();
      this.#lastBits = this.#startBits;
      this.#height = this.#startHeight;
      this.#work = this.#startWork;
      this.#buffer = new Uint8Array((this.#bufferSize + MAX_BLOCK_HEADERS_PER_MSG) * 80);
      return { release: [], requestMore: true, done: false, error: undefined };
    }
    if (!full) {
      return stop(
        new HeaderError(
          "low-work",
          `The peer's chain ends at height ${this.#height} with too little work to store`,
          { height: this.#height },
        ),
      );
    }
    return { release: [], requestMore: true, done: false, error: undefined };
  }

  #redownload(
    headers: readonly BlockHeader[],
    hashes: Uint8Array[],
    full: boolean,
  ): PresyncOutcome {
    if (!hashEquals(headers[0].prevBlock, 0, this.lastHash, 0)) {
      return stop(presyncFailed(`headers at height ${this.#height + 1} do not continue the chain`));
    }
    const params = this.#chain.params;
    for (let i = 0; i < headers.length; i++) {
      const bits = headers[i].bits;
      const height = this.#height + 1;
      if (!permittedDifficultyTransition(params, height, this.#lastBits, bits)) {
        return stop(presyncFailed(`an impossible difficulty change at height ${height}`));
      }
      this.#work += this.#targets.proof(bits);
      if (this.#work >= this.#minimumWork) this.#processAll = true;
      // Once past the work that was measured, the peer may have grown its chain since: no
      // commitments are left to check, and none are needed.
      if (!this.#processAll && height % this.#period === this.#offset) {
        if (this.#read >= this.#written) {
          return stop(presyncFailed(`more headers than the measured chain at height ${height}`));
        }
        if (this.#commitment(hashes[i]) !== this.#bit(this.#read++)) {
          return stop(presyncFailed(`the chain changed since it was measured (height ${height})`));
        }
      }
      this.#enqueue(headers[i]);
      this.lastHash = hashes[i];
      this.#lastBits = bits;
      this.#height = height;
    }
    const release: BlockHeader[][] = [];
    let batch: BlockHeader[] = [];
    while (this.#size > this.#bufferSize || (this.#size > 0 && this.#processAll)) {
      batch.push(this.#dequeue());
      if (batch.length === MAX_BLOCK_HEADERS_PER_MSG) {
        release.push(batch);
        batch = [];
      }
    }
    if (batch.length > 0) release.push(batch);
    if (this.#processAll && this.#size === 0) {
      // Everything measured is released; a full message means the peer has more, which the
      // chain now takes directly.
      return { release, requestMore: full, done: true, error: undefined };
    }
    if (full) return { release, requestMore: true, done: false, error: undefined };
    // The peer measured a chain with enough work but will not serve all of it again.
    return {
      release,
      requestMore: false,
      done: true,
      error: presyncFailed(`the peer stopped at height ${this.#height} during the redownload`),
    };
  }

  /** One salted bit of a hash: unpredictable to a peer that does not know the salt. */
  #commitment(hash: Uint8Array): number {
    const input = new Uint8Array(48);
    input.set(this.#salt, 0);
    input.set(hash, 16);
    return sha256(input)[0] & 1;
  }

  #push(bit: number): void {
    if (this.#written >> 3 >= this.#bits.length) {
      const grown = new Uint8Array(this.#bits.length * 2);
      grown.set(this.#bits);
      this.#bits = grown;
    }
    if (bit) this.#bits[this.#written >> 3] |= 1 << (this.#written & 7);
    this.#written++;
  }

  #bit(i: number): number {
    return (this.#bits[i >> 3] >> (i & 7)) & 1;
  }

  #enqueue(header: BlockHeader): void {
    const capacity = this.#buffer.length / 80;
    const slot = (this.#head + this.#size) % capacity;
    this.#buffer.set(encodeBlockHeader(header), slot * 80);
    this.#size++;
  }

  #dequeue(): BlockHeader {
    const capacity = this.#buffer.length / 80;
    const header = decodeBlockHeader(this.#buffer.slice(this.#head * 80, this.#head * 80 + 80));
    this.#head = (this.#head + 1) % capacity;
    this.#size--;
    return header;
  }
}

function stop(error: HeaderError): PresyncOutcome {
  return { release: [], requestMore: false, done: true, error };
}

// Why a header was refused. The codes follow Bitcoin Core's reject reasons where Core has one
// (`bad-diffbits`, `time-too-old`, `time-too-new`, `time-timewarp-attack`, `bad-version`,
// `bad-prevblk`); `misbehaving` says whether Core would hold it against the sender
// (`MaybePunishNodeForBlock`, `ProcessHeadersMessage`).

/**
 * Why a header (or a batch of headers) was refused. Stable, machine-readable.
 *
 * - `bad-pow`: the hash is above the target in `bits`, or the target is negative, zero,
 *   overflowing or easier than the network's limit (Core: `high-hash`).
 * - `bad-diffbits`: `bits` is not the difficulty the chain requires at that height.
 * - `time-too-old`: the timestamp is not after the median of the previous 11.
 * - `time-too-new`: the timestamp is more than two hours after the adjusted time (the header
 *   may become valid later: not misbehaviour).
 * - `time-timewarp-attack`: BIP 94: a period's first block is more than 600 seconds before
 *   its parent.
 * - `bad-version`: the version is below what BIP 34, 66 or 65 require at that height.
 * - `bad-prevblk`: the first header's parent is not known (ask again from the chain's
 *   locator; Core no longer punishes it).
 * - `non-continuous`: a header in the batch is not the child of the one before it.
 * - `checkpoint-mismatch`: a header at a checkpoint height has another hash.
 * - `fork-below-checkpoint`: a header forks from the chain below its last checkpoint.
 * - `low-work`: the chain these headers build does not have enough work to be stored
 *   (anti-DoS, not misbehaviour; see {@linkcode HeaderFeed}).
 * - `too-many-headers`: more than 2,000 headers in one batch.
 * - `presync-failed`: the headers presync with this peer gave up (the peer's chain changed
 *   under it or broke a difficulty transition; Core drops the sync without punishing).
 */
export type HeaderErrorCode =
  | "bad-pow"
  | "bad-diffbits"
  | "time-too-old"
  | "time-too-new"
  | "time-timewarp-attack"
  | "bad-version"
  | "bad-prevblk"
  | "non-continuous"
  | "checkpoint-mismatch"
  | "fork-below-checkpoint"
  | "low-work"
  | "too-many-headers"
  | "presync-failed";

const NOT_MISBEHAVIOUR: ReadonlySet<HeaderErrorCode> = new Set<HeaderErrorCode>([
  "time-too-new",
  "bad-prevblk",
  "low-work",
  "presync-failed",
]);

/** Where in a batch a {@linkcode HeaderError} arose. */
export interface HeaderErrorDetails {
  /** Position of the refused header in the batch; -1 when the batch as a whole was refused. */
  readonly index?: number;
  /** The refused header's hash (wire order), when it was computed. */
  readonly hash?: Uint8Array;
  /** The height the refused header would have had, when known. */
  readonly height?: number;
}

/**
 * Why headers were refused: returned (never thrown) by {@linkcode HeaderChain.connect} and
 * {@linkcode HeaderFeed.receive}, so that a caller can log it and treat the sender as
 * misbehaving when `misbehaving` is set.
 *
 * @example
 * ```ts
 * import { HeaderError } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const late = new HeaderError("time-too-new", "Header 3 of 5 is two hours ahead", { index: 3 });
 * assertEquals([late.code, late.misbehaving, late.index], ["time-too-new", false, 3]);
 * assertEquals(new HeaderError("bad-pow", "Header 0 of 1 fails").misbehaving, true);
 * ```
 */
export class HeaderError extends Error {
  /** The machine-readable reason. */
  readonly code: HeaderErrorCode;
  /** Whether Bitcoin Core would count this against the peer that sent the headers. */
  readonly misbehaving: boolean;
  /** Position of the refused header in its batch; -1 for the batch as a whole. */
  readonly index: number;
  /** The refused header's hash, when computed. */
  readonly hash: Uint8Array | undefined;
  /** The height it would have had, when known. */
  readonly height: number | undefined;

  /**
   * Creates an error.
   *
   * @param code The reason.
   * @param message What failed, with the numbers.
   * @param details Which header.
   */
  constructor(code: HeaderErrorCode, message: string, details: HeaderErrorDetails = {}) {
    super(message);
    this.name = "HeaderError";
    this.code = code;
    this.misbehaving = !NOT_MISBEHAVIOUR.has(code);
    this.index = details.index ?? -1;
    this.hash = details.hash;
    this.height = details.height;
  }
}

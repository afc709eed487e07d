// BIP 157 filter headers: each block's filter is committed to by a chain of headers,
// header = dSHA256(dSHA256(filter) || previous header), starting from 32 zero bytes before the
// genesis block. A client learns the chain from `cfcheckpt` (every 1,000th header) and
// `cfheaders` (a range's filter hashes and the header before it), and checks every `cfilter`
// against it. These are the pure checks; nothing here talks to a peer.
import type { CFCheckptMessage, CFHeadersMessage, CFilterMessage } from "../wire/mod.ts";
import { doubleSha256, hashToHex as hex } from "../wire/hash.ts";
import { CF_CHECKPT_INTERVAL } from "../wire/protocol.ts";
import { BASIC_FILTER_TYPE } from "./basic_filter.ts";
import { sameBytes } from "./_bytes.ts";
import { FilterError } from "./errors.ts";

function checkHashArg(what: string, hash: Uint8Array): void {
  if (!(hash instanceof Uint8Array) || hash.length !== 32) {
    throw new TypeError(`Cannot compute filter headers: ${what} must be 32 bytes`);
  }
}

/** Throws `unexpected-response` unless an answer is for the filter type and stop hash asked. */
function checkAsked(
  message: CFHeadersMessage | CFCheckptMessage | CFilterMessage,
  filterType: number | undefined,
  hash: Uint8Array | undefined,
): void {
  const type = filterType ?? BASIC_FILTER_TYPE;
  if (message.filterType !== type) {
    throw new FilterError(
      "unexpected-response",
      `Cannot accept "${message.command}": filter type ${message.filterType}, asked for ${type}`,
    );
  }
  if (hash === undefined) return;
  const [got, what] = message.command === "cfilter"
    ? [message.blockHash, "block"]
    : [message.stopHash, "stop hash"];
  if (!sameBytes(got, hash)) {
    throw new FilterError(
      "unexpected-response",
      `Cannot accept "${message.command}": ${what} ${hex(got)}, asked for ${hex(hash)}`,
    );
  }
}

/**
 * A filter's hash: the double SHA-256 of its serialized bytes (what `cfheaders` lists).
 *
 * @param filter The serialized filter.
 * @returns The 32-byte hash, in wire order.
 *
 * @example
 * ```ts
 * import { filterHash } from "@btcstream/p2p/filters";
 * import { doubleSha256 } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 *
 * const empty = new Uint8Array([0]);
 * assertEquals(filterHash(empty), doubleSha256(empty));
 * ```
 */
export function filterHash(filter: Uint8Array): Uint8Array {
  return doubleSha256(filter);
}

/**
 * A filter header: dSHA256(filter hash || previous filter header), as BIP 157 and Bitcoin
 * Core's `BlockFilter::ComputeHeader`.
 *
 * @param filterHash The block's filter hash ({@linkcode filterHash}).
 * @param previousHeader The previous block's filter header; 32 zero bytes for the genesis
 *   block.
 * @returns The block's filter header, in wire order.
 * @throws {TypeError} When either hash is not 32 bytes.
 *
 * @example
 * ```ts
 * import { filterHash, filterHeader } from "@btcstream/p2p/filters";
 * import { hashToHex } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 *
 * // Testnet3's genesis block: its basic filter and filter header (BIP 158's test vectors).
 * const genesisFilter = new Uint8Array([0x01, 0x9d, 0xfc, 0xa8]);
 * const header = filterHeader(filterHash(genesisFilter), new Uint8Array(32));
 * assertEquals(
 *   hashToHex(header),
 *   "21584579b7eb08997773e5aeff3a7f932700042d0ed2a6129012b7d7ae81b750",
 * );
 * ```
 */
export function filterHeader(filterHash: Uint8Array, previousHeader: Uint8Array): Uint8Array {
  checkHashArg("the filter hash", filterHash);
  checkHashArg("the previous filter header", previousHeader);
  const both = new Uint8Array(64);
  both.set(filterHash);
  both.set(previousHeader, 32);
  return doubleSha256(both);
}

/** What a `cfheaders` answer must agree with: what was asked and what is already known. */
export interface VerifyCFHeadersOptions {
  /** The filter type asked for (default 0, the basic filter). */
  readonly filterType?: number;
  /** The stop hash asked for. */
  readonly stopHash?: Uint8Array;
  /** How many blocks the request covered (stop height − start height + 1). */
  readonly count?: number;
  /** The filter header already known for the block before the range (start height − 1). */
  readonly previousFilterHeader?: Uint8Array;
  /** The height of the range's first block; needed with `checkpoints`. */
  readonly startHeight?: number;
  /**
   * Filter headers at heights 1,000, 2,000, ... (a `cfcheckpt` answer's `filterHeaders`,
   * checked against the other peers'); every one inside the range, or right before it, must
   * equal the header the answer leads to.
   */
  readonly checkpoints?: readonly Uint8Array[];
}

/**
 * Checks a `cfheaders` answer and returns the filter headers it commits to: one per block of
 * the range, each dSHA256(filter hash || previous header), from the answer's
 * `previousFilterHeader`.
 *
 * @param message The `cfheaders` message.
 * @param options What was asked and what is known; each given field is checked.
 * @returns The filter headers of the range's blocks, in height order.
 * @throws {FilterError} `unexpected-response` (another filter type, stop hash or count than
 *   asked), `header-mismatch` (the previous header or a checkpoint disagrees).
 * @throws {TypeError} When `checkpoints` is given without `startHeight`.
 *
 * @example
 * ```ts
 * import { filterHash, filterHeader, verifyCFHeaders } from "@btcstream/p2p/filters";
 * import type { CFHeadersMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 *
 * const previous = new Uint8Array(32);
 * const hashes = [filterHash(new Uint8Array([0])), filterHash(new Uint8Array([0]))];
 * const message: CFHeadersMessage = {
 *   command: "cfheaders",
 *   filterType: 0,
 *   stopHash: new Uint8Array(32).fill(2),
 *   previousFilterHeader: previous,
 *   filterHashes: hashes,
 * };
 * const headers = verifyCFHeaders(message, { count: 2, previousFilterHeader: previous });
 * assertEquals(headers[1], filterHeader(hashes[1], filterHeader(hashes[0], previous)));
 * ```
 */
export function verifyCFHeaders(
  message: CFHeadersMessage,
  options: VerifyCFHeadersOptions = {},
): Uint8Array[] {
  checkAsked(message, options.filterType, options.stopHash);
  const n = message.filterHashes.length;
  if (options.count !== undefined && n !== options.count) {
    throw new FilterError(
      "unexpected-response",
      `Cannot accept "cfheaders": ${n} filter hashes, asked for ${options.count}`,
    );
  }
  if (
    options.previousFilterHeader !== undefined &&
    !sameBytes(message.previousFilterHeader, options.previousFilterHeader)
  ) {
    throw new FilterError(
      "header-mismatch",
      `Cannot accept "cfheaders": previous filter header ${hex(message.previousFilterHeader)}, ` +
        `known ${hex(options.previousFilterHeader)}`,
    );
  }
  const headers = new Array<Uint8Array>(n);
  let previous = message.previousFilterHeader;
  for (let i = 0; i < n; i++) {
    headers[i] = previous = filterHeader(message.filterHashes[i], previous);
  }
  const checkpoints = options.checkpoints;
  if (checkpoints !== undefined) {
    const start = options.startHeight;
    if (start === undefined || !Number.isSafeInteger(start) || start < 1) {
      throw new TypeError(
        "Cannot check cfheaders against checkpoints: startHeight must be a positive integer",
      );
    }
    // Heights start - 1 (the previous header) to start + n - 1.
    const first = Math.max(1, Math.ceil((start - 1) / CF_CHECKPT_INTERVAL));
    const last = Math.floor((start + n - 1) / CF_CHECKPT_INTERVAL);
    for (let k = first; k <= last && k <= checkpoints.length; k++) {
      const height = k * CF_CHECKPT_INTERVAL;
      const ours = height === start - 1 ? message.previousFilterHeader : headers[height - start];
      if (!sameBytes(ours, checkpoints[k - 1])) {
        throw new FilterError(
          "header-mismatch",
          `Cannot accept "cfheaders": the filter header at height ${height} is ${hex(ours)}, ` +
            `the checkpoint ${hex(checkpoints[k - 1])}`,
        );
      }
    }
  }
  return headers;
}

/** What a `cfcheckpt` answer must agree with: what was asked. */
export interface VerifyCFCheckptOptions {
  /** The filter type asked for (default 0, the basic filter). */
  readonly filterType?: number;
  /** The stop hash asked for. */
  readonly stopHash?: Uint8Array;
  /** The stop hash's height: the answer must hold floor(height / 1,000) headers. */
  readonly stopHeight?: number;
}

/**
 * Checks that a `cfcheckpt` answer is for what was asked and returns its filter headers (at
 * heights 1,000, 2,000, ...). Whether they are true is a matter of comparing peers
 * ({@linkcode firstDisagreement}) and of the `cfheaders` they lead to ({@linkcode verifyCFHeaders}).
 *
 * @param message The `cfcheckpt` message.
 * @param options What was asked.
 * @returns The checkpoint filter headers.
 * @throws {FilterError} `unexpected-response`.
 *
 * @example
 * ```ts
 * import { verifyCFCheckpt } from "@btcstream/p2p/filters";
 * import { assertEquals } from "@std/assert";
 *
 * const stopHash = new Uint8Array(32).fill(5);
 * const headers = verifyCFCheckpt(
 *   { command: "cfcheckpt", filterType: 0, stopHash, filterHeaders: [new Uint8Array(32)] },
 *   { stopHash, stopHeight: 1999 },
 * );
 * assertEquals(headers.length, 1);
 * ```
 */
export function verifyCFCheckpt(
  message: CFCheckptMessage,
  options: VerifyCFCheckptOptions = {},
): readonly Uint8Array[] {
  checkAsked(message, options.filterType, options.stopHash);
  if (options.stopHeight !== undefined) {
    const expected = Math.floor(options.stopHeight / CF_CHECKPT_INTERVAL);
    if (message.filterHeaders.length !== expected) {
      throw new FilterError(
        "unexpected-response",
        `Cannot accept "cfcheckpt": ${message.filterHeaders.length} headers, ` +
          `${expected} for a stop height of ${options.stopHeight}`,
      );
    }
  }
  return message.filterHeaders;
}

/**
 * Where two peers' lists of filter headers first differ, over the length they share: how a
 * client compares `cfcheckpt` (or `cfheaders`) answers before it looks for the liar.
 *
 * @param a One list of 32-byte headers.
 * @param b Another.
 * @returns The first index where they differ, or -1 when they agree on their common prefix.
 *
 * @example
 * ```ts
 * import { firstDisagreement } from "@btcstream/p2p/filters";
 * import { assertEquals } from "@std/assert";
 *
 * const x = new Uint8Array(32), y = new Uint8Array(32).fill(1);
 * assertEquals(firstDisagreement([x, x, y], [x, x]), -1);
 * assertEquals(firstDisagreement([x, x, y], [x, y, y]), 1);
 * ```
 */
export function firstDisagreement(a: readonly Uint8Array[], b: readonly Uint8Array[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (!sameBytes(a[i], b[i])) return i;
  return -1;
}

/** What a `cfilter` answer must agree with: what was asked and the filter header chain. */
export interface VerifyCFilterOptions {
  /** The filter type asked for (default 0, the basic filter). */
  readonly filterType?: number;
  /** The block asked for (wire order). */
  readonly blockHash?: Uint8Array;
  /** The block's filter hash, from a checked `cfheaders` answer. */
  readonly filterHash?: Uint8Array;
  /** The block's filter header; checked together with `previousFilterHeader`. */
  readonly filterHeader?: Uint8Array;
  /** The previous block's filter header; needed with `filterHeader`. */
  readonly previousFilterHeader?: Uint8Array;
}

/**
 * Checks a received `cfilter` against what was asked and what the filter header chain commits
 * to: its hash must be the block's filter hash, or, given the block's filter header and the
 * one before it, dSHA256(its hash || previous) must be the block's header.
 *
 * The filter's own encoding is checked when it is matched ({@linkcode matchFilterAny}); a filter
 * that agrees with an honest header chain is well formed.
 *
 * @param message The `cfilter` message.
 * @param options The expected block, filter hash or filter headers.
 * @throws {FilterError} `unexpected-response` (filter type or block), `header-mismatch`.
 * @throws {TypeError} When `filterHeader` is given without `previousFilterHeader`.
 *
 * @example
 * ```ts
 * import { FilterError, filterHash, verifyCFilter } from "@btcstream/p2p/filters";
 * import type { CFilterMessage } from "@btcstream/p2p/wire";
 * import { assertThrows } from "@std/assert";
 *
 * const blockHash = new Uint8Array(32).fill(3);
 * const message: CFilterMessage = {
 *   command: "cfilter",
 *   filterType: 0,
 *   blockHash,
 *   filter: new Uint8Array([0]),
 * };
 * verifyCFilter(message, { blockHash, filterHash: filterHash(new Uint8Array([0])) });
 * assertThrows(
 *   () => verifyCFilter(message, { blockHash, filterHash: new Uint8Array(32) }),
 *   FilterError,
 * );
 * ```
 */
export function verifyCFilter(message: CFilterMessage, options: VerifyCFilterOptions = {}): void {
  checkAsked(message, options.filterType, options.blockHash);
  if (options.filterHeader !== undefined && options.previousFilterHeader === undefined) {
    throw new TypeError("Cannot check a cfilter's header without the previous filter header");
  }
  if (options.filterHash === undefined && options.filterHeader === undefined) return;
  const hash = filterHash(message.filter);
  if (options.filterHash !== undefined && !sameBytes(hash, options.filterHash)) {
    throw new FilterError(
      "header-mismatch",
      `Cannot accept "cfilter" for block ${hex(message.blockHash)}: its hash ${hex(hash)}, ` +
        `the filter headers commit to ${hex(options.filterHash)}`,
    );
  }
  if (options.filterHeader !== undefined) {
    const header = filterHeader(hash, options.previousFilterHeader!);
    if (!sameBytes(header, options.filterHeader)) {
      throw new FilterError(
        "header-mismatch",
        `Cannot accept "cfilter" for block ${hex(message.blockHash)}: it leads to the filter ` +
          `header ${hex(header)}, not ${hex(options.filterHeader)}`,
      );
    }
  }
}

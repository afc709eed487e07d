/**
 * Why a compact block filter, or a filter header answer, was refused. Stable, machine-readable.
 *
 * About a filter's bytes (BIP 158):
 * - `truncated`: the bytes ended before the filter's N elements did, or N is more than the
 *   bytes could hold (every element takes at least P + 1 bits).
 * - `non-canonical-varint`: N's CompactSize used more bytes than its value needs.
 * - `limit-exceeded`: N is 2^32 or more (Bitcoin Core's bound).
 * - `trailing-bytes`: whole bytes are left after the N-th element.
 * - `value-out-of-range`: the deltas add up to F = N * M or more, which no filter built by
 *   BIP 158's rules can hold.
 *
 * About what a peer sent (BIP 157):
 * - `unexpected-response`: the answer is not for what was asked (filter type, block or stop
 *   hash, number of entries).
 * - `header-mismatch`: the filter headers or hashes disagree with a header already known (the
 *   previous filter header, a checkpoint, the filter header of the block).
 */
export type FilterErrorCode =
  | "truncated"
  | "non-canonical-varint"
  | "limit-exceeded"
  | "trailing-bytes"
  | "value-out-of-range"
  | "unexpected-response"
  | "header-mismatch";

/**
 * A compact block filter, or a BIP 157 answer about filters, that is malformed or does not
 * agree with what is known. Remote input never makes this module throw anything else.
 *
 * @example
 * ```ts
 * import { FilterError, matchFilterAny } from "@btcstream/p2p/filters";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * // N = 5 elements cannot fit in two bytes (each needs at least 20 bits).
 * const error = assertThrows(
 *   () => matchFilterAny(new Uint8Array([5, 0xff, 0xff]), new Uint8Array(32), []),
 *   FilterError,
 * );
 * assertEquals(error.code, "truncated");
 * ```
 */
export class FilterError extends Error {
  /** The machine-readable reason. */
  readonly code: FilterErrorCode;

  /**
   * Creates an error.
   *
   * @param code The machine-readable reason.
   * @param message What failed, with the numbers.
   */
  constructor(code: FilterErrorCode, message: string) {
    super(message);
    this.name = "FilterError";
    this.code = code;
  }
}

// Checking a filter against its block: how a BIP 157 client finds out which of two peers with
// different filter headers lies. It fetches the block (checked against the header chain by
// its hash and merkle root) and the disputed filter, and tests the filter against the block.
import { blockHash } from "../wire/block_header.ts";
import { type Block, checkMerkleRoot } from "../wire/block.ts";
import { buildGcs, gcsMatchAll } from "./_gcs.ts";
import { sameBytes } from "./_bytes.ts";
import { BASIC_PARAMS, basicFilterElements, collectOutputScripts } from "./basic_filter.ts";
import { FilterError } from "./errors.ts";

/**
 * What a block says about a filter claimed for it.
 *
 * - `match`: the filter is the block's basic filter, byte for byte (checked with the spent
 *   scripts).
 * - `consistent`: without the spent scripts, only the outputs can be checked, and every output
 *   script the filter must hold is in it (its input part is unchecked).
 * - `mismatch`: the filter is provably not the block's: different bytes, a missing output
 *   script, or malformed.
 * - `bad-block`: the block is not the one asked for (another hash, or transactions its merkle
 *   root does not commit to), so it says nothing about the filter.
 */
export type BlockFilterVerdict = "match" | "consistent" | "mismatch" | "bad-block";

/** Options for {@linkcode checkBlockFilter}. */
export interface CheckBlockFilterOptions {
  /**
   * The scripts of the outputs the block's inputs spend, one per input of every transaction but
   * the coinbase, in block order. Without them only the outputs are checked.
   */
  readonly prevOutputScripts?: readonly Uint8Array[];
  /** The hash the block must have (from the header chain), in wire order. */
  readonly blockHash?: Uint8Array;
}

/**
 * Tests a basic filter against the block it is claimed for.
 *
 * With the spent scripts, the filter is built from the block and compared byte for byte. With
 * only the block, every output script that BIP 158 puts in the filter (not empty, not
 * OP_RETURN) must match it, in one walk of the filter: a filter that omits one is provably
 * wrong, one that holds them all may still lie about the inputs. The block is first checked
 * against its header with `checkMerkleRoot` (and its hash against `blockHash`, when given).
 *
 * @param filter The serialized filter claimed for the block.
 * @param block The block, as fetched.
 * @param options The spent scripts, and the hash the block must have.
 * @returns The verdict.
 * @throws {RangeError} When `prevOutputScripts` does not have one script per spending input.
 *
 * @example
 * ```ts
 * import { buildBasicFilter, checkBlockFilter } from "@btcstream/p2p/filters";
 * import { type Block, merkleRoot, txid } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 *
 * const coinbase = {
 *   version: 1,
 *   inputs: [{
 *     previousOutput: { hash: new Uint8Array(32), index: 0xffffffff },
 *     signatureScript: new Uint8Array([1, 1]),
 *     sequence: 0xffffffff,
 *     witness: [],
 *   }],
 *   outputs: [{ value: 50n, pkScript: new Uint8Array([0x51, 0x20, ...new Uint8Array(32)]) }],
 *   lockTime: 0,
 * };
 * const block: Block = {
 *   header: {
 *     version: 1,
 *     prevBlock: new Uint8Array(32),
 *     merkleRoot: merkleRoot([txid(coinbase)]),
 *     timestamp: 0,
 *     bits: 0,
 *     nonce: 0,
 *   },
 *   transactions: [coinbase],
 * };
 * const honest = buildBasicFilter(block, []);
 * assertEquals(checkBlockFilter(honest, block, { prevOutputScripts: [] }), "match");
 * assertEquals(checkBlockFilter(honest, block), "consistent");
 * assertEquals(checkBlockFilter(new Uint8Array([0]), block), "mismatch"); // the empty filter
 * ```
 */
export function checkBlockFilter(
  filter: Uint8Array,
  block: Block,
  options: CheckBlockFilterOptions = {},
): BlockFilterVerdict {
  const key = blockHash(block.header);
  if (options.blockHash !== undefined && !sameBytes(key, options.blockHash)) return "bad-block";
  if (!checkMerkleRoot(block)) return "bad-block";
  const prevOutputScripts = options.prevOutputScripts;
  if (prevOutputScripts !== undefined) {
    const built = buildGcs(basicFilterElements(block, prevOutputScripts), key, BASIC_PARAMS);
    return sameBytes(built, filter) ? "match" : "mismatch";
  }
  const outputs: Uint8Array[] = [];
  collectOutputScripts(block, outputs);
  try {
    return gcsMatchAll(filter, key, outputs, BASIC_PARAMS) ? "consistent" : "mismatch";
  } catch (e) {
    // A malformed filter is not the block's: BIP 158's construction never makes one.
    if (e instanceof FilterError) return "mismatch";
    throw e;
  }
}

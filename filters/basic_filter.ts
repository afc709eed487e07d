// BIP 158's basic filter (type 0): every output script of a block but OP_RETURN and empty ones,
// and every script the block's inputs spend but empty ones, as a Golomb-coded set with P = 19,
// M = 784,931, keyed by the block hash. As Bitcoin Core's `BasicFilterElements` and
// `BlockFilter` (`src/blockfilter.cpp`).
import { blockHash } from "../wire/block_header.ts";
import type { Block } from "../wire/block.ts";
import { buildGcs, type GcsParams } from "./_gcs.ts";

/** The filter type of BIP 158's basic filter, as `getcfilters` and `cfilter` carry it. */
export const BASIC_FILTER_TYPE = 0;
/** BIP 158 basic filter: the Golomb-Rice parameter P (remainder bits). */
export const BASIC_FILTER_P = 19;
/** BIP 158 basic filter: M, the inverse of the false-positive rate (1 / 784,931). */
export const BASIC_FILTER_M = 784_931;

/** The basic filter's parameters. */
export const BASIC_PARAMS: GcsParams = { p: BASIC_FILTER_P, m: BASIC_FILTER_M };

const OP_RETURN = 0x6a;

/**
 * The output scripts of a block that go in its basic filter: all but empty and OP_RETURN ones
 * (as Bitcoin Core: `script.empty() || script[0] == OP_RETURN`).
 *
 * @param block The block.
 * @param into Where to append them.
 * @returns How many inputs the block's non-coinbase transactions have.
 */
export function collectOutputScripts(block: Block, into: Uint8Array[]): number {
  let inputs = 0;
  const txs = block.transactions;
  for (let t = 0; t < txs.length; t++) {
    const tx = txs[t];
    if (t > 0) inputs += tx.inputs.length;
    for (const output of tx.outputs) {
      const script = output.pkScript;
      if (script.length > 0 && script[0] !== OP_RETURN) into.push(script);
    }
  }
  return inputs;
}

/**
 * The elements of a block's basic filter, before deduplication: output scripts that are not
 * empty and do not start with OP_RETURN, then the spent scripts that are not empty.
 *
 * @param block The block.
 * @param prevOutputScripts The scripts of the outputs the block's inputs spend, one per input
 *   of every transaction but the coinbase, in block order (as BIP 158's test vectors list them).
 * @returns The scripts (views, not copies).
 * @throws {RangeError} When `prevOutputScripts` does not have one script per spending input.
 *
 * @example
 * ```ts
 * import { basicFilterElements } from "@btcstream/p2p/filters";
 * import type { Block } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 *
 * const p2pkh = new Uint8Array([0x76, 0xa9, 0x14, ...new Uint8Array(20), 0x88, 0xac]);
 * const block: Block = {
 *   header: {
 *     version: 1,
 *     prevBlock: new Uint8Array(32),
 *     merkleRoot: new Uint8Array(32),
 *     timestamp: 0,
 *     bits: 0,
 *     nonce: 0,
 *   },
 *   transactions: [{
 *     version: 1,
 *     inputs: [],
 *     outputs: [
 *       { value: 1n, pkScript: p2pkh },
 *       { value: 0n, pkScript: new Uint8Array([0x6a, 0x01, 0x00]) }, // OP_RETURN: left out
 *       { value: 0n, pkScript: new Uint8Array() }, // empty: left out
 *     ],
 *     lockTime: 0,
 *   }],
 * };
 * assertEquals(basicFilterElements(block, []), [p2pkh]);
 * ```
 */
export function basicFilterElements(
  block: Block,
  prevOutputScripts: readonly Uint8Array[],
): Uint8Array[] {
  const elements: Uint8Array[] = [];
  const inputs = collectOutputScripts(block, elements);
  if (prevOutputScripts.length !== inputs) {
    throw new RangeError(
      `Cannot build a basic filter: ${prevOutputScripts.length} spent scripts given, ` +
        `the block's non-coinbase transactions have ${inputs} inputs`,
    );
  }
  for (const script of prevOutputScripts) if (script.length > 0) elements.push(script);
  return elements;
}

/**
 * Builds a block's BIP 158 basic filter.
 *
 * @param block The block (from `decodeBlock`, or built).
 * @param prevOutputScripts The scripts of the outputs the block's inputs spend, one per input
 *   of every transaction but the coinbase, in block order. Only their set matters to the
 *   filter; the count is checked to catch a list that belongs to another block.
 * @returns The serialized filter, as a `cfilter` message carries it.
 * @throws {RangeError} When `prevOutputScripts` does not have one script per spending input.
 *
 * @example
 * ```ts
 * import { buildBasicFilter, matchFilter } from "@btcstream/p2p/filters";
 * import { blockHash, type Block } from "@btcstream/p2p/wire";
 * import { assert, assertFalse } from "@std/assert";
 *
 * const payTo = new Uint8Array([0x51, 0x20, ...new Uint8Array(32).fill(7)]); // a P2TR output
 * const block: Block = {
 *   header: {
 *     version: 1,
 *     prevBlock: new Uint8Array(32),
 *     merkleRoot: new Uint8Array(32),
 *     timestamp: 0,
 *     bits: 0,
 *     nonce: 0,
 *   },
 *   transactions: [{
 *     version: 1,
 *     inputs: [{
 *       previousOutput: { hash: new Uint8Array(32), index: 0xffffffff },
 *       signatureScript: new Uint8Array([1, 1]),
 *       sequence: 0xffffffff,
 *       witness: [],
 *     }],
 *     outputs: [{ value: 50n, pkScript: payTo }],
 *     lockTime: 0,
 *   }],
 * };
 * const filter = buildBasicFilter(block, []); // a coinbase spends nothing
 * const hash = blockHash(block.header);
 * assert(matchFilter(filter, hash, payTo));
 * assertFalse(matchFilter(filter, hash, new Uint8Array([0x51])));
 * ```
 */
export function buildBasicFilter(
  block: Block,
  prevOutputScripts: readonly Uint8Array[],
): Uint8Array {
  return buildGcs(
    basicFilterElements(block, prevOutputScripts),
    blockHash(block.header),
    BASIC_PARAMS,
  );
}

// A block's verdict on a filter claimed for it (BIP 157's "find the liar" step), on a real
// mainnet block and on built ones.
import { assertEquals, assertThrows } from "@std/assert";
import { buildBasicFilter, checkBlockFilter } from "../../filters/mod.ts";
import { buildGcs } from "../../filters/_gcs.ts";
import { BASIC_PARAMS, basicFilterElements } from "../../filters/basic_filter.ts";
import { type Block, blockHash, decodeBlock, merkleRoot, type Tx, txid } from "../../wire/mod.ts";
import { dataStep, readShared } from "../_util/shared_data.ts";

function tx(outputs: Uint8Array[], inputs = 1): Tx {
  return {
    version: 1,
    inputs: Array.from({ length: inputs }, (_, i) => ({
      previousOutput: { hash: new Uint8Array(32).fill(i + 1), index: i },
      signatureScript: new Uint8Array([i]),
      sequence: 0xffffffff,
      witness: [],
    })),
    outputs: outputs.map((pkScript) => ({ value: 1000n, pkScript })),
    lockTime: 0,
  };
}

function blockOf(txs: Tx[]): Block {
  const header = {
    version: 1,
    prevBlock: new Uint8Array(32),
    merkleRoot: merkleRoot(txs.map(txid)),
    timestamp: 1_700_000_000,
    bits: 0x207fffff,
    nonce: 0,
  };
  return { header, transactions: txs };
}

const P2WPKH = (b: number) => new Uint8Array([0x00, 0x14, ...new Uint8Array(20).fill(b)]);

Deno.test("checkBlockFilter", async (t) => {
  const block = blockOf([
    tx([P2WPKH(1), new Uint8Array([0x6a, 4, 1, 2, 3, 4])]),
    tx([P2WPKH(2), P2WPKH(3)], 2),
    tx([new Uint8Array(), P2WPKH(2)]),
  ]);
  const spent = [P2WPKH(7), new Uint8Array(), P2WPKH(8)];
  const honest = buildBasicFilter(block, spent);
  const key = blockHash(block.header);

  await t.step("the honest filter: match with the spent scripts, consistent without", () => {
    assertEquals(
      checkBlockFilter(honest, block, { prevOutputScripts: spent, blockHash: key }),
      "match",
    );
    assertEquals(checkBlockFilter(honest, block, { blockHash: key }), "consistent");
  });

  await t.step("a filter that leaves out an output is a mismatch either way", () => {
    const elements = basicFilterElements(block, spent).filter((e) => e.join() !== P2WPKH(3).join());
    const liar = buildGcs(elements, key, BASIC_PARAMS);
    assertEquals(checkBlockFilter(liar, block, { prevOutputScripts: spent }), "mismatch");
    assertEquals(checkBlockFilter(liar, block), "mismatch");
  });

  await t.step("one that lies only about the inputs is caught with the spent scripts", () => {
    const liar = buildBasicFilter(block, [P2WPKH(7), new Uint8Array(), P2WPKH(9)]);
    assertEquals(checkBlockFilter(liar, block, { prevOutputScripts: spent }), "mismatch");
    assertEquals(checkBlockFilter(liar, block), "consistent");
  });

  await t.step("a malformed filter is a mismatch, not an exception", () => {
    for (const bad of [new Uint8Array(), new Uint8Array([9, 1]), new Uint8Array([...honest, 0])]) {
      assertEquals(checkBlockFilter(bad, block), "mismatch");
      assertEquals(checkBlockFilter(bad, block, { prevOutputScripts: spent }), "mismatch");
    }
  });

  await t.step("a block that is not the one asked for says nothing: bad-block", () => {
    assertEquals(checkBlockFilter(honest, block, { blockHash: new Uint8Array(32) }), "bad-block");
    // Transactions the header does not commit to.
    const swapped: Block = { header: block.header, transactions: block.transactions.slice(0, 2) };
    assertEquals(checkBlockFilter(honest, swapped), "bad-block");
  });

  await t.step("spent scripts that do not fit the block are the caller's error", () => {
    assertThrows(
      () => checkBlockFilter(honest, block, { prevOutputScripts: spent.slice(1) }),
      RangeError,
    );
  });

  await t.step(dataStep("a real 1.2 MB mainnet block, with made-up spent scripts", () => {
    const real = decodeBlock(
      readShared("block-0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2.blk"),
    );
    let inputs = 0;
    for (const t of real.transactions.slice(1)) inputs += t.inputs.length;
    const fakeSpent = Array.from(
      { length: inputs },
      (_, i) => new Uint8Array([0x51, 0x20, i & 0xff, i >> 8, i >> 16]),
    );
    const filter = buildBasicFilter(real, fakeSpent);
    assertEquals(checkBlockFilter(filter, real, { prevOutputScripts: fakeSpent }), "match");
    assertEquals(checkBlockFilter(filter, real), "consistent");
    const withoutSpent = buildBasicFilter(real, fakeSpent.map(() => new Uint8Array()));
    assertEquals(checkBlockFilter(withoutSpent, real), "consistent");
    assertEquals(
      checkBlockFilter(withoutSpent, real, { prevOutputScripts: fakeSpent }),
      "mismatch",
    );
  }));
});

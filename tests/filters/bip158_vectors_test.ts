// BIP 158's test vectors (real testnet3 blocks chosen for edge cases): each row's filter built
// from the block and its spent scripts, byte for byte; its filter header from the previous one;
// every element it holds matched, and random scripts mostly not.
import { assert, assertEquals, assertFalse } from "@std/assert";
import { bytesToHex, decodeBlock, hashToHex, hexToBytes, hexToHash } from "../../wire/mod.ts";
import {
  basicFilterElements,
  buildBasicFilter,
  checkBlockFilter,
  filterElementCount,
  filterHash,
  filterHeader,
  matchFilter,
  matchFilterAny,
} from "../../filters/mod.ts";
import { dataTest, HAVE_SHARED_DATA, SHARED_DATA } from "../_util/shared_data.ts";

interface Row {
  height: number;
  blockHash: string;
  block: Uint8Array;
  prevOutputScripts: Uint8Array[];
  previousHeader: string;
  filter: string;
  header: string;
  notes: string;
}

function loadRows(): Row[] {
  if (!HAVE_SHARED_DATA) return [];
  const json = JSON.parse(
    Deno.readTextFileSync(new URL("vectors/bip158/testnet-19.json", SHARED_DATA)),
  ) as unknown[][];
  // The first row names the columns.
  return json.slice(1).map((r) => ({
    height: r[0] as number,
    blockHash: r[1] as string,
    block: hexToBytes(r[2] as string),
    prevOutputScripts: (r[3] as string[]).map(hexToBytes),
    previousHeader: r[4] as string,
    filter: r[5] as string,
    header: r[6] as string,
    notes: r[7] as string,
  }));
}

// A deterministic generator, so that a failure can be replayed.
function xorshift(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

Deno.test(dataTest("BIP 158 test vectors", async (t) => {
  const rows = loadRows();
  assertEquals(rows.length, 10);
  for (const row of rows) {
    await t.step(`block ${row.height}${row.notes ? ` (${row.notes})` : ""}`, () => {
      const block = decodeBlock(row.block);
      const hash = hexToHash(row.blockHash);
      const filter = buildBasicFilter(block, row.prevOutputScripts);
      assertEquals(bytesToHex(filter), row.filter);
      assertEquals(
        hashToHex(filterHeader(filterHash(filter), hexToHash(row.previousHeader))),
        row.header,
      );

      // Every element matches, one at a time and all together.
      const elements = basicFilterElements(block, row.prevOutputScripts);
      for (const e of elements) assert(matchFilter(filter, hash, e));
      assertEquals(matchFilterAny(filter, hash, elements), elements.length > 0);
      assertEquals(filterElementCount(filter), new Set(elements.map((e) => e.join())).size);

      // What BIP 158 leaves out is not matched (unless a false positive, ~1 in 784,931).
      for (const tx of block.transactions) {
        for (const output of tx.outputs) {
          const script = output.pkScript;
          if (script.length > 0 && script[0] !== 0x6a) continue;
          if (elements.some((e) => e.join() === script.join())) continue;
          assertFalse(matchFilter(filter, hash, script), "an OP_RETURN or empty output matched");
        }
      }

      // Random scripts: the false-positive rate is 1/M per script; 10,000 random P2WPKH-sized
      // scripts against this filter should give none or a handful (a sanity bound, not a timing).
      const next = xorshift(row.height + 1);
      let falsePositives = 0;
      const randoms: Uint8Array[] = [];
      for (let i = 0; i < 10_000; i++) {
        const s = new Uint8Array(22);
        for (let j = 0; j < 22; j += 4) {
          const w = next();
          s[j] = w;
          s[j + 1] = w >>> 8;
          if (j + 2 < 22) s[j + 2] = w >>> 16;
          if (j + 3 < 22) s[j + 3] = w >>> 24;
        }
        randoms.push(s);
        if (matchFilter(filter, hash, s)) falsePositives++;
      }
      assert(falsePositives <= 3, `${falsePositives} false positives in 10,000`);
      assertEquals(matchFilterAny(filter, hash, randoms), falsePositives > 0);
      // With one real element among them, matchFilterAny finds it.
      if (elements.length > 0) assert(matchFilterAny(filter, hash, [...randoms, elements[0]]));

      // The block confirms its own filter, with and without the spent scripts.
      const published = hexToBytes(row.filter);
      assertEquals(
        checkBlockFilter(published, block, {
          prevOutputScripts: row.prevOutputScripts,
          blockHash: hash,
        }),
        "match",
      );
      assertEquals(checkBlockFilter(published, block, { blockHash: hash }), "consistent");
    });
  }

  await t.step("consecutive rows chain: block 3's previous header is block 2's header", () => {
    const two = rows.find((r) => r.height === 2)!, three = rows.find((r) => r.height === 3)!;
    assertEquals(three.previousHeader, two.header);
  });

  await t.step("a filter checked against the wrong block is a mismatch", () => {
    const a = rows.find((r) => r.height === 49291)!, b = rows.find((r) => r.height === 180480)!;
    const blockB = decodeBlock(b.block);
    const filterA = hexToBytes(a.filter);
    assertEquals(
      checkBlockFilter(filterA, blockB, { prevOutputScripts: b.prevOutputScripts }),
      "mismatch",
    );
    assertEquals(checkBlockFilter(filterA, blockB), "mismatch");
  });
}));

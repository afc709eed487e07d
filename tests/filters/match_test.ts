// Matching: for random sets, every member matches; matchFilterAny agrees with a loop of match; the
// sorted merge agrees with a plain search of the decoded values.
import { assert, assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import { decodeGcs } from "../../filters/_gcs.ts";
import { RangeHasher } from "../../filters/_range.ts";
import { BASIC_FILTER_M, BASIC_PARAMS } from "../../filters/basic_filter.ts";
import { buildGcs } from "../../filters/_gcs.ts";
import { matchFilter, matchFilterAny } from "../../filters/match.ts";

const script = fc.uint8Array({ minLength: 1, maxLength: 40 });
const blockHash = fc.uint8Array({ minLength: 32, maxLength: 32 });

Deno.test("match and matchFilterAny", async (t) => {
  await t.step("every member of a random set matches", () => {
    fc.assert(
      fc.property(blockHash, fc.array(script, { maxLength: 300 }), (hash, members) => {
        const filter = buildGcs(members, hash, BASIC_PARAMS);
        for (const m of members) assert(matchFilter(filter, hash, m));
        assertEquals(matchFilterAny(filter, hash, members), members.length > 0);
      }),
      { numRuns: 150 },
    );
  });

  await t.step("matchFilterAny is a loop of match, and a search of the decoded values", () => {
    fc.assert(
      fc.property(
        blockHash,
        fc.array(script, { maxLength: 200 }),
        fc.array(script, { maxLength: 50 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (hash, members, others, picks) => {
          const filter = buildGcs(members, hash, BASIC_PARAMS);
          // Queries: random scripts, sometimes with a member or two among them.
          const queries = [
            ...others,
            ...(members.length > 0 ? picks.map((i) => members[i % members.length]) : []),
          ];
          const loop = queries.some((q) => matchFilter(filter, hash, q));
          assertEquals(matchFilterAny(filter, hash, queries), loop);
          // At most 200 members: N is the filter's first byte.
          const values = new Set(decodeGcs(filter, BASIC_PARAMS));
          const hasher = new RangeHasher(hash, filter[0] * BASIC_FILTER_M);
          assertEquals(loop, queries.some((q) => values.has(hasher.hash(q))));
        },
      ),
      { numRuns: 300 },
    );
  });

  await t.step("the block hash is the key: another block's hash finds nothing", () => {
    const members = Array.from({ length: 100 }, (_, i) => new Uint8Array([0x00, 0x14, i]));
    const filter = buildGcs(members, new Uint8Array(32).fill(1), BASIC_PARAMS);
    const other = new Uint8Array(32).fill(2);
    // 1 in 7,849 for 100 members; fixed inputs, so this is deterministic.
    assertEquals(matchFilterAny(filter, other, members), false);
    assert(matchFilterAny(filter, new Uint8Array(32).fill(1), members));
  });

  await t.step("only the first 16 bytes of the block hash key the filter (BIP 158)", () => {
    const members = [new Uint8Array([1, 2, 3])];
    const key = new Uint8Array(32).fill(4);
    const filter = buildGcs(members, key, BASIC_PARAMS);
    const sameFirstHalf = key.slice();
    sameFirstHalf.fill(9, 16);
    assert(matchFilter(filter, sameFirstHalf, members[0]));
  });

  await t.step("the empty filter and the empty query list match nothing", () => {
    const hash = new Uint8Array(32);
    assertEquals(matchFilterAny(new Uint8Array([0]), hash, [new Uint8Array([1])]), false);
    const filter = buildGcs([new Uint8Array([1])], hash, BASIC_PARAMS);
    assertEquals(matchFilterAny(filter, hash, []), false);
  });

  await t.step("a block hash that is not 32 bytes is a TypeError", () => {
    assertThrows(
      () => matchFilter(new Uint8Array([0]), new Uint8Array(31), new Uint8Array()),
      TypeError,
    );
    assertThrows(() => matchFilterAny(new Uint8Array([0]), new Uint8Array(33), []), TypeError);
  });
});

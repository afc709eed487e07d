// The hash-to-range map, floor(hash * F / 2^64), computed without BigInt, against BigInt.
import { assertEquals } from "@std/assert";
import fc from "fast-check";
import { mapIntoRange, RangeHasher } from "../../filters/_range.ts";
import { BASIC_FILTER_M } from "../../filters/basic_filter.ts";
import { mapIntoRangeReference, sipHashReference } from "./_reference.ts";

function fast(hash: bigint, f: number): number {
  return mapIntoRange(
    Number(hash >> 32n),
    Number(hash & 0xffff_ffffn),
    Math.floor(f / 2 ** 32),
    f % 2 ** 32,
  );
}

const MAX_F = (2 ** 32 - 1) * BASIC_FILTER_M; // the largest basic filter's F: N < 2^32

Deno.test("hash to range", async (t) => {
  await t.step("edge values", () => {
    const hashes = [
      0n,
      1n,
      2n ** 32n - 1n,
      2n ** 32n,
      2n ** 63n,
      2n ** 64n - 1n,
      0xdeadbeefcafebaben,
    ];
    const fs = [0, 1, BASIC_FILTER_M, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, MAX_F, 2 ** 53 - 1];
    for (const h of hashes) {
      for (const f of fs) {
        assertEquals(BigInt(fast(h, f)), mapIntoRangeReference(h, BigInt(f)), `${h} * ${f}`);
      }
    }
  });

  await t.step("random hashes and F below 2^53 agree with BigInt", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.oneof(
          fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((n) => n * BASIC_FILTER_M),
          fc.maxSafeNat(),
        ),
        (h, f) => BigInt(fast(h, f)) === mapIntoRangeReference(h, BigInt(f)),
      ),
      { numRuns: 20_000 },
    );
  });

  await t.step("RangeHasher is SipHash then the map", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 200_000 }),
        fc.uint8Array({ maxLength: 80 }),
        (blockHash, n, script) => {
          const f = n * BASIC_FILTER_M;
          const expected = mapIntoRangeReference(sipHashReference(blockHash, script), BigInt(f));
          return BigInt(new RangeHasher(blockHash, f).hash(script)) === expected;
        },
      ),
      { numRuns: 2000 },
    );
  });
});

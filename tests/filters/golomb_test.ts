// Golomb-Rice coded sets: the encoder against a bit-by-bit reference, the reader against every
// kind of hostile filter (typed errors only, nothing else thrown, nothing allocated from N).
import { assert, assertEquals } from "@std/assert";
import fc from "fast-check";
import { assertFilterError } from "../_util/assert_code.ts";
import { FilterError } from "../../filters/errors.ts";
import { encodeGolombRice, readFilterCount } from "../../filters/_golomb.ts";
import {
  buildGcs,
  buildGcsFromHashes,
  decodeGcs,
  gcsMatchAll,
  gcsMatchAny,
  validateGcs,
} from "../../filters/_gcs.ts";
import { BASIC_PARAMS } from "../../filters/basic_filter.ts";
import { buildGcsReference, encodeValuesReference } from "./_reference.ts";

const { p: P, m: M } = BASIC_PARAMS;

/** Only a FilterError may come out of `fn`. */
function onlyFilterErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
  }
}

// Sorted values below F = n * M, as a filter of n elements holds.
const valueSet = fc.integer({ min: 0, max: 300 }).chain((n) =>
  fc.array(fc.integer({ min: 0, max: Math.max(0, n * M - 1) }), { minLength: n, maxLength: n })
    .map((vs) => vs.sort((a, b) => a - b))
);

Deno.test("Golomb-Rice encoding", async (t) => {
  await t.step("agrees bit for bit with the reference, and decodes back", () => {
    fc.assert(
      fc.property(valueSet, (values) => {
        const bytes = encodeGolombRice(Float64Array.from(values), P);
        assertEquals(bytes, encodeValuesReference(values.map(BigInt), P));
        assertEquals(Array.from(decodeGcs(bytes, BASIC_PARAMS)), values);
      }),
      { numRuns: 300 },
    );
  });

  await t.step("quotients longer than a 32-bit window, and P from 1 to 24", () => {
    for (const p of [1, 2, 7, 8, 19, 24]) {
      // Deltas with quotients 0, 1, 31, 32, 33, 100 and 300.
      const deltas = [0, 1, 31, 32, 33, 100, 300].map((q) => q * 2 ** p + (2 ** p - 1));
      const values: number[] = [];
      let v = 0;
      for (const d of deltas) values.push(v += d);
      const m = Math.ceil((v + 1) / values.length) + 1;
      const bytes = encodeGolombRice(Float64Array.from(values), p);
      assertEquals(bytes, encodeValuesReference(values.map(BigInt), p));
      assertEquals(Array.from(decodeGcs(bytes, { p, m })), values);
    }
  });

  await t.step("CompactSize N of 3 and 5 bytes", () => {
    const heads: [number, number[]][] = [
      [252, [252]],
      [253, [0xfd, 253, 0]],
      [0xffff, [0xfd, 0xff, 0xff]],
      [0x10000, [0xfe, 0, 0, 1, 0]],
    ];
    for (const [n, head] of heads) {
      const values = Float64Array.from({ length: n }, (_, i) => i * M);
      const bytes = encodeGolombRice(values, P);
      assertEquals(Array.from(bytes.subarray(0, head.length)), head);
      assertEquals(readFilterCount(bytes, P), { n, offset: head.length });
      assertEquals(validateGcs(bytes, BASIC_PARAMS), n);
    }
  });
});

Deno.test("building a set", async (t) => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i * 7);

  await t.step(
    "agrees with the reference builder on random element lists, duplicates included",
    () => {
      fc.assert(
        fc.property(
          fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 200 }),
          fc.array(fc.nat(), { maxLength: 30 }),
          (elements, copies) => {
            // Repeat some elements, as an address paid twice in a block is.
            const all = [
              ...elements,
              ...copies.filter(() => elements.length > 0).map((i) => elements[i % elements.length]),
            ];
            assertEquals(buildGcs(all, key, BASIC_PARAMS), buildGcsReference(all, key, P, M));
          },
        ),
        { numRuns: 200 },
      );
    },
  );

  await t.step(
    "different elements with one SipHash count twice, copies of one element once",
    () => {
      const a = new Uint8Array([1]), b = new Uint8Array([2]), c = new Uint8Array([3]);
      const hashes = new BigUint64Array([5n << 40n, 5n << 40n, 5n << 40n, 9n << 60n, 9n << 60n]);
      const filter = buildGcsFromHashes(hashes, [a, b, a, c, c], BASIC_PARAMS);
      // Three elements: a and b (same hash, so a zero delta), then c.
      const values = decodeGcs(filter, BASIC_PARAMS);
      assertEquals(values.length, 3);
      assertEquals(values[0], values[1]);
      assert(values[2] > values[1]);
    },
  );

  await t.step("the empty set is one zero byte", () => {
    assertEquals(buildGcs([], key, BASIC_PARAMS), new Uint8Array([0]));
  });
});

Deno.test("hostile filters", async (t) => {
  const key = new Uint8Array(16);
  const good = buildGcs(
    Array.from({ length: 50 }, (_, i) => new Uint8Array([i, i + 1, i + 2])),
    key,
    BASIC_PARAMS,
  );
  const readers = [
    (f: Uint8Array) => validateGcs(f, BASIC_PARAMS),
    (f: Uint8Array) => gcsMatchAny(f, key, [new Uint8Array([1])], BASIC_PARAMS),
    (f: Uint8Array) => gcsMatchAny(f, key, [], BASIC_PARAMS),
    (f: Uint8Array) => gcsMatchAll(f, key, [new Uint8Array([1])], BASIC_PARAMS),
  ];

  await t.step("zero-length", () => {
    for (const read of readers) assertFilterError(() => read(new Uint8Array()), "truncated");
  });

  await t.step("truncated at every length", () => {
    for (let end = 1; end < good.length; end++) {
      for (const read of readers) assertFilterError(() => read(good.subarray(0, end)), "truncated");
    }
  });

  await t.step("a truncated CompactSize", () => {
    for (const bytes of [[0xfd], [0xfd, 1], [0xfe, 0, 0, 1], [0xff, 0, 0, 0, 0, 1, 0, 0]]) {
      assertFilterError(() => validateGcs(new Uint8Array(bytes), BASIC_PARAMS), "truncated");
    }
  });

  await t.step("N larger than the bytes can hold: refused before any walk", () => {
    // 2^32 - 1 elements claimed by 5 bytes: each needs 20 bits at least.
    const huge = new Uint8Array([0xfe, 0xff, 0xff, 0xff, 0xff, 0, 0, 0]);
    for (const read of readers) assertFilterError(() => read(huge), "truncated");
    // 51 elements in the bytes of 50.
    const more = good.slice();
    more[0] = 51;
    assertFilterError(() => validateGcs(more, BASIC_PARAMS), "truncated");
  });

  await t.step("N of 2^32 or more", () => {
    const bytes = new Uint8Array(20);
    bytes.set([0xff, 0, 0, 0, 0, 1, 0, 0, 0]);
    assertFilterError(() => validateGcs(bytes, BASIC_PARAMS), "limit-exceeded");
  });

  await t.step("a non-canonical N", () => {
    assertFilterError(
      () => validateGcs(new Uint8Array([0xfd, 0x01, 0x00, 0, 0, 0]), BASIC_PARAMS),
      "non-canonical-varint",
    );
    assertFilterError(
      () => validateGcs(new Uint8Array([0xfe, 0xff, 0xff, 0, 0]), BASIC_PARAMS),
      "non-canonical-varint",
    );
    const nine = new Uint8Array(9);
    nine.set([0xff, 1]);
    assertFilterError(() => validateGcs(nine, BASIC_PARAMS), "non-canonical-varint");
  });

  await t.step("excess bytes after the N-th element, as Core refuses", () => {
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    for (const read of readers) assertFilterError(() => read(longer), "trailing-bytes");
    assertFilterError(() => validateGcs(new Uint8Array([0, 0]), BASIC_PARAMS), "trailing-bytes");
  });

  await t.step("values past F = N * M", () => {
    // One element whose value is exactly F, then one far past it.
    assertFilterError(
      () => validateGcs(encodeValuesReference([BigInt(M)], P), BASIC_PARAMS),
      "value-out-of-range",
    );
    assertFilterError(
      () => validateGcs(encodeValuesReference([1n, 2n ** 30n], P), BASIC_PARAMS),
      "value-out-of-range",
    );
  });

  await t.step("a quotient of ones running to the end", () => {
    const ones = new Uint8Array(40).fill(0xff);
    ones[0] = 1;
    for (const read of readers) assertFilterError(() => read(ones), "truncated");
  });

  await t.step("random bytes: a count or a FilterError, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const read of readers) onlyFilterErrors(() => read(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  await t.step("random bit flips and cuts of a good filter: the same", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(7))), fc.nat(), (flips, cut) => {
        const bytes = good.slice(0, good.length - (cut % 4));
        for (const [at, bit] of flips) bytes[at % bytes.length] ^= 1 << bit;
        for (const read of readers) onlyFilterErrors(() => read(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  await t.step("a malformed filter fails even when a query matches before the damage", () => {
    const values = decodeGcs(good, BASIC_PARAMS);
    assert(values.length === 50);
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    // The first element of `good` is some element; matching it must still read to the end.
    const elements = Array.from({ length: 50 }, (_, i) => new Uint8Array([i, i + 1, i + 2]));
    assert(gcsMatchAny(good, key, elements, BASIC_PARAMS));
    assertFilterError(() => gcsMatchAny(longer, key, elements, BASIC_PARAMS), "trailing-bytes");
  });
});

// BIP 157 filter headers: the chain a cfheaders answer commits to, its checks against what was
// asked, the previous header and checkpoints; cfcheckpt and cfilter checks.
import { assertEquals, assertThrows } from "@std/assert";
import { assertFilterError } from "../_util/assert_code.ts";
import {
  filterHash,
  filterHeader,
  firstDisagreement,
  verifyCFCheckpt,
  verifyCFHeaders,
  verifyCFilter,
} from "../../filters/mod.ts";
import type { CFCheckptMessage, CFHeadersMessage, CFilterMessage } from "../../wire/mod.ts";
import { doubleSha256 } from "../../wire/mod.ts";

// A made-up chain of 2,600 blocks: filter i is [1, i & 0xff, i >> 8] (any bytes do).
const FILTERS = Array.from({ length: 2601 }, (_, i) => new Uint8Array([1, i & 0xff, i >> 8]));
const HASHES = FILTERS.map(filterHash);
// HEADERS[h] is the filter header of block h; genesis builds on 32 zero bytes.
const HEADERS: Uint8Array[] = [];
HASHES.forEach((h, i) =>
  HEADERS.push(filterHeader(h, i === 0 ? new Uint8Array(32) : HEADERS[i - 1]))
);
const CHECKPOINTS = [HEADERS[1000], HEADERS[2000]];
const STOP = new Uint8Array(32).fill(0xee);

function cfheaders(
  start: number,
  stop: number,
  overrides: Partial<CFHeadersMessage> = {},
): CFHeadersMessage {
  return {
    command: "cfheaders",
    filterType: 0,
    stopHash: STOP,
    previousFilterHeader: start === 0 ? new Uint8Array(32) : HEADERS[start - 1],
    filterHashes: HASHES.slice(start, stop + 1),
    ...overrides,
  };
}

Deno.test("filter headers", async (t) => {
  await t.step(
    "filterHash is dSHA256 of the bytes, filterHeader dSHA256 of hash || previous",
    () => {
      const f = new Uint8Array([3, 1, 2, 3]);
      assertEquals(filterHash(f), doubleSha256(f));
      const prev = new Uint8Array(32).fill(8);
      assertEquals(
        filterHeader(filterHash(f), prev),
        doubleSha256(new Uint8Array([...doubleSha256(f), ...prev])),
      );
      assertThrows(() => filterHeader(new Uint8Array(31), prev), TypeError);
      assertThrows(() => filterHeader(prev, new Uint8Array(33)), TypeError);
    },
  );

  await t.step("verifyCFHeaders rebuilds the chain of a range", () => {
    for (const [start, stop] of [[0, 0], [0, 1999], [1, 2000], [999, 2600], [2001, 2600]]) {
      const headers = verifyCFHeaders(cfheaders(start, stop), {
        stopHash: STOP,
        count: stop - start + 1,
        previousFilterHeader: start === 0 ? new Uint8Array(32) : HEADERS[start - 1],
        startHeight: start === 0 ? 1 : start,
        checkpoints: start === 0 ? [] : CHECKPOINTS,
      });
      assertEquals(headers, HEADERS.slice(start, stop + 1));
    }
  });

  await t.step("answers for something else than asked", () => {
    assertFilterError(
      () => verifyCFHeaders(cfheaders(1, 10, { filterType: 1 })),
      "unexpected-response",
    );
    assertFilterError(
      () => verifyCFHeaders(cfheaders(1, 10), { filterType: 1 }),
      "unexpected-response",
    );
    assertFilterError(
      () => verifyCFHeaders(cfheaders(1, 10), { stopHash: new Uint8Array(32) }),
      "unexpected-response",
    );
    assertFilterError(
      () => verifyCFHeaders(cfheaders(1, 10), { count: 11 }),
      "unexpected-response",
    );
  });

  await t.step("a previous header other than the one known", () => {
    assertFilterError(
      () => verifyCFHeaders(cfheaders(5, 10), { previousFilterHeader: HEADERS[5] }),
      "header-mismatch",
    );
  });

  await t.step("a range whose headers disagree with a checkpoint inside it", () => {
    const hashes = HASHES.slice(1500, 2501);
    hashes[700] = new Uint8Array(32); // block 2200: after the checkpoint at 2000, harmless
    verifyCFHeaders(cfheaders(1500, 2500, { filterHashes: hashes }), {
      startHeight: 1500,
      checkpoints: CHECKPOINTS,
    });
    hashes[100] = new Uint8Array(32); // block 1600: the header at 2000 changes
    assertFilterError(
      () =>
        verifyCFHeaders(cfheaders(1500, 2500, { filterHashes: hashes }), {
          startHeight: 1500,
          checkpoints: CHECKPOINTS,
        }),
      "header-mismatch",
    );
  });

  await t.step("the previous header is checked against a checkpoint at start - 1", () => {
    const wrong = cfheaders(2001, 2100, { previousFilterHeader: HEADERS[1999] });
    assertFilterError(
      () => verifyCFHeaders(wrong, { startHeight: 2001, checkpoints: CHECKPOINTS }),
      "header-mismatch",
    );
    verifyCFHeaders(cfheaders(2001, 2100), { startHeight: 2001, checkpoints: CHECKPOINTS });
  });

  await t.step("checkpoints need the start height", () => {
    assertThrows(() => verifyCFHeaders(cfheaders(1, 10), { checkpoints: CHECKPOINTS }), TypeError);
  });
});

Deno.test("cfcheckpt", async (t) => {
  const message: CFCheckptMessage = {
    command: "cfcheckpt",
    filterType: 0,
    stopHash: STOP,
    filterHeaders: CHECKPOINTS,
  };

  await t.step("an answer for what was asked", () => {
    assertEquals(verifyCFCheckpt(message, { stopHash: STOP, stopHeight: 2600 }), CHECKPOINTS);
    assertEquals(verifyCFCheckpt(message, { stopHeight: 2000 }), CHECKPOINTS);
  });

  await t.step("the wrong type, stop hash or count", () => {
    assertFilterError(() => verifyCFCheckpt({ ...message, filterType: 2 }), "unexpected-response");
    assertFilterError(
      () => verifyCFCheckpt(message, { stopHash: new Uint8Array(32) }),
      "unexpected-response",
    );
    assertFilterError(() => verifyCFCheckpt(message, { stopHeight: 1999 }), "unexpected-response");
    assertFilterError(() => verifyCFCheckpt(message, { stopHeight: 3000 }), "unexpected-response");
  });

  await t.step("firstDisagreement compares peers' lists", () => {
    const liar = [CHECKPOINTS[0], HEADERS[1999]];
    assertEquals(firstDisagreement(CHECKPOINTS, CHECKPOINTS), -1);
    assertEquals(firstDisagreement(CHECKPOINTS, liar), 1);
    assertEquals(firstDisagreement(CHECKPOINTS, CHECKPOINTS.slice(0, 1)), -1);
    assertEquals(firstDisagreement([], CHECKPOINTS), -1);
  });
});

Deno.test("cfilter against its header", async (t) => {
  const blockHash = new Uint8Array(32).fill(0x42);
  const message: CFilterMessage = {
    command: "cfilter",
    filterType: 0,
    blockHash,
    filter: FILTERS[1500],
  };

  await t.step("by filter hash, or by header and previous header", () => {
    verifyCFilter(message, { blockHash, filterHash: HASHES[1500] });
    verifyCFilter(message, { filterHeader: HEADERS[1500], previousFilterHeader: HEADERS[1499] });
    verifyCFilter(message);
  });

  await t.step("another filter than committed to", () => {
    assertFilterError(
      () => verifyCFilter(message, { filterHash: HASHES[1501] }),
      "header-mismatch",
    );
    assertFilterError(
      () =>
        verifyCFilter(message, {
          filterHeader: HEADERS[1501],
          previousFilterHeader: HEADERS[1500],
        }),
      "header-mismatch",
    );
    const flipped = { ...message, filter: new Uint8Array([1, 0xdc, 6]) };
    assertFilterError(
      () => verifyCFilter(flipped, { filterHash: HASHES[1500] }),
      "header-mismatch",
    );
  });

  await t.step("for another block or type than asked", () => {
    assertFilterError(
      () => verifyCFilter(message, { blockHash: new Uint8Array(32) }),
      "unexpected-response",
    );
    assertFilterError(() => verifyCFilter({ ...message, filterType: 1 }), "unexpected-response");
  });

  await t.step("a header without the previous one is a TypeError", () => {
    assertThrows(() => verifyCFilter(message, { filterHeader: HEADERS[1500] }), TypeError);
  });
});

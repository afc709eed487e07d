import { assert, assertEquals, assertLess, assertNotStrictEquals } from "@std/assert";
import { randomSubset, repeatsRequest, type RequestKey } from "../../peer/_push.ts";

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function assertSubset(subset: number[], items: readonly number[], size: number): void {
  assertEquals(subset.length, size);
  assertEquals(new Set(subset).size, size, "no duplicates");
  const pool = new Set(items);
  for (const x of subset) assert(pool.has(x), `${x} is from the input`);
}

Deno.test("randomSubset", async (t) => {
  await t.step("min(n, max) distinct elements of the input, for every n and max", () => {
    for (let n = 0; n <= 12; n++) {
      for (let max = 0; max <= 14; max++) {
        const items = range(n).map((i) => i * 3 + 1);
        assertSubset(randomSubset(items, max), items, Math.min(n, max));
      }
    }
  });

  await t.step("with fewer items than max: all of them, as a permutation", () => {
    const items = range(50);
    const out = randomSubset(items, 1_000);
    assertEquals([...out].sort((a, b) => a - b), items);
  });

  await t.step("more than 1000 addresses: 1000 distinct survive (btcd's addrv2 bug)", () => {
    const items = range(2_500);
    for (let trial = 0; trial < 20; trial++) assertSubset(randomSubset(items, 1_000), items, 1_000);
  });

  await t.step("duplicates in the input are kept as they are, never made up", () => {
    const items = [1, 1, 2, 2, 2, 3];
    for (let trial = 0; trial < 200; trial++) {
      const out = randomSubset(items, 4);
      assertEquals(out.length, 4);
      const counts = new Map<number, number>();
      for (const x of out) counts.set(x, (counts.get(x) ?? 0) + 1);
      assert(
        (counts.get(1) ?? 0) <= 2 && (counts.get(2) ?? 0) <= 3 && (counts.get(3) ?? 0) <= 1,
      );
    }
  });

  await t.step("returns a copy and leaves the input alone", () => {
    const items = range(10);
    const frozen = Object.freeze([...items]);
    const out = randomSubset(frozen, 10);
    assertNotStrictEquals(out, frozen);
    assertEquals(frozen, items);
    out.push(99);
    assertEquals(frozen, items);
  });

  await t.step("works with objects, by identity", () => {
    const items = range(5).map((i) => ({ i }));
    const out = randomSubset(items, 3);
    for (const x of out) assert(items.includes(x));
  });

  await t.step("each element is chosen for a 5-of-10 subset about half the time", () => {
    const trials = 20_000;
    const chosen = new Array(10).fill(0);
    for (let trial = 0; trial < trials; trial++) {
      for (const x of randomSubset(range(10), 5)) chosen[x]++;
    }
    // Expected 0.5 with a standard deviation of 0.0035: ±3% is over 8 sigma.
    for (let i = 0; i < 10; i++) {
      const share = chosen[i] / trials;
      assertLess(Math.abs(share - 0.5), 0.03, `element ${i}: ${share}`);
    }
  });

  await t.step("each element lands at each position of a full shuffle about evenly", () => {
    const trials = 20_000;
    const counts = Array.from({ length: 5 }, () => new Array(5).fill(0));
    for (let trial = 0; trial < trials; trial++) {
      randomSubset(range(5), 5).forEach((x, position) => counts[x][position]++);
    }
    // Expected 0.2 each, standard deviation 0.0028.
    for (let x = 0; x < 5; x++) {
      for (let p = 0; p < 5; p++) {
        const share = counts[x][p] / trials;
        assertLess(Math.abs(share - 0.2), 0.03, `element ${x} at ${p}: ${share}`);
      }
    }
  });

  await t.step("the last element is as likely as the first to be chosen once", () => {
    const trials = 20_000;
    let first = 0;
    let last = 0;
    for (let trial = 0; trial < trials; trial++) {
      const [x] = randomSubset(range(20), 1);
      if (x === 0) first++;
      if (x === 19) last++;
    }
    // Expected 0.05 each, standard deviation 0.0015.
    assertLess(Math.abs(first / trials - 0.05), 0.015, `first ${first / trials}`);
    assertLess(Math.abs(last / trials - 0.05), 0.015, `last ${last / trials}`);
  });
});

Deno.test("repeatsRequest", async (t) => {
  const key = (first: number, stop: number, length = 32): RequestKey => ({
    firstLocator: new Uint8Array(length).fill(first),
    hashStop: new Uint8Array(32).fill(stop),
  });

  await t.step("no previous request: not a repeat", () => {
    assertEquals(repeatsRequest(undefined, key(1, 0)), false);
  });

  await t.step("same first locator and stop hash: a repeat, compared by value", () => {
    assertEquals(repeatsRequest(key(1, 0), key(1, 0)), true);
    const k = key(3, 4);
    assertEquals(repeatsRequest(k, k), true);
  });

  await t.step("a different first locator or stop hash: not a repeat", () => {
    assertEquals(repeatsRequest(key(1, 0), key(2, 0)), false);
    assertEquals(repeatsRequest(key(1, 0), key(1, 9)), false);
    const a = key(1, 0);
    const b = key(1, 0);
    b.firstLocator[31] = 2;
    assertEquals(repeatsRequest(a, b), false, "the last byte counts");
    const c = key(1, 0);
    c.hashStop[0] = 7;
    assertEquals(repeatsRequest(a, c), false, "the first byte counts");
  });

  await t.step("hashes of different lengths never match", () => {
    assertEquals(repeatsRequest(key(1, 0, 32), key(1, 0, 31)), false);
    assertEquals(repeatsRequest(key(0, 0, 0), key(0, 0, 32)), false);
  });

  await t.step("subarrays of larger buffers compare by their own bytes", () => {
    const big = new Uint8Array(100).fill(5);
    const viewed: RequestKey = {
      firstLocator: big.subarray(10, 42),
      hashStop: big.subarray(50, 82),
    };
    assertEquals(repeatsRequest(viewed, key(5, 5)), true);
  });
});

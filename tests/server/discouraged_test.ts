// Discouraged hosts: every spelling of one address is one entry, other addresses are not
// caught (beyond the 1e-6 false-positive rate), and old entries roll out.
import { assert, assertFalse, assertThrows } from "@std/assert";
import {
  Discouraged,
  DISCOURAGED_ENTRIES,
  DISCOURAGED_FP_RATE,
} from "../../server/_discouraged.ts";

Deno.test("Discouraged: Core's size", () => {
  assert(DISCOURAGED_ENTRIES === 50_000 && DISCOURAGED_FP_RATE === 0.000001);
});

Deno.test("Discouraged: one address, every spelling", async (t) => {
  const forms: string[][] = [
    ["203.0.113.5", "::ffff:203.0.113.5", "[::ffff:203.0.113.5]", "::ffff:cb00:7105"],
    ["2001:db8::1", "[2001:DB8::1]", "2001:0db8:0:0::0001", "2001:db8:0:0:0:0:0:1"],
    ["fc00::7", "[FC00:0::7]"],
    ["Seed.Example", "seed.example", "SEED.EXAMPLE"],
    [
      "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
      "PG6MMJIYJMCRSSLVYKFWNNTLARU7P5SVN6Y2YMMJU6NUBXNDF4PSCRYD.onion",
    ],
  ];
  for (const spellings of forms) {
    await t.step(spellings[0], () => {
      for (const first of spellings) {
        const discouraged = new Discouraged();
        discouraged.discourage(first);
        for (const other of spellings) assert(discouraged.isDiscouraged(other), other);
      }
    });
  }
});

Deno.test("Discouraged: other addresses are not", () => {
  const discouraged = new Discouraged();
  discouraged.discourage("203.0.113.5");
  discouraged.discourage("2001:db8::1");
  discouraged.discourage("localhost");
  // Neighbours, the other family's look-alikes, and names vs addresses.
  for (let i = 0; i < 256; i++) {
    if (i !== 5) assertFalse(discouraged.isDiscouraged(`203.0.113.${i}`));
    if (i !== 1) assertFalse(discouraged.isDiscouraged(`2001:db8::${i.toString(16)}`));
  }
  assertFalse(discouraged.isDiscouraged("::cb00:7105")); // IPv4-compatible, not mapped
  assertFalse(discouraged.isDiscouraged("127.0.0.1"));
  assertFalse(discouraged.isDiscouraged("203.0.113.5.example"));
});

Deno.test("Discouraged: the oldest roll out, clear forgets all", () => {
  const discouraged = new Discouraged({ entries: 100, fpRate: 0.001 });
  for (let i = 0; i < 50; i++) discouraged.discourage(`10.0.0.${i}`);
  for (let i = 0; i < 100; i++) discouraged.discourage(`10.0.1.${i}`);
  for (let i = 0; i < 50; i++) assert(discouraged.isDiscouraged(`10.0.0.${i}`));
  discouraged.discourage("10.0.2.0");
  let left = 0;
  for (let i = 0; i < 50; i++) if (discouraged.isDiscouraged(`10.0.0.${i}`)) left++;
  // Only false positives (0.1% at full load) are left; 3 is far out for 50.
  assert(left <= 3, `${left} of 50 still discouraged`);
  discouraged.clear();
  for (let i = 0; i < 100; i++) assertFalse(discouraged.isDiscouraged(`10.0.1.${i}`));
});

Deno.test("Discouraged: bad options are RangeErrors", () => {
  assertThrows(() => new Discouraged({ entries: 0 }), RangeError);
  assertThrows(() => new Discouraged({ fpRate: 1 }), RangeError);
});

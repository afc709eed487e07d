// CIDR ranges (btcd's `--whitelist`, Bitcoin Core's subnets): parsing and its errors, matching
// at the edges of ranges, and the set's lookups checked against a linear scan in BigInt
// arithmetic over random ranges and hosts.
import { assert, assertEquals, assertFalse, assertThrows } from "@std/assert";
import fc from "fast-check";
import { parseSubnet, type Subnet, SubnetSet } from "../../server/subnet.ts";

Deno.test("parseSubnet: CIDR text, bare addresses, masking", async (t) => {
  const cases: [string, string, 4 | 6, number][] = [
    ["10.0.0.0/8", "10.0.0.0/8", 4, 8],
    ["10.1.2.3/8", "10.0.0.0/8", 4, 8],
    ["172.16.0.0/12", "172.16.0.0/12", 4, 12],
    ["172.31.255.255/12", "172.16.0.0/12", 4, 12],
    ["192.0.2.7", "192.0.2.7/32", 4, 32],
    ["0.0.0.0/0", "0.0.0.0/0", 4, 0],
    ["255.255.255.255/1", "128.0.0.0/1", 4, 1],
    ["2001:db8::/32", "2001:db8::/32", 6, 32],
    ["2001:DB8:1:2::5/32", "2001:db8::/32", 6, 32],
    ["2001:470:ffff::/36", "2001:470:f000::/36", 6, 36],
    ["[2001:db8::1]", "2001:db8::1/128", 6, 128],
    ["2001:db8::1", "2001:db8::1/128", 6, 128],
    ["::/0", "::/0", 6, 0],
    ["fe80::1/64", "fe80::/64", 6, 64],
    [
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/127",
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127",
      6,
      127,
    ],
    // IPv4-mapped IPv6 is the IPv4 range it maps.
    ["::ffff:10.0.0.0/104", "10.0.0.0/8", 4, 8],
    ["::ffff:0:0/96", "0.0.0.0/0", 4, 0],
    ["::ffff:1.2.3.4", "1.2.3.4/32", 4, 32],
    ["::ffff:102:304/128", "1.2.3.4/32", 4, 32],
  ];
  for (const [text, canonical, family, prefixLength] of cases) {
    await t.step(text, () => {
      const subnet = parseSubnet(text);
      assertEquals(subnet.toString(), canonical);
      assertEquals(String(subnet), canonical);
      assertEquals(subnet.family, family);
      assertEquals(subnet.prefixLength, prefixLength);
      assertEquals(subnet.network, canonical.slice(0, canonical.lastIndexOf("/")));
      // Parsing the canonical text gives it back.
      assertEquals(parseSubnet(canonical).toString(), canonical);
    });
  }
});

Deno.test("parseSubnet: errors name the input", async (t) => {
  const typeErrors = [
    "",
    "/8",
    "seed.example",
    "seed.example/8",
    "10.0.0.0/",
    "10.0.0.0/a",
    "10.0.0.0/08",
    "10.0.0.0/+8",
    "10.0.0.0/ 8",
    " 10.0.0.0/8",
    "10.0.0.0/8/8",
    "10.0.0.0/255.0.0.0",
    "10.0.0/8",
    "010.0.0.0/8",
    "256.0.0.0/8",
    "fe80::1%eth0/64",
    "2001:db8::/-1",
    "2001:db8:::/32",
    "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
  ];
  for (const text of typeErrors) {
    await t.step(`TypeError: ${JSON.stringify(text)}`, () => {
      assertThrows(() => parseSubnet(text), TypeError, `Invalid subnet ${JSON.stringify(text)}`);
    });
  }
  const rangeErrors: [string, string][] = [
    ["10.0.0.0/33", "prefix length 33 exceeds the 32 bits of an IPv4 address"],
    ["1.2.3.4/999", "prefix length 999 exceeds the 32 bits"],
    ["2001:db8::/129", "prefix length 129 exceeds the 128 bits of an IPv6 address"],
    ["::ffff:10.0.0.0/95", "an IPv4-mapped network needs a prefix length of at least 96, got 95"],
    ["::ffff:10.0.0.0/129", "prefix length 129 exceeds the 128 bits"],
  ];
  for (const [text, message] of rangeErrors) {
    await t.step(`RangeError: ${text}`, () => {
      assertThrows(() => parseSubnet(text), RangeError, `Invalid subnet "${text}": ${message}`);
    });
  }
  await t.step("not a string", () => {
    assertThrows(() => parseSubnet(8 as unknown as string), TypeError, "expected a string");
  });
});

Deno.test("Subnet.contains: the edges of ranges, families, host forms", () => {
  const s8 = parseSubnet("10.0.0.0/8");
  for (const host of ["10.0.0.0", "10.255.255.255", "::ffff:10.1.2.3", "[::ffff:10.1.2.3]"]) {
    assert(s8.contains(host), host);
  }
  for (const host of ["9.255.255.255", "11.0.0.0", "::a01:203", "10.0.0", "10.0.0.0.0", "x"]) {
    assertFalse(s8.contains(host), host);
  }
  const s12 = parseSubnet("172.16.0.0/12");
  assert(s12.contains("172.31.255.255"));
  assertFalse(s12.contains("172.32.0.0"));
  assertFalse(s12.contains("172.15.255.255"));

  const v6 = parseSubnet("2001:db8::/32");
  assert(v6.contains("2001:db8::"));
  assert(v6.contains("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  assert(v6.contains("[2001:DB8::1]"));
  assertFalse(v6.contains("2001:db9::"));
  assertFalse(v6.contains("2001:db7:ffff::"));
  assertFalse(v6.contains("fe80::1%eth0"));

  // IPv6 ranges hold IPv6 hosts only, IPv4 ranges IPv4 ones (as Core and Go).
  assertFalse(parseSubnet("::/0").contains("1.2.3.4"));
  assertFalse(parseSubnet("::/0").contains("::ffff:1.2.3.4"));
  assert(parseSubnet("::/0").contains("::1"));
  assert(parseSubnet("0.0.0.0/0").contains("::ffff:1.2.3.4"));
  assertFalse(parseSubnet("0.0.0.0/0").contains("::1"));

  const one = parseSubnet("203.0.113.9");
  assert(one.contains("203.0.113.9"));
  assertFalse(one.contains("203.0.113.8"));
  // Host names and onion names are in no range.
  assertFalse(parseSubnet("0.0.0.0/0").contains("localhost"));
  assertFalse(
    parseSubnet("::/0").contains("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"),
  );
});

Deno.test("SubnetSet: add, delete, has, match, size, order", () => {
  const set = new SubnetSet(["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "2001:db8::/32"]);
  assertEquals(set.size, 4);
  assertEquals(set.match("10.1.2.3")?.toString(), "10.1.2.0/24");
  assertEquals(set.match("10.1.3.3")?.toString(), "10.1.0.0/16");
  assertEquals(set.match("10.2.3.3")?.toString(), "10.0.0.0/8");
  assertEquals(set.match("::ffff:10.2.3.3")?.toString(), "10.0.0.0/8");
  assertEquals(set.match("11.0.0.1"), undefined);
  assertEquals(set.match("2001:db8:5::1")?.toString(), "2001:db8::/32");
  assertEquals(set.match("host.example"), undefined);

  // The same range in another spelling is the same member.
  set.add("10.7.7.7/8").add(parseSubnet("2001:db8:ffff::/32"));
  assertEquals(set.size, 4);
  assertEquals([...set].map(String), [
    "10.0.0.0/8",
    "10.1.0.0/16",
    "10.1.2.0/24",
    "2001:db8::/32",
  ]);

  // Deleting a range leaves the ranges inside and around it.
  assert(set.delete("10.1.0.0/16"));
  assertFalse(set.delete("10.1.0.0/16"));
  assertFalse(set.delete("10.1.2.0/25"));
  assertEquals(set.match("10.1.3.3")?.toString(), "10.0.0.0/8");
  assertEquals(set.match("10.1.2.3")?.toString(), "10.1.2.0/24");
  assert(set.delete(parseSubnet("10.9.9.9/8")));
  assertFalse(set.has("10.1.3.3"));
  assert(set.has("10.1.2.255"));
  assertEquals(set.size, 2);

  // A structurally equal object that is not one of ours is parsed from its text.
  const foreign: Subnet = {
    family: 4,
    prefixLength: 24,
    network: "192.0.2.0",
    contains: () => false,
    toString: () => "192.0.2.0/24",
  };
  set.add(foreign);
  assert(set.has("192.0.2.200"));

  assertThrows(() => set.add("10.0.0.0/33"), RangeError, "10.0.0.0/33");
  assertThrows(() => set.delete("nonsense"), TypeError, "nonsense");
  set.clear();
  assertEquals(set.size, 0);
  assertFalse(set.has("10.1.2.3"));
  assertEquals([...set], []);
  set.add("::/0");
  assert(set.has("::1"));
  assertFalse(set.has("127.0.0.1"));
});

// A reference in BigInt arithmetic: addresses as 32- or 128-bit integers, a linear scan,
// the longest prefix wins.
interface Ref {
  readonly family: 4 | 6;
  readonly bits: number;
  readonly network: bigint;
  readonly text: string;
}

function toBig(words: readonly number[]): bigint {
  return words.reduce((acc, w) => (acc << 32n) | BigInt(w >>> 0), 0n);
}

function mask(family: 4 | 6, bits: number): bigint {
  const width = family === 4 ? 32n : 128n;
  return ((1n << BigInt(bits)) - 1n) << (width - BigInt(bits));
}

function v4Text(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join(".");
}

/** Full, uncompressed IPv6 text (the parser's `::` handling is tested elsewhere). */
function v6Text(v: bigint): string {
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((v >> s) & 0xffffn).toString(16));
  return groups.join(":");
}

const addressArb = fc.oneof(
  fc.record({
    family: fc.constant(4 as const),
    words: fc.array(fc.nat(), { minLength: 1, maxLength: 1 }),
  }),
  fc.record({
    family: fc.constant(6 as const),
    words: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
  }),
).map(({ family, words }) => ({ family, value: toBig(words.map((w) => w * 2 + (w & 1))) }));

const rangeArb = fc.record({
  address: addressArb,
  length: fc.nat(128),
}).map(({ address: { family, value }, length }): Ref => {
  const bits = family === 4 ? length % 33 : length;
  // Clustered: most ranges share the first bits so that lookups find nested matches.
  const v = family === 4 ? (value & 0x00ffffffn) | 0x0a000000n : value & ((1n << 100n) - 1n);
  const network = v & mask(family, bits);
  const text = `${family === 4 ? v4Text(v) : v6Text(v)}/${bits}`;
  return { family, bits, network, text };
});

function refMatch(ranges: readonly Ref[], family: 4 | 6, host: bigint): Ref | undefined {
  let best: Ref | undefined;
  for (const r of ranges) {
    if (r.family !== family || (host & mask(family, r.bits)) !== r.network) continue;
    if (best === undefined || r.bits > best.bits) best = r;
  }
  return best;
}

Deno.test("SubnetSet: lookups agree with a linear scan (property)", () => {
  fc.assert(
    fc.property(
      fc.array(rangeArb, { maxLength: 60 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 40 }),
      (ranges, deletions, probes) => {
        const set = new SubnetSet(ranges.map((r) => r.text));
        let live = [...ranges];
        for (const d of deletions) {
          if (live.length === 0) break;
          const gone = live[d % live.length];
          assert(set.delete(gone.text));
          live = live.filter((r) =>
            !(r.family === gone.family && r.bits === gone.bits &&
              r.network === gone.network)
          );
        }
        const keys = new Set(live.map((r) => `${r.family}/${r.bits}/${r.network}`));
        assertEquals(set.size, keys.size);
        for (const [pick, noise, mapped] of probes) {
          // A host inside a live range (random host bits) or anywhere.
          const base = live.length > 0 ? live[pick % live.length] : undefined;
          const family = base?.family ?? (pick % 2 === 0 ? 4 : 6);
          const width = family === 4 ? 32 : 128;
          const random = BigInt(noise) * 0x9e3779b97f4a7c15n;
          const all = (1n << BigInt(width)) - 1n;
          const host = base === undefined ? random & all : base.network |
            (random & all & ~mask(family, base.bits));
          const text = family === 4
            ? (mapped ? `::ffff:${v4Text(host)}` : v4Text(host))
            : (mapped ? `[${v6Text(host)}]` : v6Text(host));
          const expected = refMatch(live, family, host);
          const got = set.match(text);
          assertEquals(got === undefined, expected === undefined, text);
          if (expected !== undefined) {
            assertEquals(got!.prefixLength, expected.bits, text);
            assert(got!.contains(text), text);
          }
          assertEquals(set.has(text), expected !== undefined);
        }
      },
    ),
    { numRuns: 300 },
  );
});

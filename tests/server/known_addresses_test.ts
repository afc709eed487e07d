import {
  assert,
  assertEquals,
  assertFalse,
  assertNotStrictEquals,
  assertThrows,
} from "@std/assert";
import { KnownAddresses, MAX_KNOWN_ADDRESSES } from "../../server/known_addresses.ts";
import {
  BIP155Network,
  type NetAddressV2,
  netAddressV2FromString,
} from "../../wire/net_address_v2.ts";

/** A distinct IPv4 address for each n < 2^24. */
function v4(n: number, port = 8333): NetAddressV2 {
  return netAddressV2FromString(`10.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`, port);
}

Deno.test("KnownAddresses", async (t) => {
  await t.step("starts empty", () => {
    const known = new KnownAddresses();
    assertEquals(known.size, 0);
    assertEquals(known.has(v4(1)), false);
    assertEquals(known.filter([v4(1)]), [v4(1)]);
    assertEquals(known.size, 0);
  });

  await t.step("add, has and size", () => {
    const known = new KnownAddresses();
    known.add(v4(1));
    known.add(v4(2));
    known.add(v4(1));
    assertEquals(known.size, 2);
    assert(known.has(v4(1)));
    assert(known.has(v4(2)));
    assertFalse(known.has(v4(3)));
  });

  await t.step("keyed by host and port only, as btcd's NetAddressKey", () => {
    const known = new KnownAddresses();
    known.add(netAddressV2FromString("203.0.113.7", 8333, { timestamp: 1, services: 1n }));
    assert(
      known.has(netAddressV2FromString("203.0.113.7", 8333, { timestamp: 9, services: 8n })),
    );
    assertFalse(known.has(netAddressV2FromString("203.0.113.7", 18333)));
    // An IPv4-mapped IPv6 address is the same host.
    const mapped: NetAddressV2 = {
      timestamp: 0,
      services: 0n,
      networkId: BIP155Network.IPV6,
      address: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 7]),
      port: 8333,
    };
    assert(known.has(mapped));
  });

  await t.step("other networks", () => {
    const known = new KnownAddresses();
    const onion = netAddressV2FromString(
      "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
      8333,
    );
    const ipv6 = netAddressV2FromString("2001:db8::1", 8333);
    known.add(onion);
    assert(known.has(onion));
    assertFalse(known.has(ipv6));
    known.add(ipv6);
    assertEquals(known.size, 2);
  });

  await t.step("filter keeps the unknown ones, in order, in a new array", () => {
    const known = new KnownAddresses();
    known.add(v4(2));
    known.add(v4(4));
    const list = [v4(1), v4(2), v4(3), v4(4), v4(5)];
    const out = known.filter(list);
    assertEquals(out, [v4(1), v4(3), v4(5)]);
    assertNotStrictEquals(out, list);
    assertEquals(list.length, 5);
    assertEquals(known.size, 2); // filtering does not add
  });

  await t.step("evicts the least recently used when full", () => {
    const known = new KnownAddresses(3);
    for (let i = 1; i <= 4; i++) known.add(v4(i));
    assertEquals(known.size, 3);
    assertFalse(known.has(v4(1)));
    assert(known.has(v4(2)) && known.has(v4(3)) && known.has(v4(4)));
  });

  await t.step("a lookup counts as a use, as dcrd's lru.Cache.Contains", () => {
    const known = new KnownAddresses(3);
    for (let i = 1; i <= 3; i++) known.add(v4(i));
    assert(known.has(v4(1)));
    known.add(v4(4)); // evicts 2, not 1
    assert(known.has(v4(1)));
    assertFalse(known.has(v4(2)));
  });

  await t.step("filter's lookups count as uses too", () => {
    const known = new KnownAddresses(3);
    for (let i = 1; i <= 3; i++) known.add(v4(i));
    known.filter([v4(1)]);
    known.add(v4(4));
    assert(known.has(v4(1)));
    assertFalse(known.has(v4(2)));
  });

  await t.step("adding a known address refreshes it", () => {
    const known = new KnownAddresses(3);
    for (let i = 1; i <= 3; i++) known.add(v4(i));
    known.add(v4(1));
    known.add(v4(4));
    assert(known.has(v4(1)));
    assertFalse(known.has(v4(2)));
  });

  await t.step(`holds ${MAX_KNOWN_ADDRESSES} by default`, () => {
    const known = new KnownAddresses();
    for (let i = 0; i <= MAX_KNOWN_ADDRESSES; i++) known.add(v4(i));
    assertEquals(known.size, MAX_KNOWN_ADDRESSES);
    assertFalse(known.has(v4(0)));
    assert(known.has(v4(1)));
    assert(known.has(v4(MAX_KNOWN_ADDRESSES)));
  });

  await t.step("capacity 0 keeps nothing, as dcrd", () => {
    const known = new KnownAddresses(0);
    known.add(v4(1));
    assertEquals(known.size, 0);
    assertFalse(known.has(v4(1)));
  });

  await t.step("rejects a bad capacity", () => {
    for (const bad of [-1, 1.5, Number.NaN, Infinity]) {
      assertThrows(() => new KnownAddresses(bad), RangeError);
    }
  });
});

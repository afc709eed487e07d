import {
  assert,
  assertEquals,
  assertGreater,
  assertLess,
  assertLessOrEqual,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { assertSpyCalls, spy } from "@std/testing/mock";
import {
  AddressPriority,
  AddrManager,
  type AddrManagerOptions,
  MemoryStorage,
  netAddressKey,
} from "../../addrmgr/mod.ts";
import { FakeClock } from "../../peer/fake_clock.ts";
import { BIP155Network, netAddressV2FromString, netAddressV2ToString } from "../../wire/mod.ts";
import {
  addr,
  newBucketsOf,
  randomIpv4,
  type SavedBook,
  seededRandom,
  T0,
  T0_S,
  testKey,
  triedBucketOf,
} from "./_helpers.ts";
import { btcdNewBucket, coreTriedBucket } from "./_btcd_placement.ts";

function manager(options: AddrManagerOptions = {}) {
  const storage = new MemoryStorage();
  const clock = new FakeClock(T0);
  const m = new AddrManager({
    storage,
    clock,
    random: seededRandom(1),
    key: testKey(),
    ...options,
  });
  return { m, storage, clock };
}

async function saved(m: AddrManager, storage: MemoryStorage): Promise<SavedBook> {
  await m.save();
  return JSON.parse(storage.data!);
}

Deno.test("bucket placement", async (t) => {
  await t.step("new buckets match btcd's formula for the key", async () => {
    const { m, storage } = manager();
    const cases: [string, string, string, string][] = [
      ["8.8.8.8", "9.9.9.9", "8.8.0.0", "9.9.0.0"],
      ["2a01:4f8:1::2", "1.2.3.4", "2a01:4f8::", "1.2.0.0"],
      ["44.5.6.7", "127.0.0.1", "44.5.0.0", "local"],
    ];
    for (const [a, s] of cases) m.addAddress(addr(a), addr(s));
    const where = newBucketsOf(await saved(m, storage));
    for (const [a, , ga, gs] of cases) {
      assertEquals(where.get(netAddressKey(addr(a))), [btcdNewBucket(testKey(), ga, gs)]);
    }
  });
  await t.step("tried buckets: btcd's formula over Core's 256 buckets", async () => {
    const { m, storage } = manager();
    m.addAddress(addr("8.8.8.8"), addr("9.9.9.9"));
    m.good(addr("8.8.8.8"));
    const where = triedBucketOf(await saved(m, storage));
    assertEquals(where.get("8.8.8.8:8333"), coreTriedBucket(testKey(), "8.8.8.8:8333", "8.8.0.0"));
  });
  await t.step("deterministic for a key, different for another", async () => {
    const books: string[] = [];
    for (const key of [testKey(1), testKey(1), testKey(2)]) {
      const { m, storage } = manager({ key, random: seededRandom(5) });
      const random = seededRandom(9);
      for (let i = 0; i < 2000; i++) m.addAddress(randomIpv4(random), randomIpv4(random));
      await m.save();
      books.push(JSON.stringify(JSON.parse(storage.data!).NewBuckets));
    }
    assertEquals(books[0], books[1]);
    assertNotEquals(books[0], books[2]);
  });
});

Deno.test("adding addresses", async (t) => {
  await t.step("unroutable addresses are ignored", () => {
    const { m } = manager();
    m.addAddresses([addr("10.0.0.1"), addr("127.0.0.1"), addr("fe80::1")], addr("8.8.8.8"));
    assertEquals(m.numAddresses(), 0);
    assertEquals(m.getAddress(), undefined);
  });
  await t.step("BIP 155 networks are kept", () => {
    const { m } = manager();
    const onion = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
    const i2p = "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p";
    m.addAddresses([addr(onion), addr(i2p, 0), addr("fc00::5"), addr("2a01::1")], addr("8.8.8.8"));
    assertEquals(m.numAddresses(), 4);
    assertEquals(m.knownAddress(addr(onion))?.netAddress.networkId, BIP155Network.TORV3);
    assertEquals(m.knownAddress(addr("fc00::5"))?.netAddress.networkId, BIP155Network.CJDNS);
  });
  await t.step("a known address takes the newer timestamp and more services", () => {
    const { m } = manager();
    m.addAddress(addr("8.8.8.8", 8333, 7200, 1n), addr("9.9.9.9"));
    m.addAddress(addr("8.8.8.8", 8333, 60, 8n), addr("9.9.9.9"));
    const ka = m.knownAddress(addr("8.8.8.8"))!;
    assertEquals(ka.netAddress.timestamp, T0_S - 60);
    assertEquals(ka.netAddress.services, 9n);
    m.addAddress(addr("8.8.8.8", 8333, 99999, 0n), addr("9.9.9.9"));
    assertEquals(m.knownAddress(addr("8.8.8.8"))!.netAddress.timestamp, T0_S - 60);
    assertEquals(m.numAddresses(), 1);
  });
  await t.step("a known address gains at most 8 new buckets, less likely each time", () => {
    const { m } = manager();
    const random = seededRandom(3);
    for (let i = 0; i < 5000; i++) m.addAddress(addr("8.8.8.8"), randomIpv4(random));
    const refs = m.knownAddress(addr("8.8.8.8"))!.refs;
    assert(refs > 1 && refs <= 8, `refs ${refs}`);
  });
  await t.step("the caller's objects are copied", () => {
    const { m } = manager();
    const a = addr("8.8.8.8");
    m.addAddress(a, addr("9.9.9.9"));
    a.address[0] = 9;
    assertEquals(netAddressV2ToString(m.getAddress()!.netAddress), "8.8.8.8");
  });
  await t.step("IPv4-mapped IPv6 is the same address as IPv4", () => {
    const { m } = manager();
    m.addAddress(addr("::ffff:8.8.8.8"), addr("9.9.9.9"));
    assertEquals(m.knownAddress(addr("8.8.8.8"))?.netAddress.networkId, BIP155Network.IPV4);
  });
});

Deno.test("attempt, connected, setServices, good", async (t) => {
  const { m, clock } = manager();
  const a = addr("8.8.8.8", 8333, 3600, 1n);
  m.addAddress(a, addr("9.9.9.9"));
  await t.step("attempt counts and stamps", () => {
    m.attempt(a);
    m.attempt(a);
    const ka = m.knownAddress(a)!;
    assertEquals(ka.attempts, 2);
    assertEquals(ka.lastAttemptMs, T0);
  });
  await t.step("connected refreshes a timestamp older than 20 minutes", async () => {
    m.connected(a);
    assertEquals(m.knownAddress(a)!.netAddress.timestamp, T0_S);
    await clock.tick(10 * 60_000);
    m.connected(a);
    assertEquals(m.knownAddress(a)!.netAddress.timestamp, T0_S);
  });
  await t.step("setServices replaces them", () => {
    m.setServices(a, 1024n);
    assertEquals(m.knownAddress(a)!.netAddress.services, 1024n);
  });
  await t.step("good moves it new -> tried and resets attempts", () => {
    m.good(a);
    const ka = m.knownAddress(a)!;
    assertEquals(ka.tried, true);
    assertEquals(ka.refs, 0);
    assertEquals(ka.attempts, 0);
    assertEquals(ka.lastSuccessMs, clock.now());
    assertEquals(m.numAddresses(), 1);
    m.good(a);
    assertEquals(m.knownAddress(a)!.tried, true);
  });
  await t.step("unknown addresses are ignored", () => {
    const b = addr("7.7.7.7");
    m.attempt(b);
    m.good(b);
    m.connected(b);
    m.setServices(b, 1n);
    assertEquals(m.knownAddress(b), undefined);
  });
});

Deno.test("a full tried bucket sends its oldest entry back to new", async () => {
  const { m, storage } = manager();
  const random = seededRandom(11);
  // Addresses of one /16 spread over 8 tried buckets; take 65 that share one.
  const byBucket = new Map<number, string[]>();
  let hosts: string[] = [];
  for (let i = 0; hosts.length < 65; i++) {
    const host = `44.5.${i >> 8}.${i & 0xff}`;
    const b = coreTriedBucket(testKey(), `${host}:8333`, "44.5.0.0");
    hosts = [...(byBucket.get(b) ?? []), host];
    byBucket.set(b, hosts);
  }
  assertLessOrEqual(byBucket.size, 8);
  // Distinct ages: hosts[0] is the oldest.
  hosts.forEach((h, i) => m.addAddress(addr(h, 8333, 100_000 - i), randomIpv4(random)));
  assertEquals(m.numAddresses(), 65);
  for (const h of hosts.slice(0, 64)) m.good(addr(h));
  const before = triedBucketOf(await saved(m, storage));
  assertEquals(new Set(before.values()).size, 1);
  m.good(addr(hosts[64]));
  const oldest = m.knownAddress(addr(hosts[0]))!;
  assertEquals(oldest.tried, false);
  assertEquals(oldest.refs, 1);
  assertEquals(m.knownAddress(addr(hosts[64]))!.tried, true);
  const after = await saved(m, storage);
  assertEquals(triedBucketOf(after).size, 64);
  assertEquals(newBucketsOf(after).get(`${hosts[0]}:8333`)?.length, 1);
  assertEquals(m.numAddresses(), 65);
});

Deno.test("getAddress", async (t) => {
  await t.step("favours addresses that did not fail (seeded, deterministic)", async () => {
    const { m, clock } = manager({ random: seededRandom(42) });
    const random = seededRandom(4);
    const fresh = new Set<string>();
    const failed = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const a = randomIpv4(random);
      m.addAddress(a, randomIpv4(random));
      const name = netAddressKey(a);
      if (i % 2 === 0) {
        fresh.add(name);
      } else {
        failed.add(name);
        for (let j = 0; j < 8; j++) m.attempt(a);
      }
    }
    await clock.tick(60 * 60_000);
    let picksFresh = 0, picksFailed = 0;
    for (let i = 0; i < 20_000; i++) {
      const name = netAddressKey(m.getAddress()!.netAddress);
      if (fresh.has(name)) picksFresh++;
      if (failed.has(name)) picksFailed++;
    }
    assertEquals(picksFresh + picksFailed, 20_000);
    // 1 : 0.66^8 (about 28 : 1) expected; demand at least 10 : 1.
    assertGreater(picksFresh, 10 * picksFailed, `${picksFresh} vs ${picksFailed}`);
    assertGreater(picksFailed, 0);
  });
  await t.step("an address tried in the last 10 minutes is rarely picked", () => {
    const { m } = manager({ random: seededRandom(8) });
    m.addAddress(addr("8.8.8.8"), addr("9.9.9.9"));
    m.addAddress(addr("8.8.4.4"), addr("1.1.1.1"));
    m.attempt(addr("8.8.8.8"));
    let recent = 0;
    for (let i = 0; i < 5000; i++) {
      if (netAddressKey(m.getAddress()!.netAddress) === "8.8.8.8:8333") recent++;
    }
    assertLess(recent, 250, `${recent}`);
  });
  await t.step("a tried address attempted in the last 10 minutes is rarely picked", async () => {
    const { m, clock } = manager({ random: seededRandom(17) });
    for (const host of ["8.8.8.8", "8.8.4.4"]) {
      m.addAddress(addr(host), addr("9.9.9.9"));
      m.good(addr(host));
    }
    // Both were just connected to (good stamps the attempt): wait, then attempt one.
    await clock.tick(11 * 60_000);
    m.attempt(addr("8.8.8.8"));
    let recent = 0;
    for (let i = 0; i < 5000; i++) {
      const pick = m.getAddress()!;
      assertEquals(pick.tried, true);
      if (netAddressKey(pick.netAddress) === "8.8.8.8:8333") recent++;
    }
    assertLess(recent, 250, `${recent}`);
    // Connected again: its attempts reset, but it was attempted just now all the same.
    m.good(addr("8.8.8.8"));
    await clock.tick(11 * 60_000);
    m.good(addr("8.8.4.4"));
    recent = 0;
    for (let i = 0; i < 5000; i++) {
      if (netAddressKey(m.getAddress()!.netAddress) === "8.8.4.4:8333") recent++;
    }
    assertLess(recent, 250, `${recent}`);
  });
  await t.step("tried and new with even odds", () => {
    const { m } = manager({ random: seededRandom(13) });
    const random = seededRandom(14);
    const tried = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const a = randomIpv4(random);
      m.addAddress(a, randomIpv4(random));
      if (i < 40) {
        m.good(a);
        tried.add(netAddressKey(a));
      }
    }
    let fromTried = 0;
    for (let i = 0; i < 10_000; i++) {
      if (m.getAddress()!.tried) fromTried++;
    }
    assert(fromTried > 4500 && fromTried < 5500, `${fromTried}`);
  });
});

Deno.test("addressCache, needMoreAddresses, numAddresses", async (t) => {
  await t.step("23% of the book, distinct, known", () => {
    const { m } = manager();
    const random = seededRandom(21);
    for (let i = 0; i < 1000; i++) m.addAddress(randomIpv4(random), randomIpv4(random));
    const n = m.numAddresses();
    assert(n > 990 && n <= 1000);
    const cache = m.addressCache();
    assertEquals(cache.length, Math.floor(n * 23 / 100));
    const names = new Set(cache.map(netAddressKey));
    assertEquals(names.size, cache.length);
    for (const a of cache) assert(m.knownAddress(a));
  });
  await t.step("at most 1000 (Bitcoin Core's limit)", () => {
    const { m } = manager();
    const random = seededRandom(22);
    for (let i = 0; i < 6000; i++) m.addAddress(randomIpv4(random), randomIpv4(random));
    assertGreater(m.numAddresses() * 23 / 100, 1000);
    assertEquals(m.addressCache().length, 1000);
  });
  await t.step("bad addresses are left out", () => {
    const { m } = manager();
    const random = seededRandom(23);
    for (let i = 0; i < 100; i++) m.addAddress(randomIpv4(random), randomIpv4(random));
    for (let i = 0; i < 900; i++) {
      m.addAddress(randomIpv4(random, 8333, 31 * 86400), randomIpv4(random));
    }
    const cache = m.addressCache();
    assertLessOrEqual(cache.length, 100);
    for (const a of cache) assertGreater(a.timestamp, T0_S - 86400);
  });
  await t.step("needMoreAddresses below 1000", () => {
    const { m } = manager();
    for (let i = 0; i < 999; i++) {
      m.addAddress(addr(`44.${i >> 8}.${i & 0xff}.1`), addr(`${1 + (i % 90)}.1.1.1`));
    }
    assertEquals(m.numAddresses(), 999);
    assertEquals(m.needMoreAddresses(), true);
    m.addAddress(addr("45.1.1.1"), addr("9.9.9.9"));
    assertEquals(m.needMoreAddresses(), false);
  });
});

Deno.test("local addresses", async (t) => {
  const { m } = manager();
  await t.step("unroutable ones are refused", () => {
    const error = assertThrows(
      () => m.addLocalAddress(addr("192.168.1.2"), AddressPriority.BOUND),
      TypeError,
    );
    assertEquals(error.name, "TypeError");
    assertEquals(error.message, "Cannot add local address 192.168.1.2:8333: it is not routable");
  });
  await t.step("no local address: an unroutable placeholder", () => {
    const best = m.getBestLocalAddress(addr("9.9.9.9"));
    assertEquals(netAddressV2ToString(best), "0.0.0.0");
    assertEquals(best.port, 0);
    assertEquals(best.services, 1n | 4n | 8n);
    assertEquals(netAddressV2ToString(m.getBestLocalAddress(addr("2a02::1"))), "::");
  });
  await t.step("by reachability, then priority", () => {
    m.addLocalAddress(addr("8.8.8.8"), AddressPriority.INTERFACE);
    m.addLocalAddress(addr("8.8.4.4"), AddressPriority.BOUND);
    m.addLocalAddress(addr("2a01:4f8::1"), AddressPriority.INTERFACE);
    m.addLocalAddress(addr("2002:808:808::1"), AddressPriority.MANUAL);
    const onion = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
    m.addLocalAddress(addr(onion), AddressPriority.MANUAL);
    const best = (remote: string) => netAddressV2ToString(m.getBestLocalAddress(addr(remote)));
    assertEquals(best("9.9.9.9"), "8.8.4.4");
    assertEquals(best("2a02::1"), "2a01:4f8::1");
    assertEquals(best("2001::1"), "8.8.4.4"); // Teredo peer: IPv4 beats IPv6
    assertEquals(best(onion), onion);
    m.addLocalAddress(addr("8.8.8.8"), AddressPriority.MANUAL);
    assertEquals(
      m.localAddresses().find((l) => netAddressKey(l.netAddress) === "8.8.8.8:8333")?.score,
      AddressPriority.MANUAL + 1,
    );
    assertEquals(best("9.9.9.9"), "8.8.8.8");
  });
});

Deno.test("hostToNetAddress", async (t) => {
  const resolve = spy((host: string) =>
    Promise.resolve(host === "seed.example" ? ["203.0.113.5", "2001:db8::5"] : [])
  );
  const { m } = manager({ resolve });
  await t.step("literals and onion names without the resolver", async () => {
    const v4 = await m.hostToNetAddress("1.2.3.4", 8333, 1n);
    assertEquals(v4.networkId, BIP155Network.IPV4);
    assertEquals(v4.services, 1n);
    assertEquals(v4.timestamp, T0_S);
    const v6 = await m.hostToNetAddress("[2001:db8::1]", 8333);
    assertEquals(v6.networkId, BIP155Network.IPV6);
    const onion = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
    assertEquals((await m.hostToNetAddress(onion, 8333)).networkId, BIP155Network.TORV3);
    assertSpyCalls(resolve, 0);
  });
  await t.step("names through the resolver, first answer", async () => {
    const na = await m.hostToNetAddress("seed.example", 18333);
    assertEquals(netAddressV2ToString(na), "203.0.113.5");
    assertEquals(na.port, 18333);
    const error = await assertRejects(() => m.hostToNetAddress("nothing.example", 8333), TypeError);
    assertEquals(error.name, "TypeError");
    assertEquals(error.message, "Cannot resolve nothing.example: no addresses found");
  });
  await t.step("a corrupt onion name is refused", async () => {
    await assertRejects(() => m.hostToNetAddress("abc.onion", 8333), TypeError);
  });
  await t.step("a v3 onion name parsed here matches wire's", () => {
    const onion = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
    assertEquals(netAddressV2FromString(onion, 1).address.length, 32);
  });
});

Deno.test("start and stop: periodic save every 10 minutes, and a save on stop", async () => {
  const { m, storage, clock } = manager();
  await m.start();
  await m.start();
  m.addAddress(addr("8.8.8.8"), addr("9.9.9.9"));
  await clock.tick(10 * 60_000 - 1);
  assertEquals(storage.saves, 0);
  await clock.tick(1);
  assertEquals(storage.saves, 1);
  await clock.tick(10 * 60_000);
  assertEquals(storage.saves, 2);
  await m.stop();
  assertEquals(storage.saves, 3);
  assertEquals(clock.pendingTimers, 0);
  await m.stop();
  assertEquals(storage.saves, 3);
  const again = new AddrManager({ storage, clock });
  await again.start();
  assertEquals(again.numAddresses(), 1);
  await again.stop();
});

Deno.test("AddrManager: keepLocalAddresses keeps loopback and private addresses", async () => {
  const now = Math.floor(Date.now() / 1000);
  const local = [
    netAddressV2FromString("127.0.0.1", 18444, { timestamp: now }),
    netAddressV2FromString("192.168.1.7", 18444, { timestamp: now }),
    netAddressV2FromString("::1", 18444, { timestamp: now }),
  ];
  const zero = netAddressV2FromString("0.0.0.0", 18444, { timestamp: now });
  const source = netAddressV2FromString("127.0.0.1", 1);
  const plain = new AddrManager({ storage: new MemoryStorage() });
  plain.addAddresses([...local, zero], source);
  assertEquals(plain.numAddresses(), 0);
  assertThrows(() => plain.addLocalAddress(local[0], 1), TypeError);
  const storage = new MemoryStorage();
  const keeping = new AddrManager({ storage, keepLocalAddresses: true });
  keeping.addAddresses([...local, zero], source);
  assertEquals(keeping.numAddresses(), 3, "valid ones kept, 0.0.0.0 still refused");
  keeping.addLocalAddress(local[0], 1);
  assertEquals(keeping.addressCache().length, 0, "23% of 3");
  assertEquals(keeping.addressCache({ percent: 100 }).length, 3);
  assertThrows(() => keeping.addressCache({ percent: 101 }), RangeError);
  // They survive a save and load.
  await keeping.save();
  const reloaded = new AddrManager({ storage, keepLocalAddresses: true });
  await reloaded.start();
  assertEquals(reloaded.numAddresses(), 3);
  await reloaded.stop();
});

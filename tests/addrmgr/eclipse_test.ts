// Eclipse resistance: what one source group, or one address group, can occupy.
import { assert, assertGreater, assertGreaterOrEqual, assertLessOrEqual } from "@std/assert";
import { AddrManager, MemoryStorage, netAddressKey } from "../../addrmgr/mod.ts";
import { FakeClock } from "../../peer/fake_clock.ts";
import {
  addr,
  newBucketsOf,
  randomIpv4,
  type SavedBook,
  seededRandom,
  T0,
  testKey,
  triedBucketOf,
} from "./_helpers.ts";

function manager(seed: number) {
  const storage = new MemoryStorage();
  const m = new AddrManager({
    storage,
    clock: new FakeClock(T0),
    random: seededRandom(seed),
    key: testKey(seed),
  });
  return { m, storage };
}

async function saved(m: AddrManager, storage: MemoryStorage): Promise<SavedBook> {
  await m.save();
  return JSON.parse(storage.data!);
}

Deno.test("addresses announced by one source group land in at most 64 new buckets", async () => {
  const { m, storage } = manager(1);
  const random = seededRandom(2);
  const names = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const a = randomIpv4(random);
    names.add(netAddressKey(a));
    // Several peers, all in 77.77.0.0/16.
    m.addAddress(a, addr(`77.77.${i % 200}.${1 + (i % 7)}`));
  }
  const buckets = new Set<number>();
  for (const [name, list] of newBucketsOf(await saved(m, storage))) {
    assert(names.has(name));
    for (const b of list) buckets.add(b);
  }
  assertLessOrEqual(buckets.size, 64, `${buckets.size} buckets`);
  assertGreater(buckets.size, 48, `${buckets.size} buckets: the group should spread`);
  assertLessOrEqual(m.numAddresses(), 64 * 64);
});

Deno.test("addresses of one group occupy at most 8 tried buckets", async () => {
  const { m, storage } = manager(3);
  const random = seededRandom(4);
  for (let i = 0; i < 2000; i++) {
    const a = addr(`44.5.${i >> 8}.${i & 0xff}`);
    m.addAddress(a, randomIpv4(random));
    m.good(a);
  }
  const tried = triedBucketOf(await saved(m, storage));
  assertGreater(tried.size, 400, `${tried.size} tried`);
  const buckets = new Set(tried.values());
  assertLessOrEqual(buckets.size, 8, `${buckets.size} buckets`);
  assertLessOrEqual(tried.size, 8 * 64);
});

Deno.test("a flood of 100,000 addresses from one /16 pushes out at most its share", async () => {
  const { m, storage } = manager(5);
  const random = seededRandom(6);
  // Fill the new table from many sources until it stops growing.
  for (let i = 0; i < 400_000; i++) m.addAddress(randomIpv4(random), randomIpv4(random));
  const before = await saved(m, storage);
  const full = before.NewBuckets.filter((b) => b.length === 64).length;
  assertGreater(full, 1000, `${full} of 1024 new buckets full`);
  const old = new Set(before.Addresses.map((a) => a.Addr));

  // The attacker: 100,000 fresh addresses, announced from peers in one /16.
  for (let i = 0; i < 100_000; i++) {
    m.addAddress(randomIpv4(random, 8333, 0), addr(`66.66.${i & 0xff}.${1 + (i % 250)}`));
  }
  const after = await saved(m, storage);
  const survivors = after.Addresses.filter((a) => old.has(a.Addr)).length;
  const lost = old.size - survivors;
  // 64 of the 1024 new buckets, 64 entries each: 4096 at most (6.25% of the table).
  assertLessOrEqual(lost, 64 * 64, `${lost} pushed out`);
  const floodBuckets = new Set<number>();
  for (const [name, list] of newBucketsOf(after)) {
    if (!old.has(name)) { for (const b of list) floodBuckets.add(b); }
  }
  assertLessOrEqual(floodBuckets.size, 64, `${floodBuckets.size} buckets`);
  assertGreaterOrEqual(survivors, old.size - 4096);
});

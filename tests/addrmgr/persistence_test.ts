import { assertEquals, assertRejects } from "@std/assert";
import { assertSpyCalls, spy } from "@std/testing/mock";
import {
  AddrManager,
  FileStorage,
  type FileSystem,
  MemoryStorage,
  netAddressKey,
} from "../../addrmgr/mod.ts";
import { FakeClock } from "../../peer/fake_clock.ts";
import { addr, randomIpv4, type SavedBook, seededRandom, T0, T0_S, testKey } from "./_helpers.ts";

function manager(storage: MemoryStorage | FileStorage, seed = 1) {
  return new AddrManager({
    storage,
    clock: new FakeClock(T0),
    random: seededRandom(seed),
    key: testKey(),
  });
}

function filled(storage: MemoryStorage | FileStorage, n: number): AddrManager {
  const m = manager(storage);
  const random = seededRandom(2);
  for (let i = 0; i < n; i++) m.addAddress(randomIpv4(random), randomIpv4(random));
  let i = 0;
  for (const a of m.addressCache()) {
    m.attempt(a);
    if (i++ % 2 === 0) m.good(a);
  }
  return m;
}

Deno.test("round trip: what is saved is what is loaded", async () => {
  const storage = new MemoryStorage();
  const m = await filled(storage, 3000);
  const onion = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
  const i2p = "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p";
  m.addAddresses([addr(onion), addr(i2p, 0), addr("fc00::7"), addr("2a01::9")], addr("2a02::1"));
  m.setServices(addr("2a01::9"), (1n << 60n) | 1n);
  await m.save();
  const first = storage.data!;
  const book: SavedBook = JSON.parse(first);
  assertEquals(book.Version, 3);
  assertEquals(book.Key, [...testKey()]);
  assertEquals(book.NewBuckets.length, 1024);
  assertEquals(book.TriedBuckets.length, 256);

  const back = manager(storage, 9);
  await back.start();
  assertEquals(back.numAddresses(), m.numAddresses());
  for (const a of [addr(onion), addr(i2p, 0), addr("fc00::7")]) {
    assertEquals(back.knownAddress(a)?.netAddress, m.knownAddress(a)?.netAddress);
  }
  assertEquals(back.knownAddress(addr("2a01::9"))?.netAddress.services, (1n << 60n) | 1n);
  await back.save();
  assertEquals(normalized(storage.data!), normalized(first), "saved again, the same book");
  await back.stop();
});

/** A book with its lists sorted: the order of addresses within a list carries no meaning. */
function normalized(text: string): SavedBook {
  const book: SavedBook = JSON.parse(text);
  book.Addresses.sort((a, b) => a.Addr < b.Addr ? -1 : 1);
  for (const b of [...book.NewBuckets, ...book.TriedBuckets]) b.sort();
  return book;
}

const GO_ZERO_TIME = -62135596800;

function btcdBook(version: 1 | 2, triedBuckets: number): string {
  const key = [...testKey(3)];
  const entry = (a: string, extra: Record<string, unknown>) => ({
    Addr: a,
    Src: "9.9.9.9:8333",
    Attempts: 1,
    TimeStamp: T0_S - 3600,
    LastAttempt: T0_S - 7200,
    LastSuccess: GO_ZERO_TIME,
    ...(version === 2 ? { Services: 1033, SrcServices: 1 } : {}),
    ...extra,
  });
  const newBuckets: string[][] = Array.from({ length: 1024 }, () => []);
  const tried: string[][] = Array.from({ length: triedBuckets }, () => []);
  newBuckets[5].push("8.8.8.8:8333", "[2a01:4f8::1]:8333");
  newBuckets[900].push("8.8.8.8:8333");
  tried[63].push("1.1.1.1:8333");
  return JSON.stringify({
    Version: version,
    Key: key,
    Addresses: [
      entry("8.8.8.8:8333", {}),
      entry("[2a01:4f8::1]:8333", {}),
      entry("1.1.1.1:8333", { LastSuccess: T0_S - 60, Attempts: 0 }),
    ],
    NewBuckets: newBuckets,
    TriedBuckets: tried,
  });
}

Deno.test("btcd's peers.json, versions 1 and 2", async (t) => {
  for (const version of [1, 2] as const) {
    await t.step(`version ${version}, 64 tried buckets re-bucketed`, async () => {
      const storage = new MemoryStorage(btcdBook(version, 64));
      const m = manager(storage);
      await m.start();
      assertEquals(m.numAddresses(), 3);
      const a = m.knownAddress(addr("8.8.8.8"))!;
      assertEquals(a.refs, 2);
      assertEquals(a.attempts, 1);
      assertEquals(a.lastAttemptMs, (T0_S - 7200) * 1000);
      assertEquals(a.lastSuccessMs, 0, "Go's zero time reads as never");
      assertEquals(a.netAddress.services, version === 1 ? 1n : 1033n);
      const tried = m.knownAddress(addr("1.1.1.1"))!;
      assertEquals(tried.tried, true);
      assertEquals(tried.lastSuccessMs, (T0_S - 60) * 1000);
      await m.save();
      const book: SavedBook = JSON.parse(storage.data!);
      assertEquals(book.Version, 3);
      assertEquals(book.Key, [...testKey(3)], "the key is kept");
      assertEquals(book.TriedBuckets.length, 256);
      assertEquals(book.NewBuckets[5].sort(), ["8.8.8.8:8333", "[2a01:4f8::1]:8333"]);
      await m.stop();
    });
  }
  await t.step("a new bucket of 65 (btcd's off-by-one) is cut to 64", async () => {
    const book = JSON.parse(btcdBook(2, 64));
    for (let i = 0; i < 65; i++) {
      const name = `44.4.0.${i + 1}:8333`;
      book.Addresses.push({ ...book.Addresses[0], Addr: name });
      book.NewBuckets[7].push(name);
    }
    const m = manager(new MemoryStorage(JSON.stringify(book)));
    await m.start();
    assertEquals(m.numAddresses(), 3 + 64);
    await m.stop();
  });
});

Deno.test("a corrupt, truncated or unknown-version book is set aside", async (t) => {
  const good = btcdBook(2, 64);
  const bad: [string, string][] = [
    ["truncated", good.slice(0, good.length / 2)],
    ["not json", "\u0000\u0001garbage"],
    ["unknown version", good.replace('"Version":2', '"Version":9')],
    ["short key", good.replace(/"Key":\[[0-9,]+\]/, '"Key":[1,2,3]')],
    ["unknown bucket entry", good.replace('"1.1.1.1:8333"]', '"1.1.1.1:8333","5.5.5.5:1"]')],
    ["both new and tried", good.replace('["1.1.1.1:8333"]', '["1.1.1.1:8333","8.8.8.8:8333"]')],
    ["bad address", good.replace("[2a01:4f8::1]:8333", "[2a01:zz::1]:8333")],
    ["unreferenced address", good.replace('"1.1.1.1:8333"]', "]")],
  ];
  for (const [name, text] of bad) {
    await t.step(name, async () => {
      const storage = new MemoryStorage(text);
      const m = manager(storage);
      await m.start();
      assertEquals(m.numAddresses(), 0);
      assertEquals(storage.setAsideData, [text]);
      m.addAddress(addr("8.8.8.8"), addr("9.9.9.9"));
      await m.stop();
      assertEquals(JSON.parse(storage.data!).Addresses.length, 1);
    });
  }
});

Deno.test("FileStorage", async (t) => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/peers.json`;
  try {
    await t.step("missing file: empty book, and a save creates it", async () => {
      const m = await filled(new FileStorage(path), 500);
      await m.start();
      assertEquals(m.numAddresses(), 500, "nothing stored: what is in memory stays");
      m.addAddress(addr("8.8.8.8"), addr("9.9.9.9"));
      await m.stop();
      const back = manager(new FileStorage(path));
      await back.start();
      assertEquals(back.numAddresses(), 501);
      await back.stop();
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["peers.json"]);
    });
    await t.step("a corrupt file is renamed aside and the manager starts empty", async () => {
      await Deno.writeTextFile(path, '{"Version":2,"Key":[1,2');
      const m = manager(new FileStorage(path, { now: () => 1234 }));
      await m.start();
      assertEquals(m.numAddresses(), 0);
      assertEquals(await Deno.readTextFile(`${path}.corrupt-1234`), '{"Version":2,"Key":[1,2');
      await m.stop();
      assertEquals(JSON.parse(await Deno.readTextFile(path)).Version, 3);
    });
    await t.step("a save interrupted part-way leaves the old file intact", async () => {
      const m = await filled(new FileStorage(path), 2000);
      await m.save();
      const before = await Deno.readTextFile(path);
      m.addAddress(addr("7.7.7.7"), addr("9.9.9.9"));
      // The disk fills (or the process dies) after half the bytes are written.
      const failing: FileSystem = {
        readTextFile: (p) => Deno.readTextFile(p),
        async writeAndSync(p, data) {
          await Deno.writeFile(p, data.subarray(0, data.length >> 1));
          throw new Deno.errors.WriteZero("No space left on device");
        },
        rename: (a, b) => Deno.rename(a, b),
        remove: (p) => Deno.remove(p),
      };
      const broken = new FileStorage(path, { fs: failing });
      await assertRejects(() => broken.save("x".repeat(100_000)), Deno.errors.WriteZero);
      assertEquals(await Deno.readTextFile(path), before);
      const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.includes("tmp"));
      assertEquals(names, [], "the temporary file is removed");
      const back = manager(new FileStorage(path));
      await back.start();
      assertEquals(back.numAddresses(), m.numAddresses() - 1);
      await back.stop();
    });
    await t.step("a periodic save that fails is logged, not thrown", async () => {
      const clock = new FakeClock(T0);
      const save = spy(() => Promise.reject(new Error("disk gone")));
      const m = new AddrManager({
        clock,
        storage: {
          load: () => Promise.resolve(undefined),
          save,
          setAside: () => Promise.resolve(undefined),
        },
      });
      await m.start();
      await clock.tick(10 * 60_000);
      assertSpyCalls(save, 1);
      const error = await assertRejects(() => m.stop(), Error);
      assertEquals(error.message, "disk gone");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("save and load keep the placement of every address", async () => {
  const storage = new MemoryStorage();
  const m = await filled(storage, 5000);
  await m.save();
  const back = manager(storage);
  await back.start();
  const random = seededRandom(2);
  for (let i = 0; i < 200; i++) {
    const a = randomIpv4(random);
    randomIpv4(random);
    assertEquals(back.knownAddress(a)?.refs, m.knownAddress(a)?.refs, netAddressKey(a));
  }
  await back.stop();
});

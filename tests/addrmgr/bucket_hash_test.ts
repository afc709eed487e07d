// The allocation-free bucket placement (`_bucket_hash.ts`: group keys written straight into
// the hash input, the first digest bytes read from `checksum`, per-group caches) against
// btcd's formula computed independently with node:crypto and BigInt, over random keys and
// addresses of every kind; and the (IPv4, port) hash table of the index against a Map.
import { assertEquals } from "@std/assert";
import fc from "fast-check";
import { BucketHasher } from "../../addrmgr/_bucket_hash.ts";
import { Ipv4Map } from "../../addrmgr/_ipv4_map.ts";
import { groupKey, netAddressKey } from "../../addrmgr/mod.ts";
import { BIP155Network, type NetAddressV2 } from "../../wire/mod.ts";
import { btcdNewBucket, coreTriedBucket } from "./_btcd_placement.ts";
import { seededRandom } from "./_helpers.ts";

const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((address) => ({
  networkId: BIP155Network.IPV4,
  address,
}));
// IPv4-mapped, Teredo, 6to4, Hurricane Electric and other IPv6.
const ipv6 = fc.tuple(
  fc.constantFrom(
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff],
    [0x20, 0x01, 0, 0],
    [0x20, 0x02],
    [0x20, 0x01, 0x04, 0x70],
    [0x2a, 0x01],
    [],
  ),
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
).map(([prefix, rest]) => {
  const address = rest.slice();
  address.set(prefix);
  return { networkId: BIP155Network.IPV6, address };
});
const torV3 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((address) => ({
  networkId: BIP155Network.TORV3,
  address,
}));
const netAddress = fc.tuple(fc.oneof(ipv4, ipv4, ipv6, torV3), fc.integer({ min: 1, max: 65535 }))
  .map(([a, port]): NetAddressV2 => ({ ...a, port, timestamp: 0, services: 0n }));
const key = fc.uint8Array({ minLength: 32, maxLength: 32 });

Deno.test("bucket placement matches btcd's formula (property)", async (t) => {
  await t.step("new buckets, any address and source (unroutable sources included)", () => {
    fc.assert(
      fc.property(
        key,
        fc.array(fc.tuple(netAddress, netAddress), { maxLength: 20 }),
        (k, pairs) => {
          const hasher = new BucketHasher(k);
          // Twice: the second pass reads the per-group caches.
          for (let pass = 0; pass < 2; pass++) {
            for (const [a, s] of pairs) {
              assertEquals(
                hasher.newBucket(hasher.group(a), hasher.group(s)),
                btcdNewBucket(k, groupKey(a), groupKey(s)),
              );
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
  await t.step("tried buckets", () => {
    fc.assert(
      fc.property(key, fc.array(netAddress, { maxLength: 20 }), (k, addresses) => {
        const hasher = new BucketHasher(k);
        for (let pass = 0; pass < 2; pass++) {
          for (const a of addresses) {
            const name = netAddressKey(a);
            assertEquals(
              hasher.triedBucket(name, hasher.group(a)),
              coreTriedBucket(k, name, groupKey(a)),
            );
          }
        }
      }),
      { numRuns: 200 },
    );
  });
  await t.step("every IPv4 /16 group key is written as btcd writes it", () => {
    const k = new Uint8Array(32).fill(3);
    const hasher = new BucketHasher(k);
    const src: NetAddressV2 = {
      networkId: BIP155Network.IPV4,
      address: Uint8Array.of(9, 9, 9, 9),
      port: 8333,
      timestamp: 0,
      services: 0n,
    };
    for (let a = 0; a < 256; a += 1) {
      for (const b of [0, 7, 10, 99, 100, 255]) {
        const na = { ...src, address: Uint8Array.of(a, b, 1, 1) };
        assertEquals(
          hasher.newBucket(hasher.group(na), hasher.group(src)),
          btcdNewBucket(k, groupKey(na), "9.9.0.0"),
          `${a}.${b}.1.1`,
        );
      }
    }
  });
});

Deno.test("Ipv4Map behaves as a Map under random sets and deletes", () => {
  const random = seededRandom(21);
  const map = new Ipv4Map<number>(12345);
  const model = new Map<string, number>();
  // A small key space, so that probe runs collide, wrap around and shift back on delete;
  // addresses above 2^31 check the int32 keys.
  const ips = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xc0a80101, 123456789];
  for (let step = 0; step < 200_000; step++) {
    const ip = random() < 0.5
      ? ips[Math.floor(random() * ips.length)]
      : Math.floor(random() * 4096) * 1048573 >>> 0;
    const port = Math.floor(random() * 4) * 8333;
    const name = `${ip}:${port}`;
    const op = random();
    if (op < 0.5) {
      map.set(ip, port, step);
      model.set(name, step);
    } else if (op < 0.9) {
      assertEquals(map.delete(ip, port), model.delete(name));
    } else {
      assertEquals(map.get(ip, port), model.get(name));
      assertEquals(map.has(ip, port), model.has(name));
    }
    assertEquals(map.size, model.size);
  }
  for (const [name, value] of model) {
    const [ip, port] = name.split(":").map(Number);
    assertEquals(map.get(ip, port), value);
  }
  map.clear();
  assertEquals(map.size, 0);
  assertEquals(map.get(ips[0], 0), undefined);
});

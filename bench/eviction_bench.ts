// The accept path's defences: choosing an inbound peer to evict among 125 and 1,000
// candidates, matching a host against 10,000 CIDR ranges (and, for scale, the linear scan a
// list of ranges would need), and the discouragement filter's insert and lookups. Inputs
// come from a seeded RNG, the same in every run.
import {
  type EvictionCandidate,
  type EvictionNetwork,
  selectNodeToEvict,
} from "../server/_eviction.ts";
import { Discouraged } from "../server/_discouraged.ts";
import { RollingBloomFilter } from "../server/_rolling_bloom.ts";
import { parseSubnet, SubnetSet } from "../server/subnet.ts";
import { seededRandom } from "../tests/addrmgr/_helpers.ts";
import { benchThroughput } from "./_throughput.ts";

const random = seededRandom(10);
const int = (n: number) => Math.floor(random() * n);

// Candidates as on a busy listener: a third from one crowded group (an attacker, or a cloud
// provider), the rest spread over many groups; pings, transaction and block times for most;
// a few onion and loopback peers; all connected within the last day.
// A few handshakes in progress, younger than the grace (stale ones would end the choice
// early).
function candidates(n: number): EvictionCandidate[] {
  const now = 86_400_000;
  const networks: EvictionNetwork[] = ["ipv4", "ipv4", "ipv4", "ipv6", "onion"];
  return Array.from({ length: n }, (_, id) => {
    const handshakeComplete = random() < 0.97;
    return {
      id,
      connectedAt: now - (handshakeComplete ? int(86_400_000) : int(5_000)),
      minPingMs: random() < 0.9 ? 5 + random() * 300 : Infinity,
      lastBlockAt: random() < 0.3 ? now - int(3_600_000) : 0,
      lastTxAt: random() < 0.5 ? now - int(600_000) : 0,
      relevantServices: random() < 0.8,
      relayTxs: random() < 0.9,
      bloomFilter: random() < 0.05,
      keyedNetGroup: id % 3 === 0 ? 7 : int(2 ** 48),
      preferEvict: random() < 0.02,
      isLocal: random() < 0.02,
      network: networks[int(networks.length)],
      noban: false,
      inbound: true,
      handshakeComplete,
    };
  });
}

for (const n of [125, 1000]) {
  const set = candidates(n);
  const now = { now: 86_400_000 };
  if (selectNodeToEvict(set, { now: 86_400_000 }) === undefined) throw new Error("No choice");
  benchThroughput(`selectNodeToEvict, ${n} candidates`, {
    group: `evict-${n}`,
    items: 1,
    itemName: "choices",
  }, () => {
    selectNodeToEvict(set, now);
  });
}

// 10,000 ranges: IPv4 /8 to /32 and IPv6 /16 to /128 (so most prefix lengths are in use,
// the worst case for the set), and hosts half inside a range, half anywhere.
const v4Text = (v: number) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
const v6Text = (g: number[]) => g.map((x) => x.toString(16)).join(":");
const rangeTexts: string[] = [];
const inside: string[] = [];
for (let i = 0; i < 10_000; i++) {
  if (i % 2 === 0) {
    const v = int(2 ** 32);
    rangeTexts.push(`${v4Text(v)}/${8 + int(25)}`);
    inside.push(v4Text(v));
  } else {
    const groups = Array.from({ length: 8 }, () => int(0x10000));
    groups[0] = 0x2000 | int(0x1000);
    rangeTexts.push(`${v6Text(groups)}/${16 + int(113)}`);
    inside.push(v6Text(groups));
  }
}
const hosts = Array.from({ length: 10_000 }, (_, i) => {
  if (i % 2 === 0) return inside[int(inside.length)];
  return i % 4 === 1
    ? v4Text(int(2 ** 32))
    : v6Text(Array.from({ length: 8 }, (_, j) => j === 0 ? 0x2000 | int(0x1000) : int(0x10000)));
});
const v4Hosts = hosts.filter((h) => !h.includes(":"));
const v6Hosts = hosts.filter((h) => h.includes(":"));
const set = new SubnetSet(rangeTexts);
const list = rangeTexts.map(parseSubnet);

benchThroughput("SubnetSet.has, 10,000 ranges, IPv4 hosts", {
  group: "subnet",
  baseline: true,
  items: v4Hosts.length,
  itemName: "lookups",
}, () => {
  for (const h of v4Hosts) set.has(h);
});

benchThroughput("SubnetSet.has, 10,000 ranges, IPv6 hosts", {
  group: "subnet",
  items: v6Hosts.length,
  itemName: "lookups",
}, () => {
  for (const h of v6Hosts) set.has(h);
});

benchThroughput("a linear scan of 10,000 ranges (for scale), IPv4 hosts", {
  group: "subnet",
  items: 20,
  itemName: "lookups",
}, () => {
  for (let i = 0; i < 20; i++) list.some((s) => s.contains(v4Hosts[i]));
});

const small = new SubnetSet(["10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32"]);
benchThroughput("SubnetSet.has, 3 ranges (a typical whitelist), IPv4 hosts", {
  group: "subnet-small",
  items: v4Hosts.length,
  itemName: "lookups",
}, () => {
  for (const h of v4Hosts) small.has(h);
});

// Discouragement: Core's filter, full (75,000 entries), keys of IPv4 size (5 bytes with the tag)
// and IPv6 size (17).
const filter = new RollingBloomFilter(50_000, 0.000001);
const keys5 = Array.from({ length: 100_000 }, () => Uint8Array.from({ length: 5 }, () => int(256)));
const keys17 = Array.from(
  { length: 10_000 },
  () => Uint8Array.from({ length: 17 }, () => int(256)),
);
for (let i = 0; i < 75_000; i++) filter.insert(keys5[i]);

let next = 0;
benchThroughput("RollingBloomFilter.insert, 5-byte keys (50,000 at 1e-6)", {
  group: "bloom",
  baseline: true,
  items: 10_000,
  itemName: "inserts",
}, () => {
  for (let i = 0; i < 10_000; i++) filter.insert(keys5[next++ % keys5.length]);
});

benchThroughput("RollingBloomFilter.insert, 17-byte keys", {
  group: "bloom",
  items: 10_000,
  itemName: "inserts",
}, () => {
  for (const k of keys17) filter.insert(k);
});

benchThroughput("RollingBloomFilter.contains, present", {
  group: "bloom",
  items: 10_000,
  itemName: "lookups",
}, () => {
  for (const k of keys17) filter.contains(k);
});

const absent = Array.from({ length: 10_000 }, () => Uint8Array.from({ length: 5 }, () => int(256)));
benchThroughput("RollingBloomFilter.contains, absent", {
  group: "bloom",
  items: 10_000,
  itemName: "lookups",
}, () => {
  for (const k of absent) filter.contains(k);
});

const discouraged = new Discouraged();
for (let i = 0; i < 50_000; i++) discouraged.discourage(v4Text(int(2 ** 32)));
benchThroughput("Discouraged.isDiscouraged, IPv4 text (parse and lookup)", {
  group: "bloom",
  items: v4Hosts.length,
  itemName: "lookups",
}, () => {
  for (const h of v4Hosts) discouraged.isDiscouraged(h);
});

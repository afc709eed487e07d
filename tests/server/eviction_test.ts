// Inbound eviction as Bitcoin Core's `net_peer_eviction_tests.cpp` tests it: its table of
// uptime and network protections, its random-candidate cases for each protection, and
// properties over random candidate sets; then our handshake rules and the attacks of issue 10.
import { assert, assertEquals, assertNotEquals } from "@std/assert";
import fc from "fast-check";
import {
  type EvictionCandidate,
  type EvictionNetwork,
  NetGroupKeys,
  protectEvictionCandidatesByRatio,
  selectNodeToEvict,
  STALE_HANDSHAKE_MS,
  unprotectedCandidates,
} from "../../server/_eviction.ts";
import { referenceUnprotected } from "./_eviction_reference.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Candidate = Mutable<EvictionCandidate>;

const NETWORKS: readonly EvictionNetwork[] = [
  "ipv4",
  "ipv6",
  "onion",
  "i2p",
  "cjdns",
  "not_publicly_routable",
];

/** Core's `GetRandomNodeEvictionCandidates`: every measure in 0..99, flags at random. */
const randomFields = fc.record({
  connectedAt: fc.nat(99),
  minPingMs: fc.nat(99),
  lastBlockAt: fc.nat(99),
  lastTxAt: fc.nat(99),
  relevantServices: fc.boolean(),
  relayTxs: fc.boolean(),
  bloomFilter: fc.boolean(),
  keyedNetGroup: fc.nat(99),
  preferEvict: fc.boolean(),
  isLocal: fc.boolean(),
  network: fc.constantFrom(...NETWORKS),
});

/** `min..max` random completed inbound candidates, ids 0.. in order. */
function randomCandidates(min: number, max: number): fc.Arbitrary<Candidate[]> {
  return fc.array(randomFields, { minLength: min, maxLength: max }).map((list) =>
    list.map((fields, id) => ({
      ...fields,
      id,
      noban: false,
      inbound: true,
      handshakeComplete: true,
    }))
  );
}

/** A plain completed inbound peer. */
function peer(id: number, fields: Partial<Candidate> = {}): Candidate {
  return {
    id,
    connectedAt: id,
    minPingMs: Infinity,
    lastBlockAt: 0,
    lastTxAt: 0,
    relevantServices: false,
    relayTxs: false,
    bloomFilter: false,
    keyedNetGroup: 0,
    preferEvict: false,
    isLocal: false,
    network: "ipv4",
    noban: false,
    inbound: true,
    handshakeComplete: true,
    ...fields,
  };
}

function ids(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed | 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) ^ 0x9e3779b9;
    const j = (s >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const NOW = { now: 0 };

interface RatioCase {
  readonly name: string;
  readonly n: number;
  /** Sets the connection time from the id (else it stays random). */
  readonly byId?: "uptime" | "reverse";
  readonly local: (id: number) => boolean;
  readonly network: (id: number) => EvictionNetwork;
  readonly protect: readonly number[];
  readonly unprotected: readonly number[];
}

const only = (...ids: number[]) => (id: number) => ids.includes(id);
const ipv4 = (): EvictionNetwork => "ipv4";
const ipv6 = (): EvictionNetwork => "ipv6";
const nets = (map: Record<number, EvictionNetwork>, rest: EvictionNetwork) => (id: number) =>
  map[id] ?? rest;
const range = (from: number, to: number, net: EvictionNetwork) => {
  const out: Record<number, EvictionNetwork> = {};
  for (let i = from; i <= to; i++) out[i] = net;
  return out;
};

// Core's `peer_protection_test`, case by case.
const RATIO_CASES: readonly RatioCase[] = [
  {
    name: "half by longest uptime",
    n: 12,
    byId: "uptime",
    local: () => false,
    network: ipv4,
    protect: [0, 1, 2, 3, 4, 5],
    unprotected: [6, 7, 8, 9, 10, 11],
  },
  {
    name: "half by longest uptime, the other way",
    n: 12,
    byId: "reverse",
    local: () => false,
    network: ipv6,
    protect: [6, 7, 8, 9, 10, 11],
    unprotected: [0, 1, 2, 3, 4, 5],
  },
  {
    name: "1/4 onion",
    n: 12,
    local: () => false,
    network: nets({ 3: "onion", 8: "onion", 9: "onion" }, "ipv4"),
    protect: [3, 8, 9],
    unprotected: [],
  },
  {
    name: "1/4 onion and 1/4 others by uptime",
    n: 12,
    byId: "uptime",
    local: () => false,
    network: nets({ 3: "onion", ...range(8, 11, "onion") }, "ipv6"),
    protect: [0, 1, 2, 3, 8, 9],
    unprotected: [4, 5, 6, 7, 10, 11],
  },
  {
    name: "1/4 localhost",
    n: 12,
    local: only(1, 9, 11),
    network: ipv4,
    protect: [1, 9, 11],
    unprotected: [],
  },
  {
    name: "1/4 localhost and 1/4 others by uptime",
    n: 12,
    byId: "uptime",
    local: (id) => id > 6,
    network: ipv6,
    protect: [0, 1, 2, 7, 8, 9],
    unprotected: [3, 4, 5, 6, 10, 11],
  },
  {
    name: "1/4 I2P",
    n: 12,
    local: () => false,
    network: nets({ 2: "i2p", 7: "i2p", 10: "i2p" }, "ipv4"),
    protect: [2, 7, 10],
    unprotected: [],
  },
  {
    name: "1/4 I2P and 1/4 others by uptime",
    n: 12,
    byId: "uptime",
    local: () => false,
    network: nets({ 4: "i2p", ...range(9, 11, "i2p") }, "ipv6"),
    protect: [0, 1, 2, 4, 9, 10],
    unprotected: [3, 5, 6, 7, 8, 11],
  },
  {
    name: "1/4 CJDNS",
    n: 12,
    local: () => false,
    network: nets({ 2: "cjdns", 7: "cjdns", 10: "cjdns" }, "ipv4"),
    protect: [2, 7, 10],
    unprotected: [],
  },
  {
    name: "1/4 CJDNS and 1/4 others by uptime",
    n: 12,
    byId: "uptime",
    local: () => false,
    network: nets({ 4: "cjdns", ...range(9, 11, "cjdns") }, "ipv6"),
    protect: [0, 1, 2, 4, 9, 10],
    unprotected: [3, 5, 6, 7, 8, 11],
  },
  {
    name: "1 localhost and 1 onion of 4: localhost first on a tie",
    n: 4,
    byId: "uptime",
    local: only(4),
    network: nets({ 3: "onion" }, "ipv4"),
    protect: [0, 4],
    unprotected: [1, 2],
  },
  {
    name: "1 localhost and 1 onion of 7",
    n: 7,
    byId: "uptime",
    local: only(6),
    network: nets({ 5: "onion" }, "ipv4"),
    protect: [0, 1, 6],
    unprotected: [2, 3, 4, 5],
  },
  {
    name: "1 localhost and 1 onion of 8",
    n: 8,
    byId: "uptime",
    local: only(6),
    network: nets({ 5: "onion" }, "ipv4"),
    protect: [0, 1, 5, 6],
    unprotected: [2, 3, 4, 7],
  },
  {
    name: "3 localhost and 3 onion of 12",
    n: 12,
    byId: "uptime",
    local: only(6, 9, 11),
    network: nets({ 7: "onion", 8: "onion", 10: "onion" }, "ipv6"),
    protect: [0, 1, 2, 6, 7, 9],
    unprotected: [3, 4, 5, 8, 10, 11],
  },
  {
    name: "4 localhost and 1 onion of 12",
    n: 12,
    byId: "uptime",
    local: (id) => id > 4 && id < 9,
    network: nets({ 10: "onion" }, "ipv4"),
    protect: [0, 1, 2, 5, 6, 10],
    unprotected: [3, 4, 7, 8, 9, 11],
  },
  {
    name: "4 localhost and 2 onion of 16",
    n: 16,
    byId: "uptime",
    local: only(6, 9, 11, 12),
    network: nets({ 8: "onion", 10: "onion" }, "ipv6"),
    protect: [0, 1, 2, 3, 6, 8, 9, 10],
    unprotected: [4, 5, 7, 11, 12, 13, 14, 15],
  },
  {
    name: "5 localhost and 1 onion of 16: localhost recovers the unused onion slot",
    n: 16,
    byId: "uptime",
    local: (id) => id > 10,
    network: nets({ 10: "onion" }, "ipv4"),
    protect: [0, 1, 2, 3, 10, 11, 12, 13],
    unprotected: [4, 5, 6, 7, 8, 9, 14, 15],
  },
  {
    name: "1 localhost and 4 onion of 16: onion recovers the unused localhost slot",
    n: 16,
    byId: "uptime",
    local: only(15),
    network: nets(range(7, 10, "onion"), "ipv6"),
    protect: [0, 1, 2, 3, 7, 8, 9, 15],
    unprotected: [5, 6, 10, 11, 12, 13, 14],
  },
  {
    name: "2 onion and 4 I2P of 12: onion first for having fewer",
    n: 12,
    byId: "uptime",
    local: () => false,
    network: nets(
      { 8: "onion", 10: "onion", 6: "i2p", 9: "i2p", 11: "i2p", 12: "i2p" },
      "ipv4",
    ),
    protect: [0, 1, 2, 6, 8, 10],
    unprotected: [3, 4, 5, 7, 9, 11],
  },
  {
    name: "1 localhost, 1 I2P and 1 onion of 4: I2P first on a tie",
    n: 4,
    byId: "uptime",
    local: only(2),
    network: nets({ 3: "i2p", 1: "onion" }, "ipv6"),
    protect: [0, 3],
    unprotected: [1, 2],
  },
  {
    name: "1 localhost, 1 I2P and 1 onion of 7",
    n: 7,
    byId: "uptime",
    local: only(4),
    network: nets({ 6: "i2p", 5: "onion" }, "ipv6"),
    protect: [0, 1, 6],
    unprotected: [2, 3, 4, 5],
  },
  {
    name: "1 localhost, 1 I2P and 1 onion of 8",
    n: 8,
    byId: "uptime",
    local: only(6),
    network: nets({ 5: "i2p", 4: "onion" }, "ipv6"),
    protect: [0, 1, 5, 6],
    unprotected: [2, 3, 4, 7],
  },
  {
    name: "4 localhost, 2 I2P and 2 onion of 16",
    n: 16,
    byId: "uptime",
    local: (id) => id === 6 || id > 11,
    network: nets({ 7: "i2p", 11: "i2p", 9: "onion", 10: "onion" }, "ipv4"),
    protect: [0, 1, 2, 3, 6, 7, 9, 11],
    unprotected: [4, 5, 8, 10, 12, 13, 14, 15],
  },
  {
    name: "1 localhost, 8 I2P and 1 onion of 24",
    n: 24,
    byId: "uptime",
    local: only(12),
    network: nets({ ...range(15, 22, "i2p"), 23: "onion" }, "ipv6"),
    protect: [0, 1, 2, 3, 4, 5, 12, 15, 16, 17, 18, 23],
    unprotected: [6, 7, 8, 9, 10, 11, 13, 14, 19, 20, 21, 22],
  },
  {
    name: "1 localhost, 3 I2P and 6 onion of 24: I2P gets the unused localhost slot",
    n: 24,
    byId: "uptime",
    local: only(15),
    network: nets({ 12: "i2p", 14: "i2p", 17: "i2p", ...range(18, 23, "onion") }, "ipv4"),
    protect: [0, 1, 2, 3, 4, 5, 12, 14, 15, 17, 18, 19],
    unprotected: [6, 7, 8, 9, 10, 11, 13, 16, 20, 21, 22, 23],
  },
  {
    name: "1 localhost, 7 I2P and 4 onion of 24",
    n: 24,
    byId: "uptime",
    local: only(13),
    network: nets(
      { ...range(17, 23, "i2p"), 12: "onion", 14: "onion", 15: "onion", 16: "onion" },
      "ipv6",
    ),
    protect: [0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 17, 18],
    unprotected: [6, 7, 8, 9, 10, 11, 16, 19, 20, 21, 22, 23],
  },
  {
    name: "8 localhost, 4 CJDNS and 3 onion of 24",
    n: 24,
    byId: "uptime",
    local: (id) => id > 15,
    network: nets({ ...range(11, 14, "cjdns"), ...range(7, 9, "onion") }, "ipv4"),
    protect: [0, 1, 2, 3, 4, 5, 7, 8, 11, 12, 16, 17],
    unprotected: [6, 9, 10, 13, 14, 15, 18, 19, 20, 21, 22, 23],
  },
  {
    name: "1 CJDNS, 1 I2P, 1 localhost and 1 onion of 5: CJDNS first on a tie",
    n: 5,
    byId: "uptime",
    local: only(3),
    network: nets({ 4: "cjdns", 1: "i2p", 2: "onion" }, "ipv6"),
    protect: [0, 4],
    unprotected: [1, 2, 3],
  },
  {
    name: "1 CJDNS, 1 I2P, 1 localhost and 1 onion of 7",
    n: 7,
    byId: "uptime",
    local: only(4),
    network: nets({ 6: "cjdns", 5: "i2p", 3: "onion" }, "ipv4"),
    protect: [0, 1, 6],
    unprotected: [2, 3, 4, 5],
  },
  {
    name: "1 CJDNS, 1 I2P, 1 localhost and 1 onion of 8",
    n: 8,
    byId: "uptime",
    local: only(3),
    network: nets({ 5: "cjdns", 6: "i2p", 3: "onion" }, "ipv6"),
    protect: [0, 1, 5, 6],
    unprotected: [2, 3, 4, 7],
  },
  {
    name: "2 CJDNS, 2 I2P, 4 localhost and 2 onion of 16",
    n: 16,
    byId: "uptime",
    local: (id) => id > 5,
    network: nets(
      { 11: "cjdns", 15: "cjdns", 10: "i2p", 14: "i2p", 8: "onion", 9: "onion" },
      "ipv4",
    ),
    protect: [0, 1, 2, 3, 6, 8, 10, 11],
    unprotected: [4, 5, 7, 9, 12, 13, 14, 15],
  },
  {
    name: "6 CJDNS, 1 I2P, 1 localhost and 4 onion of 24",
    n: 24,
    byId: "uptime",
    local: only(13),
    network: nets(
      { ...range(18, 23, "cjdns"), 17: "i2p", 12: "onion", 14: "onion", 15: "onion", 16: "onion" },
      "ipv6",
    ),
    protect: [0, 1, 2, 3, 4, 5, 12, 13, 14, 17, 18, 19],
    unprotected: [6, 7, 8, 9, 10, 11, 15, 16, 20, 21, 22, 23],
  },
];

Deno.test("protectEvictionCandidatesByRatio: Bitcoin Core's table", async (t) => {
  for (const c of RATIO_CASES) {
    await t.step(c.name, () => {
      fc.assert(
        fc.property(randomCandidates(c.n, c.n), fc.integer(), (random, seed) => {
          const candidates = shuffled(
            random.map((r) => ({
              ...r,
              connectedAt: c.byId === "uptime"
                ? r.id
                : c.byId === "reverse"
                ? c.n - r.id
                : r.connectedAt,
              isLocal: c.local(r.id),
              network: c.network(r.id),
            })),
            seed,
          );
          protectEvictionCandidatesByRatio(candidates);
          // Half are protected, rounding down.
          assertEquals(candidates.length, c.n - Math.floor(c.n / 2));
          const left = new Set(candidates.map((x) => x.id));
          for (const id of c.protect) assert(!left.has(id), `${id} should be protected`);
          for (const id of c.unprotected) assert(left.has(id), `${id} should not be protected`);
        }),
        { numRuns: 20 },
      );
    });
  }
});

/** Whether any of `ids` is evicted from the candidates (shuffled, as Core's `IsEvicted`). */
function isEvicted(candidates: Candidate[], ids: readonly number[], seed: number): boolean {
  const evicted = selectNodeToEvict(shuffled(candidates, seed), NOW);
  return evicted !== undefined && ids.includes(evicted);
}

Deno.test("selectNodeToEvict: Bitcoin Core's protections, 0 to 199 random candidates", async (t) => {
  const cases: [string, (c: Candidate, n: number) => void, number[]][] = [
    ["4 by keyed net group", (c, n) => c.keyedNetGroup = n - c.id, [0, 1, 2, 3]],
    ["8 by lowest minimum ping", (c) => c.minPingMs = c.id, [0, 1, 2, 3, 4, 5, 6, 7]],
    ["4 by most recent novel transaction", (c, n) => c.lastTxAt = n - c.id, [0, 1, 2, 3]],
    [
      "up to 8 block-relay-only peers by most recent novel block",
      (c, n) => {
        c.lastBlockAt = n - c.id;
        if (c.id <= 7) {
          c.relayTxs = false;
          c.relevantServices = true;
        }
      },
      [0, 1, 2, 3, 4, 5, 6, 7],
    ],
    ["4 by most recent novel block", (c, n) => c.lastBlockAt = n - c.id, [0, 1, 2, 3]],
    [
      "8 block-relay-only and 4 more by most recent novel block",
      (c, n) => {
        c.lastBlockAt = n - c.id;
        if (c.id <= 7) {
          c.relayTxs = false;
          c.relevantServices = true;
        }
      },
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    ],
    [
      "all of them at once: 20",
      (c, n) => {
        c.keyedNetGroup = n - c.id;
        c.minPingMs = c.id;
        c.lastTxAt = n - c.id;
        c.lastBlockAt = n - c.id;
      },
      Array.from({ length: 20 }, (_, i) => i),
    ],
  ];
  for (const [name, setup, ids] of cases) {
    await t.step(name, () => {
      fc.assert(
        fc.property(randomCandidates(0, 199), fc.integer(), (candidates, seed) => {
          for (const c of candidates) setup(c, candidates.length);
          assert(!isEvicted(candidates, ids, seed));
        }),
        { numRuns: 200 },
      );
    });
  }

  await t.step("29 or more candidates: someone is evicted", () => {
    fc.assert(
      fc.property(randomCandidates(29, 199), (candidates) => {
        assertNotEquals(selectNodeToEvict(candidates, NOW), undefined);
      }),
      { numRuns: 200 },
    );
  });

  await t.step("20 or fewer completed candidates: nobody is", () => {
    fc.assert(
      fc.property(randomCandidates(0, 20), (candidates) => {
        assertEquals(selectNodeToEvict(candidates, NOW), undefined);
      }),
      { numRuns: 300 },
    );
  });
});

/** Random candidates with every flag at random, handshakes and times included. */
const anyCandidates = fc.array(
  fc.record({
    fields: randomFields,
    noban: fc.boolean(),
    inbound: fc.boolean(),
    handshakeComplete: fc.boolean(),
    connectedAt: fc.integer({ min: 0, max: 60_000 }),
  }),
  { maxLength: 150 },
).map((list) => list.map(({ fields, ...rest }, id): Candidate => ({ ...fields, ...rest, id })));

Deno.test("selectNodeToEvict: properties over random candidate sets", async (t) => {
  await t.step("the protections leave what the plain port of Core's leaves, in order", () => {
    // Weighted towards the reserved networks, so that their loop runs its rounds.
    const reserved = fc.record({
      network: fc.constantFrom<EvictionNetwork>("ipv4", "onion", "onion", "i2p", "cjdns"),
      isLocal: fc.boolean(),
    });
    fc.assert(
      fc.property(
        randomCandidates(0, 300),
        fc.array(reserved, { maxLength: 300 }),
        (candidates, networks) => {
          candidates.forEach((c, i) => Object.assign(c, networks[i] ?? {}));
          const ids = (list: readonly EvictionCandidate[]) => list.map((c) => c.id);
          assertEquals(
            ids(unprotectedCandidates(candidates)),
            ids(referenceUnprotected(candidates)),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  await t.step("the evicted peer is an inbound candidate without noban (Core's fuzz)", () => {
    fc.assert(
      fc.property(anyCandidates, fc.integer({ min: 0, max: 80_000 }), (candidates, now) => {
        const id = selectNodeToEvict(candidates, { now });
        if (id === undefined) return;
        const evicted = candidates.find((c) => c.id === id);
        assert(evicted !== undefined && evicted.inbound && !evicted.noban);
      }),
      { numRuns: 500 },
    );
  });

  await t.step("protected peers are never evicted", () => {
    fc.assert(
      fc.property(randomCandidates(0, 199), (candidates) => {
        const left = new Set(unprotectedCandidates(candidates).map((c) => c.id));
        const id = selectNodeToEvict(candidates, NOW);
        if (id !== undefined) assert(left.has(id), `evicted ${id}, a protected peer`);
        else assertEquals(left.size, 0);
        // The protections leave at least half of what the fixed ones leave, rounding up.
        const fixed = Math.max(0, candidates.length - 28);
        assert(left.size >= Math.ceil(fixed / 2));
      }),
      { numRuns: 300 },
    );
  });

  await t.step("the evicted peer is the latest of the largest unprotected group", () => {
    fc.assert(
      fc.property(randomCandidates(0, 199), (candidates) => {
        let left = unprotectedCandidates(candidates);
        const id = selectNodeToEvict(candidates, NOW);
        if (id === undefined) return;
        if (left.some((c) => c.preferEvict)) left = left.filter((c) => c.preferEvict);
        const size = new Map<number, number>();
        for (const c of left) size.set(c.keyedNetGroup, (size.get(c.keyedNetGroup) ?? 0) + 1);
        const evicted = left.find((c) => c.id === id)!;
        assertEquals(size.get(evicted.keyedNetGroup), Math.max(...size.values()));
        for (const c of left) {
          if (c.keyedNetGroup !== evicted.keyedNetGroup) continue;
          assert(c.connectedAt <= evicted.connectedAt, `${c.id} connected after ${id}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  await t.step("discouraged peers go first: one undiscouraged peer among them stays", () => {
    fc.assert(
      fc.property(randomCandidates(31, 199), fc.nat(), (candidates, pick) => {
        const x = candidates[pick % candidates.length];
        for (const c of candidates) c.preferEvict = c !== x;
        assertNotEquals(selectNodeToEvict(candidates, NOW), x.id);
      }),
      { numRuns: 300 },
    );
  });

  await t.step("a discouraged peer left unprotected is the one evicted", () => {
    fc.assert(
      fc.property(randomCandidates(0, 199), (candidates) => {
        const anyLeft = unprotectedCandidates(candidates).some((c) => c.preferEvict);
        const id = selectNodeToEvict(candidates, NOW);
        if (anyLeft) assert(candidates.find((c) => c.id === id)!.preferEvict);
      }),
      { numRuns: 300 },
    );
  });

  await t.step("lone peers stay while one group crowds them (m >= s + 32)", () => {
    const setup = fc.record({
      honest: randomCandidates(1, 30),
      extra: fc.nat(40),
      crowd: fc.array(randomFields, { minLength: 120, maxLength: 120 }),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(setup, ({ honest, extra, crowd, seed }) => {
        const s = honest.length;
        const all = honest.map((c, i) => ({ ...c, keyedNetGroup: 1000 + i, preferEvict: false }));
        for (let i = 0; i < s + 32 + extra; i++) {
          all.push({
            ...peer(all.length),
            ...crowd[i % crowd.length],
            id: all.length,
            keyedNetGroup: 7,
            preferEvict: false,
          });
        }
        const id = selectNodeToEvict(shuffled(all, seed), NOW);
        assert(id !== undefined && id >= s, `evicted lone peer ${id}`);
      }),
      { numRuns: 300 },
    );
  });

  await t.step("the choice depends on the set, not its order, and on the salt", () => {
    const groups = fc.array(fc.constantFrom("1.2.0.0", "5.6.0.0", "2001:db8::", "tor:3", "local"), {
      minLength: 0,
      maxLength: 199,
    });
    fc.assert(
      fc.property(
        randomCandidates(0, 199),
        groups,
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer(),
        (candidates, names, salt, seed) => {
          const withKeys = (keys: NetGroupKeys) =>
            candidates.map((c, i) => ({
              ...c,
              keyedNetGroup: keys.keyOf(names[i % Math.max(1, names.length)] ?? "local"),
            }));
          const a = selectNodeToEvict(withKeys(new NetGroupKeys(salt)), NOW);
          const b = selectNodeToEvict(shuffled(withKeys(new NetGroupKeys(salt)), seed), NOW);
          assertEquals(a, b);
        },
      ),
      { numRuns: 200 },
    );
  });

  await t.step("stale handshakes go first: the oldest of the largest group of them", () => {
    fc.assert(
      fc.property(anyCandidates, fc.integer({ min: 0, max: 80_000 }), (candidates, now) => {
        const stale = candidates.filter((c) =>
          c.inbound && !c.noban && !c.handshakeComplete &&
          now - c.connectedAt >= STALE_HANDSHAKE_MS
        );
        const id = selectNodeToEvict(candidates, { now });
        if (stale.length === 0) return;
        const evicted = stale.find((c) => c.id === id);
        assert(evicted !== undefined, `evicted ${id}, not a stale handshake`);
        const sizes = new Map<number, number>();
        for (const c of stale) sizes.set(c.keyedNetGroup, (sizes.get(c.keyedNetGroup) ?? 0) + 1);
        assertEquals(sizes.get(evicted.keyedNetGroup), Math.max(...sizes.values()));
        for (const c of stale) {
          if (c.keyedNetGroup !== evicted.keyedNetGroup) continue;
          assert(c.connectedAt >= evicted.connectedAt, `${c.id} is older than ${id}`);
        }
      }),
      { numRuns: 500 },
    );
  });
});

Deno.test("selectNodeToEvict: the last steps and the handshake rules", async (t) => {
  await t.step("outbound and noban peers are never candidates", () => {
    const peers = Array.from({ length: 60 }, (_, i) => peer(i, { keyedNetGroup: i % 3 }));
    const all = peers.map((p) => ({ ...p, inbound: false }));
    assertEquals(selectNodeToEvict(all, NOW), undefined);
    assertEquals(selectNodeToEvict(peers.map((p) => ({ ...p, noban: true })), NOW), undefined);
    const stale = peers.map((p) => ({ ...p, noban: true, handshakeComplete: false }));
    assertEquals(selectNodeToEvict(stale, { now: 1e9 }), undefined);
  });

  await t.step("the largest group loses its latest connection", () => {
    // 30 peers: group 1 has 12, group 2 has 12, group 3 has 6; ids = connection order.
    const peers = Array.from(
      { length: 30 },
      (_, i) => peer(i, { keyedNetGroup: i < 12 ? 1 : i < 24 ? 2 : 3, minPingMs: 100 }),
    );
    const left = unprotectedCandidates(peers);
    assert(left.length > 0);
    const evicted = selectNodeToEvict(peers, NOW)!;
    // Equal groups: the one whose latest member connected last (group 2, ids 12..23).
    const group = peers[evicted].keyedNetGroup;
    const mine = left.filter((c) => c.keyedNetGroup === group);
    assertEquals(evicted, Math.max(...mine.map((c) => c.id)));
  });

  await t.step("ties between groups: the one whose latest member is the latest", () => {
    // Ids 0..19 (singletons) are the 20 the fixed rules protect: 16..19 by group, 0..7 by
    // ping (a tie: the oldest), 8..11 by transaction time, 12..15 by block time. Of 20..27,
    // uptime protects 20..23 and leaves 24 (A), 25 (B), 26 (B), 27 (A): A and B have two
    // each, and A's latest is the latest (Core: `grouptime > nMostConnectionsTime`).
    const peers = [
      ...ids(0, 20).map((id) => peer(id, { keyedNetGroup: 100 + id })),
      ...[1, 2, 1, 2, 1, 2, 2, 1].map((keyedNetGroup, i) => peer(20 + i, { keyedNetGroup })),
    ];
    assertEquals(unprotectedCandidates(peers).map((c) => c.id), [27, 26, 25, 24]);
    assertEquals(selectNodeToEvict(peers, NOW), 27);
    // Reversed, B's latest is the latest.
    const swapped = peers.map((p) => p.id >= 24 ? { ...p, keyedNetGroup: 3 - p.keyedNetGroup } : p);
    assertEquals(selectNodeToEvict(swapped, NOW), 27);
    const third = peers.map((p) => p.id === 27 ? { ...p, keyedNetGroup: 9 } : p);
    // A has one left (24), B two: B loses its latest.
    assertEquals(selectNodeToEvict(third, NOW), 26);
  });

  await t.step("each protection takes Core's count", () => {
    // 100 peers, all connected at once (uptime ties go by id: the lowest are the oldest).
    const peers = ids(0, 100).map((id) =>
      peer(id, { connectedAt: 0, keyedNetGroup: id, minPingMs: 100, relayTxs: true })
    );
    for (const id of ids(90, 10)) peers[id].keyedNetGroup = 1000 + id; // protects 96..99
    for (const id of ids(80, 10)) peers[id].minPingMs = id - 80; // 80..87
    for (const id of ids(70, 10)) peers[id].lastTxAt = 1000 + id; // 76..79
    for (const id of ids(60, 8)) {
      // Potential block-relay-only peers: 60..67, all of them.
      Object.assign(peers[id], { relayTxs: false, relevantServices: true, lastBlockAt: id });
    }
    for (const id of ids(50, 10)) peers[id].lastBlockAt = 500 + id; // 56..59
    const fixed = new Set([...ids(96, 4), ...ids(80, 8), ...ids(76, 4), ...ids(60, 8)]);
    for (const id of ids(56, 4)) fixed.add(id);
    // Then half of the 72 left, by uptime: the 36 lowest ids.
    const left = peers.filter((p) => !fixed.has(p.id)).slice(36).map((p) => p.id);
    assertEquals(unprotectedCandidates(peers).map((c) => c.id).sort((a, b) => a - b), left);
  });

  await t.step("blocks: peers with the wanted services are protected first", () => {
    // 0..3 by group, 4..11 by ping, 12..15 by transactions (ties: the oldest). Of 16..24,
    // none sent a block; 21..24 offer the wanted services and are protected; uptime protects
    // 16 and 17 of the five left, and 20 is evicted. By uptime alone it would be 24.
    const peers = ids(0, 25).map((id) =>
      peer(id, { keyedNetGroup: 1, relayTxs: true, relevantServices: id >= 21 })
    );
    assertEquals(selectNodeToEvict(peers, NOW), 20);
  });

  await t.step("transactions: relayers without a bloom filter are protected first", () => {
    // 0..3 by group, 4..11 by ping (ties: the oldest); all sent no transaction. 12..20
    // relay transactions, 12..16 with a bloom filter: the rule protects 17..20, block time
    // (a tie) the oldest four left, 12..15, and 16 is evicted. By uptime alone it would be 20.
    const peers = ids(0, 21).map((id) =>
      peer(id, { keyedNetGroup: 1, relayTxs: id >= 12, bloomFilter: id >= 12 && id <= 16 })
    );
    assertEquals(selectNodeToEvict(peers, NOW), 16);
    // Relayers over non-relayers: 12..16 stop relaying; 17..20 are protected all the same.
    const quiet = peers.map((p) =>
      p.bloomFilter ? { ...p, relayTxs: false, bloomFilter: false } : p
    );
    assertEquals(selectNodeToEvict(quiet, NOW), 16);
  });

  const silentFrom = (group: number, list: number[], connectedAt = 0) =>
    list.map((id) => peer(id, { keyedNetGroup: group, handshakeComplete: false, connectedAt }));

  await t.step("issue 10: 117 silent sockets from one address, then a newcomer", () => {
    const silent = silentFrom(1, ids(0, 117)).map((p, i) => ({ ...p, connectedAt: i * 10 }));
    const newcomer = peer(117, { keyedNetGroup: 2, handshakeComplete: false, connectedAt: 1200 });
    // Within the grace, Core's rules: 4 + 8 + 4 + 4 of the crowd are protected (the newcomer
    // too, by its group), then 49 by uptime (ids 19..67); the crowd's group loses its oldest
    // unprotected silent socket.
    assertEquals(selectNodeToEvict([...silent, newcomer], { now: 1300 }), 68);
    // After it, the stale ones go first, oldest first; the newcomer is still young.
    assertEquals(selectNodeToEvict([...silent, newcomer], { now: 10_500 }), 0);
  });

  await t.step("on a local network (one group for all), the newcomer is not the one", () => {
    const silent = silentFrom(1, ids(0, 117)).map((p, i) => ({ ...p, connectedAt: i }));
    const newcomer = peer(117, { keyedNetGroup: 1, handshakeComplete: false, connectedAt: 200 });
    // Ids 0..19 and 20..68 are protected as above; of the rest, the oldest goes.
    assertEquals(selectNodeToEvict([...silent, newcomer], { now: 300 }), 69);
  });

  await t.step("issue 10: 117 completed peers from one address, then a newcomer", () => {
    const crowd = ids(0, 117).map((id) => peer(id, { keyedNetGroup: 1, minPingMs: 1 }));
    const newcomer = peer(117, { keyedNetGroup: 2, handshakeComplete: false, connectedAt: 200 });
    // The crowd connects again during the newcomer's handshake: the crowd loses one.
    const evicted = selectNodeToEvict([...crowd, newcomer], { now: 201 });
    assert(evicted !== undefined && evicted < 117);
    assertEquals(evicted, 116);
  });

  await t.step("silent sockets are evicted before completed peers of their group", () => {
    const crowd = ids(0, 60).map((id) => peer(id, { keyedNetGroup: 1 }));
    const silent = silentFrom(1, ids(60, 20), 100);
    assertEquals(selectNodeToEvict([...crowd, ...silent], { now: 200 }), 60);
  });

  await t.step("stale handshakes go before any completed peer, even in a small group", () => {
    // Honest completed peers, 10 of them from one group (say a cloud provider).
    const honest = [
      ...ids(0, 100).map((id) => peer(id, { keyedNetGroup: 100 + id })),
      ...ids(100, 10).map((id) => peer(id, { keyedNetGroup: 5 })),
    ];
    const silent = silentFrom(9, ids(110, 3), 1000);
    assertEquals(selectNodeToEvict([...honest, ...silent], { now: 1000 + 9_999 }), 109);
    assertEquals(selectNodeToEvict([...honest, ...silent], { now: 1000 + 10_000 }), 110);
    const grace = { now: 1000 + 1_000, staleHandshakeMs: 1_000 };
    assertEquals(selectNodeToEvict([...honest, ...silent], grace), 110);
  });

  await t.step("stale handshakes: the largest group first, then the oldest", () => {
    const a = silentFrom(1, [0, 1, 2]).map((p) => ({ ...p, connectedAt: 10 + p.id }));
    const b = silentFrom(2, [3, 4, 5]).map((p) => ({ ...p, connectedAt: 5 + p.id }));
    const c = silentFrom(3, [6]).map((p) => ({ ...p, connectedAt: 0 }));
    // Groups 1 and 2 have three each; group 2's oldest (id 3, at 8) is older than 1's (at 10).
    assertEquals(selectNodeToEvict([...a, ...b, ...c], { now: 1e6 }), 3);
    assertEquals(selectNodeToEvict([...a, ...c], { now: 1e6 }), 0);
  });
});

Deno.test("NetGroupKeys: keyed, deterministic per salt, below 2^48", () => {
  const salt = new Uint8Array(32).map((_, i) => i);
  const a = new NetGroupKeys(salt);
  const b = new NetGroupKeys(salt);
  const groups = ["1.2.0.0", "1.3.0.0", "2001:db8::", "tor:1", "local", "unroutable"];
  const keys = groups.map((g) => a.keyOf(g));
  assertEquals(keys, groups.map((g) => b.keyOf(g)));
  assertEquals(new Set(keys).size, groups.length);
  for (const k of keys) assert(Number.isSafeInteger(k) && k >= 0 && k < 2 ** 48);
  // The salt is copied: changing the caller's array changes nothing.
  salt.fill(0);
  assertEquals(a.keyOf("1.2.0.0"), keys[0]);
  // Another node's salt orders the groups differently (here: 6 groups, 720 orders).
  const order = (k: NetGroupKeys) => groups.map((g) => k.keyOf(g)).join();
  assertNotEquals(order(new NetGroupKeys()), order(a));
});

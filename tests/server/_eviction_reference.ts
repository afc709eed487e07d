// The first, plain port of Bitcoin Core's protections (`src/node/eviction.cpp`), kept as the
// reference that server/_eviction.ts's faster selection is checked against: every rule sorts
// all candidates and erases the last K, exactly as Core's `EraseLastKElements`, with the same
// comparators (ending with the id, as ours do).
import type { EvictionCandidate } from "../../server/_eviction.ts";

type Candidate = EvictionCandidate;
type Compare = (a: Candidate, b: Candidate) => number;

// Comparators order candidates from "evict first" to "protect first", as Core's do (Core
// erases the last K after sorting). Each falls through to the id: a later connection first.

function byId(a: Candidate, b: Candidate): number {
  return b.id - a.id;
}

/** Later connections first (Core's `ReverseCompareNodeTimeConnected`). */
function byUptime(a: Candidate, b: Candidate): number {
  if (a.connectedAt !== b.connectedAt) return a.connectedAt > b.connectedAt ? -1 : 1;
  return byId(a, b);
}

/** Lower keyed group first: the highest ones are protected (Core's `CompareNetGroupKeyed`). */
function byNetGroup(a: Candidate, b: Candidate): number {
  if (a.keyedNetGroup !== b.keyedNetGroup) return a.keyedNetGroup < b.keyedNetGroup ? -1 : 1;
  return byId(a, b);
}

/** Slower first (Core's `ReverseCompareNodeMinPingTime`). */
function byMinPing(a: Candidate, b: Candidate): number {
  if (a.minPingMs !== b.minPingMs) return a.minPingMs > b.minPingMs ? -1 : 1;
  return byId(a, b);
}

/**
 * Older novel transactions first, then peers that don't relay transactions, then those with
 * a bloom filter (Core's `CompareNodeTXTime`).
 */
function byTxTime(a: Candidate, b: Candidate): number {
  if (a.lastTxAt !== b.lastTxAt) return a.lastTxAt < b.lastTxAt ? -1 : 1;
  if (a.relayTxs !== b.relayTxs) return a.relayTxs ? 1 : -1;
  if (a.bloomFilter !== b.bloomFilter) return a.bloomFilter ? -1 : 1;
  return byUptime(a, b);
}

/** Older novel blocks first, then peers without the wanted services (`CompareNodeBlockTime`). */
function byBlockTime(a: Candidate, b: Candidate): number {
  if (a.lastBlockAt !== b.lastBlockAt) return a.lastBlockAt < b.lastBlockAt ? -1 : 1;
  if (a.relevantServices !== b.relevantServices) return a.relevantServices ? 1 : -1;
  return byUptime(a, b);
}

/**
 * Transaction relayers first, then as {@linkcode byBlockTime} (Core's
 * `CompareNodeBlockRelayOnlyTime`).
 */
function byBlockRelayOnlyTime(a: Candidate, b: Candidate): number {
  if (a.relayTxs !== b.relayTxs) return a.relayTxs ? -1 : 1;
  return byBlockTime(a, b);
}

/**
 * Sorts `candidates` by `compare` and removes, among the last `k`, those that `keep` does
 * not hold back (Core's `EraseLastKElements`): those are protected.
 */
function protectLast(
  candidates: Candidate[],
  compare: Compare,
  k: number,
  protect: (c: Candidate) => boolean = () => true,
): void {
  candidates.sort(compare);
  const from = Math.max(0, candidates.length - k);
  let to = from;
  for (let i = from; i < candidates.length; i++) {
    if (!protect(candidates[i])) candidates[to++] = candidates[i];
  }
  candidates.length = to;
}

/** A disadvantaged network and how many candidates it has (Core's `Net`). */
interface Disadvantaged {
  readonly member: (c: Candidate) => boolean;
  /** Members first to last in protection order: others first, then members, longest uptime last. */
  readonly compare: Compare;
  count: number;
}

function disadvantaged(member: (c: Candidate) => boolean): Disadvantaged {
  return {
    member,
    compare: (a, b) => {
      const ma = member(a);
      if (ma !== member(b)) return ma ? 1 : -1;
      return byUptime(a, b);
    },
    count: 0,
  };
}

/**
 * Protects half of the candidates by uptime, up to half of those (a quarter of all) reserved
 * for peers on disadvantaged networks (CJDNS, I2P, localhost, onion), so that their higher
 * latency does not get them evicted every time (Core's `ProtectEvictionCandidatesByRatio`).
 * Removes the protected candidates from the array and leaves the rest sorted by
 * {@linkcode byUptime}, latest connection first.
 */
function protectByRatio(candidates: EvictionCandidate[]): void {
  const initialSize = candidates.length;
  const totalProtect = Math.floor(initialSize / 2);
  // In Core's order: with equal counts, the earlier network gets the first chance at slots
  // left unused by the others.
  const networks = [
    disadvantaged((c) => c.network === "cjdns"),
    disadvantaged((c) => c.network === "i2p"),
    disadvantaged((c) => c.isLocal),
    disadvantaged((c) => c.network === "onion"),
  ];
  for (const n of networks) n.count = candidates.filter(n.member).length;
  // Fewer candidates first (stable): small networks recover unused slots first.
  networks.sort((a, b) => a.count - b.count);

  const maxProtectByNetwork = Math.floor(totalProtect / 2);
  let protectedCount = 0;
  while (protectedCount < maxProtectByNetwork) {
    const withCandidates = networks.filter((n) => n.count > 0).length;
    if (withCandidates === 0) break;
    const perNetwork = Math.max(
      Math.floor((maxProtectByNetwork - protectedCount) / withCandidates),
      1,
    );
    let protectedAny = false;
    for (const n of networks) {
      if (n.count === 0) continue;
      const before = candidates.length;
      protectLast(candidates, n.compare, perNetwork, n.member);
      const delta = before - candidates.length;
      if (delta > 0) {
        protectedAny = true;
        protectedCount += delta;
        if (protectedCount >= maxProtectByNetwork) break;
        n.count -= delta;
      }
    }
    if (!protectedAny) break;
  }
  protectLast(candidates, byUptime, totalProtect - protectedCount);
}

/**
 * The candidates left once Core's protections have run, sorted latest connection first:
 * 4 by keyed network group, 8 by lowest minimum ping, 4 by most recent novel transaction,
 * up to 8 potential block-relay-only peers by most recent novel block, 4 by most recent
 * novel block, then half of the rest by uptime ({@linkcode protectEvictionCandidatesByRatio}).
 */
export function referenceUnprotected(
  candidates: readonly EvictionCandidate[],
): EvictionCandidate[] {
  const rest = candidates.filter((c) => c.inbound && !c.noban);
  // Deterministic per node but unpredictable to an attacker: the salt is secret.
  protectLast(rest, byNetGroup, 4);
  // An attacker cannot fake a low ping without moving closer to us.
  protectLast(rest, byMinPing, 8);
  // Nor send novel transactions or blocks without doing useful work.
  protectLast(rest, byTxTime, 4);
  protectLast(rest, byBlockRelayOnlyTime, 8, (c) => !c.relayTxs && c.relevantServices);
  protectLast(rest, byBlockTime, 4);
  protectByRatio(rest);
  return rest;
}

// The building blocks of the message arbitraries in `arbitraries.ts`: scalars biased to their
// extremes, byte strings and lists whose lengths straddle CompactSize boundaries, text that UTF-8
// carries, block headers, transactions (witness and legacy) and network addresses (v1 and
// BIP 155, both the kinds `addrv2` decoding keeps and the kinds it drops).
import fc from "fast-check";
import {
  BIP155Network,
  type BlockHeader,
  type NetAddress,
  type NetAddressV2,
  serializeSize,
  type Tx,
  type TxIn,
  type TxOut,
} from "../../wire/mod.ts";

// ---------------------------------------------------------------------------------------------
// Scalars, with their extremes and CompactSize boundaries always in the mix.

/** uint8. */
export const uint8: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xff });
/** uint16 (ports). */
export const uint16: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xffff });
/** uint32, biased to its extremes and CompactSize boundaries. */
export const uint32: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, 1, 0xfc, 0xfd, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff),
  fc.integer({ min: 0, max: 0xffffffff }),
);
/** int32. */
export const int32: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(-0x80000000, -1, 0, 1, 0x7fffffff),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
);
/** uint64 as a bigint, biased to its extremes and CompactSize boundaries. */
export const uint64: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(
    0n,
    1n,
    0xfcn,
    0xfdn,
    0xffffn,
    0x10000n,
    0xffffffffn,
    0x100000000n,
    (1n << 63n) - 1n,
    1n << 63n,
    (1n << 64n) - 1n,
  ),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);
/** int64 as a bigint. */
export const int64: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(-(1n << 63n), -1n, 0n, 1n, (1n << 63n) - 1n),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
);

/**
 * A count or length: mostly `0..small`, sometimes one of `edges` (kept below `max`), rarely one
 * of `rare` (the expensive ones, such as 65536-byte scripts).
 */
export function size(
  small: number,
  edges: readonly number[] = [252, 253],
  rare: readonly number[] = [],
  max = Infinity,
): fc.Arbitrary<number> {
  const arbs: fc.WeightedArbitrary<number>[] = [
    { weight: 40, arbitrary: fc.integer({ min: 0, max: Math.min(small, max) }) },
  ];
  const e = edges.filter((n) => n <= max);
  if (e.length > 0) arbs.push({ weight: 2, arbitrary: fc.constantFrom(...e) });
  const r = rare.filter((n) => n <= max);
  if (r.length > 0) arbs.push({ weight: 1, arbitrary: fc.constantFrom(...r) });
  return fc.oneof(...arbs);
}

/** Exactly `n` bytes: random for short arrays, a seeded pattern for long ones (fast). */
function bytesOfLength(n: number): fc.Arbitrary<Uint8Array> {
  if (n <= 256) return fc.uint8Array({ minLength: n, maxLength: n });
  return fc.integer({ min: 0, max: 0xffffffff }).map((seed) => {
    const out = new Uint8Array(n);
    let x = seed | 1;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  });
}

/** Bytes whose length is drawn from `length`. */
export function bytes(length: fc.Arbitrary<number>): fc.Arbitrary<Uint8Array> {
  return length.chain(bytesOfLength);
}

/** A list whose length is drawn from `length`. */
export function list<T>(item: fc.Arbitrary<T>, length: fc.Arbitrary<number>): fc.Arbitrary<T[]> {
  return length.chain((n) => fc.array(item, { minLength: n, maxLength: n }));
}

/** A 32-byte hash (all zeros and all ones included). */
export const hash32: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(new Uint8Array(32)) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(32).fill(0xff)) },
  { weight: 10, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }) },
);

const TEXT_ENCODER = new TextEncoder();

function utf8Length(s: string): number {
  return TEXT_ENCODER.encode(s).length;
}

/**
 * Text of at most `maxBytes` bytes of UTF-8 (never a lone surrogate, which UTF-8 cannot carry),
 * with multi-byte characters, NULs, a leading byte order mark and strings of exactly 252, 253
 * and `maxBytes` bytes in the mix.
 */
export function text(maxBytes: number, extra: readonly string[] = []): fc.Arbitrary<string> {
  const edges = [
    "",
    "\0",
    "\uFEFF",
    "\uFEFFx",
    "é",
    "\u{1F600}",
    "a".repeat(252),
    "a".repeat(253),
    "é".repeat(126) + "a",
    "a".repeat(maxBytes),
    ...extra,
  ].filter((s) => utf8Length(s) <= maxBytes);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...edges) },
    { weight: 4, arbitrary: fc.string({ unit: "binary", maxLength: Math.min(maxBytes, 40) }) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 40 }) },
  ).filter((s) => utf8Length(s) <= maxBytes);
}

// ---------------------------------------------------------------------------------------------
// Shared pieces.

/** A block header (integers at their extremes, any version including negative ones). */
export const blockHeader: fc.Arbitrary<BlockHeader> = fc.record({
  version: int32,
  prevBlock: hash32,
  merkleRoot: hash32,
  timestamp: uint32,
  bits: uint32,
  nonce: uint32,
});

// Transactions come in two sizes. A "small" one keeps every count and length short; a normal
// one reaches the CompactSize edges, but a list at an edge (252 or 253 entries) holds only small
// entries, so that 253 inputs never each carry a 65536-byte script.
const WIDE = 4;

function script(small: boolean): fc.Arbitrary<Uint8Array> {
  return bytes(small ? size(20, []) : size(100, [252, 253], [65535, 65536]));
}

function witnessItem(small: boolean): fc.Arbitrary<Uint8Array> {
  return bytes(small ? size(20, []) : size(80, [252, 253], [65536]));
}

/** A list of `count` entries (at least `min`); small entries once it is wide. */
function sized<T>(
  count: fc.Arbitrary<number>,
  min: number,
  entry: (small: boolean) => fc.Arbitrary<T>,
): fc.Arbitrary<T[]> {
  return count.map((n) => Math.max(min, n)).chain((n) =>
    fc.array(entry(n > WIDE), { minLength: n, maxLength: n })
  );
}

function witnessStack(small: boolean): fc.Arbitrary<Uint8Array[]> {
  return sized(small ? fc.integer({ min: 1, max: 3 }) : size(WIDE, [253]), 1, witnessItem);
}

function txOut(small: boolean): fc.Arbitrary<TxOut> {
  return fc.record({ value: int64, pkScript: script(small) });
}

function txIn(small: boolean, witness: boolean): fc.Arbitrary<TxIn> {
  return fc.record({
    previousOutput: fc.record({ hash: hash32, index: uint32 }),
    signatureScript: script(small),
    sequence: uint32,
    witness: witness
      ? fc.oneof(fc.constant<readonly Uint8Array[]>([]), witnessStack(small))
      : fc.constant<readonly Uint8Array[]>([]),
  });
}

function count(small: boolean): fc.Arbitrary<number> {
  return small ? fc.integer({ min: 0, max: 3 }) : size(WIDE, [252, 253]);
}

/** A transaction without witness data; with `minInputs` 0 it may have no inputs at all. */
function legacyTx(minInputs: number, small: boolean): fc.Arbitrary<Tx> {
  return fc.record({
    version: int32,
    inputs: sized(count(small), minInputs, (s) => txIn(s || small, false)),
    outputs: sized(count(small), 0, (s) => txOut(s || small)),
    lockTime: uint32,
  });
}

/** A transaction with witness data in at least one input (the others may have none). */
function witnessTx(small: boolean): fc.Arbitrary<Tx> {
  return fc.record({
    version: int32,
    inputs: sized(count(small), 1, (s) => txIn(s || small, true)),
    witnessAt: fc.nat(),
    stack: witnessStack(small),
    outputs: sized(count(small), 0, (s) => txOut(s || small)),
    lockTime: uint32,
  }).map(({ version, inputs, witnessAt, stack, outputs, lockTime }) => {
    const at = witnessAt % inputs.length;
    const withWitness = inputs.map((input, i) => i === at ? { ...input, witness: stack } : input);
    return { version, inputs: withWitness, outputs, lockTime };
  });
}

/** Largest transaction generated, so that five of them fit a 4,000,000-byte message. */
export const MAX_GENERATED_TX_SIZE = 400_000;

/**
 * A transaction valid in the context. With witness serialization on: legacy or witness, but
 * never a legacy one with zero inputs (its zero input count would read as the BIP 144 marker).
 * With it off: legacy only, zero inputs allowed. `small` keeps it to a few hundred bytes.
 */
export function tx(witness: boolean, small = false): fc.Arbitrary<Tx> {
  const arb = witness
    ? fc.oneof(legacyTx(1, small), witnessTx(small))
    : fc.oneof(legacyTx(0, small), witnessTx(small).map(withoutWitness));
  return arb.filter((t) => serializeSize(t) <= MAX_GENERATED_TX_SIZE);
}

/** `t` with every witness stack emptied. */
function withoutWitness(t: Tx): Tx {
  return { ...t, inputs: t.inputs.map((input) => ({ ...input, witness: [] })) };
}

/** A v1 address; with `timestamp` false it has no timestamp key (as in `version`). */
export function netAddress(timestamp: boolean): fc.Arbitrary<NetAddress> {
  const ip = fc.oneof(
    fc.uint8Array({ minLength: 16, maxLength: 16 }),
    // IPv4-mapped.
    fc.uint8Array({ minLength: 4, maxLength: 4 }).map((v4) => {
      const out = new Uint8Array(16);
      out.fill(0xff, 10, 12);
      out.set(v4, 12);
      return out;
    }),
    fc.constant(new Uint8Array(16)),
  );
  const base = { services: uint64, ip, port: uint16 };
  return timestamp ? fc.record({ ...base, timestamp: uint32 }) : fc.record(base);
}

function hasPrefix(b: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((v, i) => b[i] === v);
}

const IPV4_MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
const ONIONCAT = [0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43];
const CORE_INTERNAL = [0xfd, 0x6b, 0x88, 0xc0, 0x87, 0x24];

/** An IPv6 address `addrv2` keeps: not IPv4-mapped, not OnionCat, not Core's internal range. */
const keptIpv6 = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  fc.constantFrom(
    Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), // ::1
    Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
    Uint8Array.of(0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), // near OnionCat
    Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 1, 2, 3, 4), // near IPv4-mapped
  ),
).filter((ip) =>
  !hasPrefix(ip, IPV4_MAPPED) && !hasPrefix(ip, ONIONCAT) && !hasPrefix(ip, CORE_INTERNAL)
);

/** A whole BIP 155 address around a network id and address bytes. */
function withAddressFields(
  [networkId, address]: [number, Uint8Array],
): fc.Arbitrary<NetAddressV2> {
  return fc.record({
    timestamp: uint32,
    services: uint64,
    networkId: fc.constant(networkId),
    address: fc.constant(address),
    port: uint16,
  });
}

/** A BIP 155 address of a network `addrv2` decoding keeps: IPv4, IPv6, Tor v3, I2P, CJDNS. */
export const keptNetAddressV2: fc.Arbitrary<NetAddressV2> = fc.oneof(
  fc.tuple(fc.constant(BIP155Network.IPV4), fc.uint8Array({ minLength: 4, maxLength: 4 })),
  fc.tuple(fc.constant(BIP155Network.IPV6), keptIpv6),
  fc.tuple(fc.constant(BIP155Network.TORV3), fc.uint8Array({ minLength: 32, maxLength: 32 })),
  fc.tuple(fc.constant(BIP155Network.I2P), fc.uint8Array({ minLength: 32, maxLength: 32 })),
  fc.tuple(
    fc.constant(BIP155Network.CJDNS),
    fc.uint8Array({ minLength: 15, maxLength: 15 }).map((rest) => Uint8Array.of(0xfc, ...rest)),
  ),
).chain(withAddressFields);

/**
 * A BIP 155 address that `addrv2` decoding drops, as Bitcoin Core does: Tor v2, unknown network
 * ids (any length up to 512), and IPv6 embedding IPv4, OnionCat or Core's internal names.
 */
export const droppedNetAddressV2: fc.Arbitrary<NetAddressV2> = fc.oneof(
  fc.tuple(fc.constant(BIP155Network.TORV2), fc.uint8Array({ minLength: 10, maxLength: 10 })),
  fc.tuple(fc.oneof(fc.constant(0), fc.integer({ min: 7, max: 255 })), bytes(size(40, [512]))),
  fc.tuple(
    fc.constant(BIP155Network.IPV6),
    fc.tuple(
      fc.constantFrom(IPV4_MAPPED, ONIONCAT, CORE_INTERNAL),
      fc.uint8Array({
        minLength: 10,
        maxLength: 10,
      }),
    ).map(([prefix, rest]) => Uint8Array.of(...prefix, ...rest).subarray(0, 16)),
  ),
).chain(withAddressFields);

// fast-check arbitraries for random VALID messages of every command: within every protocol
// limit the codecs enforce, canonical (each decodes back to exactly the message generated), and
// small enough that hundreds of runs per command take well under a second. The edge values the
// codecs care about are mixed in: CompactSize boundaries (252/253, 65535/65536) for counts and
// lengths where they are cheap, the extremes of every integer field, empty lists, witness and
// legacy transactions, every BIP 155 network kept on decode. The pieces are in
// `arbitrary_parts.ts`, re-exported here.
import fc from "fast-check";
import {
  type Command,
  COMMANDS,
  formatUserAgent,
  InvType,
  type InvVect,
  type Message,
  RejectCode,
} from "../../wire/mod.ts";
import {
  blockHeader,
  bytes,
  hash32,
  int32,
  int64,
  keptNetAddressV2,
  list,
  netAddress,
  size,
  text,
  tx,
  uint32,
  uint64,
  uint8,
} from "./arbitrary_parts.ts";

export * from "./arbitrary_parts.ts";

/** The context messages are generated for: what the codec context allows and requires. */
export interface ArbitraryOptions {
  /** Protocol version the messages are encoded at (default 70016). */
  readonly protocolVersion?: number;
  /** Whether BIP 144 witness serialization is on (default true). */
  readonly witness?: boolean;
}

/** One arbitrary per command, each producing messages of that command. */
export type MessageArbitraries = { [C in Command]: fc.Arbitrary<Extract<Message, { command: C }>> };

const invVect: fc.Arbitrary<InvVect> = fc.record({
  type: fc.oneof(fc.constantFrom(...Object.values(InvType)), uint32),
  hash: hash32,
});
const inventory = list(invVect, size(20));

/** Strictly increasing 16-bit indexes from gaps, cut where they would pass 65535. */
function indexesFromGaps(gaps: readonly number[]): number[] {
  const out: number[] = [];
  let next = 0;
  for (const gap of gaps) {
    const index = next + gap;
    if (index > 0xffff) break;
    out.push(index);
    next = index + 1;
  }
  return out;
}

const getBlockTxnIndexes: fc.Arbitrary<number[]> = fc.oneof(
  {
    weight: 30,
    arbitrary: list(
      fc.oneof(
        { weight: 10, arbitrary: fc.integer({ min: 0, max: 5 }) },
        { weight: 1, arbitrary: fc.constantFrom(252, 253, 254, 0xfffe, 0xffff) },
      ),
      size(20),
    ).map(indexesFromGaps),
  },
  // Every index (a count of 65536 needs a 5-byte CompactSize), or all but the last (65535).
  {
    weight: 1,
    arbitrary: fc.constantFrom(65535, 65536).map((n) => Array.from({ length: n }, (_, i) => i)),
  },
);

const shortId = fc.oneof(
  fc.constantFrom(0, 1, 0xffffffff, 0x100000000, 2 ** 48 - 1),
  fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }).map(Number),
);

function cmpctBlock(witness: boolean): fc.Arbitrary<Extract<Message, { command: "cmpctblock" }>> {
  const prefilledTxs = list(tx(witness), size(4, [], [], 4));
  const small = fc.tuple(list(shortId, size(20, [252, 253, 300])), prefilledTxs).chain((
    [shortIds, txs],
  ) => {
    const total = shortIds.length + txs.length;
    const indexes = fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, total - 1) }), {
      minLength: txs.length,
      maxLength: txs.length,
    }).map((a) => a.sort((x, y) => x - y));
    return indexes.map((idx) => ({
      shortIds,
      prefilledTransactions: txs.map((t, i) => ({ index: idx[i], tx: t })),
    }));
  });
  // The most a compact block can describe: 65534 short ids and the last transaction prefilled,
  // whose index gap of 65534 needs a 3-byte CompactSize.
  const full = fc.tuple(fc.integer({ min: 0, max: 0xffff }), tx(witness)).map(([seed, t]) => ({
    shortIds: Array.from({ length: 0xfffe }, (_, i) => (i * 2654435761 + seed) % 2 ** 48),
    prefilledTransactions: [{ index: 0xfffe, tx: t }],
  }));
  return fc.record({
    header: blockHeader,
    nonce: uint64,
    body: fc.oneof({ weight: 40, arbitrary: small }, { weight: 1, arbitrary: full }),
  }).map(({ header, nonce, body }) => ({ command: "cmpctblock" as const, header, nonce, ...body }));
}

function reject(): fc.Arbitrary<Extract<Message, { command: "reject" }>> {
  const message = fc.oneof(fc.constantFrom("tx", "block", ...COMMANDS), text(12, ["tx", "block"]));
  const code = fc.oneof(fc.constantFrom(...Object.values(RejectCode)), uint8);
  const reason = fc.oneof(
    { weight: 20, arbitrary: text(300) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(65535, 65536).map((n) => "r".repeat(n)),
    },
  );
  return fc.tuple(message, code, reason).chain(([message, code, reason]) => {
    const base = { command: "reject" as const, message, code, reason };
    // BIP 61: a hash follows only "tx" and "block" rejects, and even there it is optional.
    return message === "tx" || message === "block"
      ? fc.oneof(fc.constant(base), hash32.map((hash) => ({ ...base, hash })))
      : fc.constant(base);
  });
}

function version(): fc.Arbitrary<Extract<Message, { command: "version" }>> {
  const userAgent = text(256, [
    "/Satoshi:27.0.0/",
    formatUserAgent([{ name: "btcstream", version: "0.1.0", comments: ["deno", "linux"] }]),
  ]);
  return fc.record({
    command: fc.constant("version" as const),
    protocolVersion: fc.oneof(fc.constantFrom(0, 209, 60002, 70000, 70001, 70016), int32),
    services: uint64,
    timestamp: int64,
    addrRecv: netAddress(false),
    addrFrom: netAddress(false),
    nonce: uint64,
    userAgent,
    startHeight: int32,
    relay: fc.boolean(),
  }).map((m) =>
    // BIP 37: no relay byte before 70001, and an absent one reads as true.
    m.protocolVersion < 70001 ? { ...m, relay: true } : m
  );
}

/** Whether `command` exists at protocol version `pver` (encodes and decodes there). */
export function commandExistsAt(command: Command, pver: number): boolean {
  switch (command) {
    case "pong":
      return pver > 60000;
    case "mempool":
      return pver >= 60002;
    case "filterload":
    case "filteradd":
    case "filterclear":
    case "merkleblock":
      return pver >= 70001;
    case "reject":
      return pver >= 70002;
    case "sendheaders":
      return pver >= 70012;
    case "feefilter":
      return pver >= 70013;
    default:
      return true;
  }
}

/**
 * An arbitrary per command producing messages valid in the context, each canonical: it decodes
 * back to exactly itself (so `ping` has nonce 0 at 60000 and below, `addr` entries have no
 * timestamp below 31402 and at most one entry below 209). Commands that do not exist at the
 * protocol version still get an arbitrary; see {@linkcode commandExistsAt}.
 */
export function messageArbitraries(options: ArbitraryOptions = {}): MessageArbitraries {
  const pver = options.protocolVersion ?? 70016;
  const witness = options.witness ?? true;
  const cmd = <C extends Command>(command: C) => fc.constant(command);
  const empty = <C extends Command>(command: C) => fc.constant({ command });
  const transaction = tx(witness);
  const filterType = fc.oneof(fc.constant(0), uint8);
  const locator = <C extends "getblocks" | "getheaders">(command: C) =>
    fc.record({
      command: cmd(command),
      protocolVersion: fc.oneof(fc.constantFrom(0, 70016), uint32),
      locator: list(hash32, size(20, [252, 253, 500])),
      hashStop: hash32,
    });
  return {
    addr: fc.record({
      command: cmd("addr"),
      addresses: list(
        netAddress(pver >= 31402),
        pver < 209 ? fc.integer({ min: 0, max: 1 }) : size(20, [252, 253], [1000]),
      ),
    }),
    addrv2: fc.record({
      command: cmd("addrv2"),
      addresses: list(keptNetAddressV2, size(20, [252, 253])),
    }),
    alert: fc.record({
      command: cmd("alert"),
      payload: bytes(size(60, [252, 253], [65535, 65536])),
      signature: bytes(size(72, [252, 253], [65536])),
    }),
    block: fc.record({
      command: cmd("block"),
      header: blockHeader,
      transactions: fc.oneof(
        { weight: 20, arbitrary: list(transaction, size(5, [])) },
        { weight: 1, arbitrary: list(tx(witness, true), fc.constantFrom(252, 253)) },
      ),
    }),
    blocktxn: fc.record({
      command: cmd("blocktxn"),
      blockHash: hash32,
      transactions: fc.oneof(
        { weight: 20, arbitrary: list(transaction, size(5, [])) },
        { weight: 1, arbitrary: list(tx(witness, true), fc.constantFrom(252, 253)) },
      ),
    }),
    cfcheckpt: fc.record({
      command: cmd("cfcheckpt"),
      filterType,
      stopHash: hash32,
      filterHeaders: list(hash32, size(20)),
    }),
    cfheaders: fc.record({
      command: cmd("cfheaders"),
      filterType,
      stopHash: hash32,
      previousFilterHeader: hash32,
      filterHashes: list(hash32, size(20, [252, 253], [2000])),
    }),
    cfilter: fc.record({
      command: cmd("cfilter"),
      filterType,
      blockHash: hash32,
      filter: bytes(size(60, [252, 253], [65535, 65536, 262144])),
    }),
    cmpctblock: cmpctBlock(witness),
    feefilter: fc.record({ command: cmd("feefilter"), feeRate: int64 }),
    filteradd: fc.record({ command: cmd("filteradd"), data: bytes(size(80, [252, 253, 520])) }),
    filterclear: empty("filterclear"),
    filterload: fc.record({
      command: cmd("filterload"),
      filter: bytes(size(60, [252, 253], [36000])),
      hashFuncs: fc.integer({ min: 0, max: 50 }),
      tweak: uint32,
      flags: uint8,
    }),
    getaddr: empty("getaddr"),
    getblocks: locator("getblocks"),
    getblocktxn: fc.record({
      command: cmd("getblocktxn"),
      blockHash: hash32,
      indexes: getBlockTxnIndexes,
    }),
    getcfcheckpt: fc.record({ command: cmd("getcfcheckpt"), filterType, stopHash: hash32 }),
    getcfheaders: fc.record({
      command: cmd("getcfheaders"),
      filterType,
      startHeight: uint32,
      stopHash: hash32,
    }),
    getcfilters: fc.record({
      command: cmd("getcfilters"),
      filterType,
      startHeight: uint32,
      stopHash: hash32,
    }),
    getdata: fc.record({ command: cmd("getdata"), inventory }),
    getheaders: locator("getheaders"),
    headers: fc.record({
      command: cmd("headers"),
      headers: list(blockHeader, size(20, [252, 253], [2000])),
    }),
    inv: fc.record({ command: cmd("inv"), inventory }),
    mempool: empty("mempool"),
    merkleblock: fc.record({
      command: cmd("merkleblock"),
      header: blockHeader,
      totalTransactions: uint32,
      hashes: list(hash32, size(20)),
      flags: bytes(size(20, [252, 253], [50000])),
    }),
    notfound: fc.record({ command: cmd("notfound"), inventory }),
    // BIP 31: no nonce on the wire at 60000 and below, so only 0 survives.
    ping: fc.record({ command: cmd("ping"), nonce: pver > 60000 ? uint64 : fc.constant(0n) }),
    pong: fc.record({ command: cmd("pong"), nonce: uint64 }),
    reject: reject(),
    sendaddrv2: empty("sendaddrv2"),
    sendcmpct: fc.record({
      command: cmd("sendcmpct"),
      announce: fc.boolean(),
      version: fc.oneof(fc.constantFrom(1n, 2n), uint64),
    }),
    sendheaders: empty("sendheaders"),
    sendtxrcncl: fc.record({
      command: cmd("sendtxrcncl"),
      version: fc.oneof(fc.constant(1), uint32),
      salt: uint64,
    }),
    tx: fc.record({ command: cmd("tx"), tx: transaction }),
    verack: empty("verack"),
    version: version(),
    wtxidrelay: empty("wtxidrelay"),
  };
}

/** Valid messages of every command for the defaults (protocol 70016, witness on). */
export const MESSAGE_ARBITRARIES: MessageArbitraries = messageArbitraries();

/** A valid message of any command, for the defaults. */
export const anyMessage: fc.Arbitrary<Message> = fc.oneof(
  ...COMMANDS.map((c) => MESSAGE_ARBITRARIES[c] as fc.Arbitrary<Message>),
);

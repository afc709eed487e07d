import { assertEquals, assertGreaterOrEqual, assertThrows } from "@std/assert";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import { blockHash } from "../../wire/block_header.ts";
import { bytesToHex, hashToHex, hexToBytes } from "../../wire/hash.ts";
import { blockTxnCodec } from "../../wire/msg_blocktxn.ts";
import { cmpctBlockCodec, type CmpctBlockMessage } from "../../wire/msg_cmpctblock.ts";
import { getBlockTxnCodec } from "../../wire/msg_getblocktxn.ts";
import { decodeTx, encodeTx, type Tx, txid, wtxid } from "../../wire/tx.ts";
import { assertMessageError } from "../_util/assert_code.ts";
import { dataStep, vectorsFor } from "../_util/shared_data.ts";

const HEADER = "01000000" + "00".repeat(32) + "ab".repeat(32) + "29ab5f49" + "ffff001d" +
  "1dac2b7c";
// A coinbase-like transaction: one input spending nothing, one output.
const TX = "01000000" + "01" + "00".repeat(32) + "ffffffff" + "0151" + "ffffffff" + "01" +
  "00f2052a01000000" + "0151" + "00000000";
const WITNESS_TX = "02000000" + "0001" + "01" + "22".repeat(32) + "00000000" + "00" +
  "fdffffff" + "01" + "e803000000000000" + "0151" + "01" + "03aabbcc" + "05000000";

function plain(tx: Tx): Tx {
  return { version: tx.version, inputs: tx.inputs, outputs: tx.outputs, lockTime: tx.lockTime };
}

function expectTruncatedEverywhere(payload: Uint8Array, decode: (b: Uint8Array) => unknown) {
  for (let n = 0; n < payload.length; n++) {
    assertMessageError(() => decode(payload.subarray(0, n)), "truncated", undefined, `length ${n}`);
  }
  const trailing = new Uint8Array(payload.length + 1);
  trailing.set(payload);
  assertMessageError(() => decode(trailing), "trailing-bytes");
}

Deno.test("cmpctblock", async (t) => {
  // Nonce 0x0807060504030201, short ids 0x060504030201 and 0x0000000000ff, prefilled
  // transactions at 0 (gap 0) and 3 (gap 2).
  const payload = hexToBytes(
    HEADER + "0102030405060708" + "02" + "010203040506" + "ff0000000000" + "02" + "00" + TX +
      "02" + WITNESS_TX,
  );

  await t.step("decodes short ids and differential prefilled indexes", () => {
    const m = decodeWith(cmpctBlockCodec, payload);
    assertEquals(m.nonce, 0x0807060504030201n);
    assertEquals(m.shortIds, [0x060504030201, 0xff]);
    assertEquals(m.prefilledTransactions.map((p) => p.index), [0, 3]);
    assertEquals(plain(m.prefilledTransactions[0].tx), plain(decodeTx(hexToBytes(TX))));
    assertEquals(
      plain(m.prefilledTransactions[1].tx),
      plain(decodeTx(hexToBytes(WITNESS_TX))),
    );
    assertEquals(encodeWith(cmpctBlockCodec, m), payload);
    // The same message built from literals encodes identically.
    const literal: CmpctBlockMessage = {
      ...m,
      prefilledTransactions: m.prefilledTransactions.map((p) => ({
        index: p.index,
        tx: plain(p.tx),
      })),
    };
    assertEquals(encodeWith(cmpctBlockCodec, literal), payload);
    assertEquals(cmpctBlockCodec.maxPayloadLength(70016), 4_000_000);
  });

  await t.step("rejects indexes past 16 bits or past the block", () => {
    const prefix = HEADER + "0000000000000000";
    // A gap of 65,536.
    assertMessageError(
      () => decodeWith(cmpctBlockCodec, hexToBytes(prefix + "00" + "01" + "fe00000100" + TX)),
      "limit-exceeded",
    );
    // A huge gap that would overflow a 53-bit sum.
    assertMessageError(
      () =>
        decodeWith(cmpctBlockCodec, hexToBytes(prefix + "00" + "01" + "ff0000000000002000" + TX)),
      "limit-exceeded",
    );
    // Index 1 in a block of one transaction.
    assertMessageError(
      () => decodeWith(cmpctBlockCodec, hexToBytes(prefix + "00" + "01" + "01" + TX)),
      "invalid-value",
    );
    // 65,536 short ids.
    assertMessageError(
      () => decodeWith(cmpctBlockCodec, hexToBytes(prefix + "fe00000100")),
      "limit-exceeded",
    );
    // 65,535 short ids leave no room for a prefilled transaction.
    const ids = "fdffff" + "00".repeat(65535 * 6);
    assertMessageError(
      () => decodeWith(cmpctBlockCodec, hexToBytes(prefix + ids + "01" + "00" + TX)),
      "limit-exceeded",
    );
    // More short ids than the bytes hold.
    assertMessageError(
      () => decodeWith(cmpctBlockCodec, hexToBytes(prefix + "05" + "00".repeat(12))),
      "truncated",
    );
  });

  await t.step("rejects invalid fields when encoding", () => {
    const m = decodeWith(cmpctBlockCodec, payload);
    assertThrows(() => encodeWith(cmpctBlockCodec, { ...m, shortIds: [2 ** 48] }), RangeError);
    assertThrows(() => encodeWith(cmpctBlockCodec, { ...m, nonce: -1n }), RangeError);
    const [a, b] = m.prefilledTransactions;
    assertThrows(
      () => encodeWith(cmpctBlockCodec, { ...m, prefilledTransactions: [b, a] }),
      RangeError,
    );
    assertThrows(() =>
      encodeWith(cmpctBlockCodec, {
        ...m,
        prefilledTransactions: [a, { index: 4, tx: b.tx }],
      }), RangeError);
  });

  await t.step("is truncated at every offset and rejects trailing bytes", () => {
    expectTruncatedEverywhere(payload, (b) => decodeWith(cmpctBlockCodec, b));
  });

  await t.step(dataStep("decodes the vectors and re-encodes them byte-identically", () => {
    const lines = vectorsFor("cmpctblock");
    assertGreaterOrEqual(lines.length, 8);
    for (const v of lines) {
      const payload = hexToBytes(v.frame).subarray(24);
      const m = decodeWith(cmpctBlockCodec, payload);
      const f = v.fields;
      assertEquals(hashToHex(blockHash(m.header)), f.hash);
      assertEquals(m.nonce, BigInt(f.nonce as string));
      assertEquals(m.shortIds.length, f.shortids);
      if (m.shortIds.length > 0) {
        const wire = new Uint8Array(6);
        new DataView(wire.buffer).setUint32(0, m.shortIds[0] % 2 ** 32, true);
        new DataView(wire.buffer).setUint16(4, Math.floor(m.shortIds[0] / 2 ** 32), true);
        assertEquals(bytesToHex(wire), f.firstShortidWire);
      } else {
        assertEquals(f.firstShortidWire, null);
      }
      assertEquals(m.prefilledTransactions.length, f.prefilled);
      // `prefilledIndexes` are the differential values on the wire.
      const indexes = m.prefilledTransactions.map((p) => p.index);
      const gaps = indexes.map((x, i) => i === 0 ? x : x - indexes[i - 1] - 1);
      assertEquals(gaps, f.prefilledIndexes);
      assertEquals(hashToHex(txid(m.prefilledTransactions[0].tx)), f.firstPrefilledTxid);
      assertEquals(bytesToHex(encodeWith(cmpctBlockCodec, m)), bytesToHex(payload));
    }
  }));
});

Deno.test("getblocktxn", async (t) => {
  // Absolute indexes 1, 2, 300, 65535: gaps 1, 0, 297, 65234.
  const payload = hexToBytes("55".repeat(32) + "04" + "01" + "00" + "fd2901" + "fdd2fe");

  await t.step("decodes differential indexes to absolute ones", () => {
    const m = decodeWith(getBlockTxnCodec, payload);
    assertEquals(m.blockHash, new Uint8Array(32).fill(0x55));
    assertEquals(m.indexes, [1, 2, 300, 65535]);
    assertEquals(encodeWith(getBlockTxnCodec, m), payload);
    assertEquals(
      encodeWith(getBlockTxnCodec, {
        command: "getblocktxn",
        blockHash: m.blockHash,
        indexes: [1, 2, 300, 65535],
      }),
      payload,
    );
    assertEquals(getBlockTxnCodec.maxPayloadLength(70016), 65573);
  });

  await t.step("rejects indexes past 16 bits", () => {
    const hash = "55".repeat(32);
    assertMessageError(
      () => decodeWith(getBlockTxnCodec, hexToBytes(hash + "01" + "fe00000100")),
      "limit-exceeded",
    );
    // 65535 then a gap of 0 makes 65536.
    assertMessageError(
      () => decodeWith(getBlockTxnCodec, hexToBytes(hash + "02" + "fdffff" + "00")),
      "limit-exceeded",
    );
    assertMessageError(
      () => decodeWith(getBlockTxnCodec, hexToBytes(hash + "fe01000100")),
      "limit-exceeded",
    );
    assertMessageError(
      () => decodeWith(getBlockTxnCodec, hexToBytes(hash + "05" + "0000")),
      "truncated",
    );
  });

  await t.step("rejects invalid indexes when encoding", () => {
    const blockHash = new Uint8Array(32);
    for (const indexes of [[2, 2], [3, 1], [-1], [65536], [1.5]]) {
      assertThrows(
        () => encodeWith(getBlockTxnCodec, { command: "getblocktxn", blockHash, indexes }),
        RangeError,
      );
    }
    assertThrows(() =>
      encodeWith(getBlockTxnCodec, {
        command: "getblocktxn",
        blockHash: new Uint8Array(3),
        indexes: [],
      }), TypeError);
  });

  await t.step("is truncated at every offset and rejects trailing bytes", () => {
    expectTruncatedEverywhere(payload, (b) => decodeWith(getBlockTxnCodec, b));
  });

  await t.step(dataStep("decodes the vectors and re-encodes them byte-identically", () => {
    const lines = vectorsFor("getblocktxn");
    assertGreaterOrEqual(lines.length, 4);
    for (const v of lines) {
      const payload = hexToBytes(v.frame).subarray(24);
      const m = decodeWith(getBlockTxnCodec, payload);
      const f = v.fields;
      assertEquals(hashToHex(m.blockHash), f.blockHash);
      assertEquals(m.indexes.length, f.count);
      assertEquals(m.indexes[0], f.absoluteFirst);
      assertEquals(m.indexes.at(-1), f.absoluteLast);
      // `firstIndexes` are the differential values on the wire.
      const gaps = m.indexes.map((x, i) => i === 0 ? x : x - m.indexes[i - 1] - 1);
      assertEquals(gaps.slice(0, (f.firstIndexes as number[]).length), f.firstIndexes);
      assertEquals(bytesToHex(encodeWith(getBlockTxnCodec, m)), bytesToHex(payload));
    }
  }));
});

Deno.test("blocktxn", async (t) => {
  const payload = hexToBytes("66".repeat(32) + "02" + TX + WITNESS_TX);

  await t.step("decodes the transactions lazily, equal to an eager decode", () => {
    const m = decodeWith(blockTxnCodec, payload);
    assertEquals(m.blockHash, new Uint8Array(32).fill(0x66));
    assertEquals(m.transactions.length, 2);
    assertEquals(plain(m.transactions[1]), plain(decodeTx(hexToBytes(WITNESS_TX))));
    assertEquals(encodeTx(m.transactions[1]), hexToBytes(WITNESS_TX));
    assertEquals(encodeWith(blockTxnCodec, m), payload);
    const legacy = { protocolVersion: 70016, witness: false };
    const stripped = encodeWith(blockTxnCodec, m, legacy);
    assertEquals(
      decodeWith(blockTxnCodec, stripped, legacy).transactions.map((tx) => bytesToHex(txid(tx))),
      m.transactions.map((tx) => bytesToHex(txid(tx))),
    );
    assertEquals(blockTxnCodec.maxPayloadLength(70016), 4_000_000);
  });

  await t.step("checks the count before allocating", () => {
    assertMessageError(
      () => decodeWith(blockTxnCodec, hexToBytes("66".repeat(32) + "fe00000001")),
      "limit-exceeded",
    );
    assertMessageError(
      () => decodeWith(blockTxnCodec, hexToBytes("66".repeat(32) + "03" + TX)),
      "truncated",
    );
  });

  await t.step("is truncated at every offset and rejects trailing bytes", () => {
    expectTruncatedEverywhere(payload, (b) => decodeWith(blockTxnCodec, b));
  });

  await t.step(dataStep("decodes the vectors and re-encodes them byte-identically", () => {
    const lines = vectorsFor("blocktxn");
    assertGreaterOrEqual(lines.length, 8);
    for (const v of lines) {
      const payload = hexToBytes(v.frame).subarray(24);
      const m = decodeWith(blockTxnCodec, payload);
      const f = v.fields;
      assertEquals(hashToHex(m.blockHash), f.blockHash);
      assertEquals(m.transactions.length, f.count);
      assertEquals(hashToHex(txid(m.transactions[0])), f.firstTxid);
      assertEquals(hashToHex(wtxid(m.transactions[0])), f.firstWtxid);
      assertEquals(bytesToHex(encodeWith(blockTxnCodec, m)), bytesToHex(payload));
    }
  }));
});

import {
  assertEquals,
  assertGreaterOrEqual,
  assertMatch,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import { bytesToHex, doubleSha256, hashToHex, hexToBytes } from "../../wire/hash.ts";
import { txCodec } from "../../wire/msg_tx.ts";
import {
  decodeTx,
  encodeTx,
  hasWitness,
  serializeSize,
  type Tx,
  txid,
  txWeight,
  wtxid,
} from "../../wire/tx.ts";
import { assertMessageError } from "../_util/assert_code.ts";
import { dataStep, readShared, vectorsFor } from "../_util/shared_data.ts";

// Legacy: version 1, one input (prevout 0x11.., index 1, script 51 52, sequence ffffffff), one
// output of 50 BTC paying OP_TRUE, lock time 0.
const LEGACY_HEX = "01000000" + "01" + "11".repeat(32) + "01000000" + "025152" + "ffffffff" +
  "01" + "00f2052a01000000" + "0151" + "00000000";
// The same with a BIP 144 witness of two items (30 44, 02 aa bb... shortened) and lock time 5.
const WITNESS_HEX = "02000000" + "0001" + "01" + "22".repeat(32) + "00000000" + "00" +
  "fdffffff" + "02" + "e803000000000000" + "0151" + "0000000000000000" + "00" + "02" +
  "03aabbcc" + "0101" + "05000000";

Deno.test("tx", async (t) => {
  await t.step("decodes a hand-written legacy transaction", () => {
    const bytes = hexToBytes(LEGACY_HEX);
    const tx = decodeTx(bytes);
    assertEquals(tx.version, 1);
    assertEquals(tx.inputs.length, 1);
    assertEquals(tx.inputs[0].previousOutput.hash, new Uint8Array(32).fill(0x11));
    assertEquals(tx.inputs[0].previousOutput.index, 1);
    assertEquals(tx.inputs[0].signatureScript, new Uint8Array([0x51, 0x52]));
    assertEquals(tx.inputs[0].sequence, 0xffffffff);
    assertEquals(tx.inputs[0].witness, []);
    assertEquals(tx.outputs, [{ value: 5000000000n, pkScript: new Uint8Array([0x51]) }]);
    assertEquals(tx.lockTime, 0);
    assertEquals(hasWitness(tx), false);
    assertEquals(txid(tx), doubleSha256(bytes));
    assertEquals(wtxid(tx), doubleSha256(bytes));
    assertEquals(encodeTx(tx), bytes);
    assertEquals(serializeSize(tx), bytes.length);
  });

  await t.step("decodes a hand-written BIP 144 transaction", () => {
    const bytes = hexToBytes(WITNESS_HEX);
    const tx = decodeTx(bytes);
    assertEquals(tx.version, 2);
    assertEquals(hasWitness(tx), true);
    assertEquals(tx.inputs[0].witness, [
      new Uint8Array([0xaa, 0xbb, 0xcc]),
      new Uint8Array([0x01]),
    ]);
    assertEquals(tx.inputs[0].sequence, 0xfffffffd);
    assertEquals(tx.outputs.length, 2);
    assertEquals(tx.outputs[0].value, 1000n);
    assertEquals(tx.outputs[1].pkScript.length, 0);
    assertEquals(tx.lockTime, 5);
    const stripped = hexToBytes(
      "02000000" + "01" + "22".repeat(32) + "00000000" + "00" + "fdffffff" + "02" +
        "e803000000000000" + "0151" + "0000000000000000" + "00" + "05000000",
    );
    assertEquals(txid(tx), doubleSha256(stripped));
    assertEquals(wtxid(tx), doubleSha256(bytes));
    assertEquals(encodeTx(tx), bytes);
    assertEquals(encodeTx(tx, { witness: false }), stripped);
    assertEquals(serializeSize(tx, { witness: false }), stripped.length);
    assertEquals(txWeight(tx), stripped.length * 3 + bytes.length);
    // The same transaction as a plain literal takes the serializing path.
    const plain: Tx = {
      version: tx.version,
      inputs: tx.inputs.map((i) => ({ ...i })),
      outputs: tx.outputs.map((o) => ({ ...o })),
      lockTime: tx.lockTime,
    };
    // Decoded transactions are DecodedTx instances; their data equals the literal's.
    assertEquals(plain, { ...tx });
    assertEquals(encodeTx(plain), bytes);
    assertEquals(encodeTx(plain, { witness: false }), stripped);
    assertEquals(txid(plain), txid(tx));
    assertEquals(wtxid(plain), wtxid(tx));
    assertEquals(serializeSize(plain), bytes.length);
    assertEquals(txWeight(plain), txWeight(tx));
  });

  await t.step("a changed copy of a decoded transaction is serialized anew", () => {
    const tx = decodeTx(hexToBytes(LEGACY_HEX));
    const changed = { ...tx, lockTime: 99 };
    assertEquals(decodeTx(encodeTx(changed)).lockTime, 99);
    assertNotEquals(txid(changed), txid(tx));
    // Reassigning a field at run time (the type says readonly) is noticed too.
    const mutable = decodeTx(hexToBytes(LEGACY_HEX)) as { lockTime: number } & Tx;
    mutable.lockTime = 7;
    assertEquals(decodeTx(encodeTx(mutable)).lockTime, 7);
  });

  await t.step("the tx codec follows the context's witness setting", () => {
    const bytes = hexToBytes(WITNESS_HEX);
    const m = decodeWith(txCodec, bytes);
    assertEquals(encodeWith(txCodec, m), bytes);
    const legacy = { protocolVersion: 70016, witness: false };
    const stripped = encodeWith(txCodec, m, legacy);
    assertEquals(stripped.length, serializeSize(m.tx, { witness: false }));
    // Without witness encoding a zero input count is just zero inputs.
    const empty = hexToBytes("01000000" + "00" + "00" + "00000000");
    assertEquals({ ...decodeWith(txCodec, empty, legacy).tx }, {
      version: 1,
      inputs: [],
      outputs: [],
      lockTime: 0,
    });
    assertEquals(txCodec.maxPayloadLength(70016), 4_000_000);
  });

  await t.step("rejects a witness flag other than 0x01", () => {
    const bytes = hexToBytes(WITNESS_HEX);
    bytes[5] = 0x02;
    assertMessageError(() => decodeTx(bytes), "invalid-value");
    assertMessageError(
      () => decodeTx(hexToBytes("01000000" + "00" + "00" + "00000000")),
      "invalid-value",
    );
  });

  await t.step("rejects a superfluous witness record", () => {
    const bytes = hexToBytes(
      "02000000" + "0001" + "01" + "22".repeat(32) + "00000000" + "00" + "ffffffff" + "01" +
        "e803000000000000" + "0151" + "00" + "00000000",
    );
    const error = assertMessageError(() => decodeTx(bytes), "invalid-value");
    assertMatch(error.message, /superfluous/);
  });

  await t.step("is truncated at every offset, with and without witness", () => {
    for (const hex of [LEGACY_HEX, WITNESS_HEX]) {
      const bytes = hexToBytes(hex);
      for (let n = 0; n < bytes.length; n++) {
        assertMessageError(
          () => decodeTx(bytes.subarray(0, n)),
          "truncated",
          undefined,
          `length ${n}`,
        );
        assertMessageError(() => decodeWith(txCodec, bytes.subarray(0, n)), "truncated", "tx");
      }
    }
  });

  await t.step("checks counts and lengths before allocating", () => {
    // 131,072 inputs exceed the 97,560 that fit in 4,000,000 bytes.
    assertMessageError(() => decodeTx(hexToBytes("01000000" + "fe00000200")), "limit-exceeded");
    // 100 inputs cannot fit in what remains.
    assertMessageError(
      () => decodeTx(hexToBytes("01000000" + "64" + "00".repeat(100))),
      "truncated",
    );
    // 300,000 outputs fit the limit but not the bytes.
    assertMessageError(
      () =>
        decodeTx(hexToBytes("01000000" + "00" + "fee0930400" + "00".repeat(20)), {
          witness: false,
        }),
      "truncated",
    );
    const input = "11".repeat(32) + "00000000";
    // A script longer than 4,000,000 bytes, and one longer than what remains.
    assertMessageError(
      () => decodeTx(hexToBytes("01000000" + "01" + input + "fe01093d00" + "00".repeat(40))),
      "limit-exceeded",
    );
    assertMessageError(
      () => decodeTx(hexToBytes("01000000" + "01" + input + "50" + "00".repeat(40))),
      "truncated",
    );
    // 4,000,001 witness items.
    assertMessageError(() =>
      decodeTx(hexToBytes(
        "01000000" + "0001" + "01" + input + "00" + "ffffffff" + "00" + "fe01093d00" +
          "00".repeat(8),
      )), "limit-exceeded");
    // A witness item longer than 4,000,000 bytes.
    assertMessageError(() =>
      decodeTx(hexToBytes(
        "01000000" + "0001" + "01" + input + "00" + "ffffffff" + "00" + "01" + "fe01093d00" +
          "00".repeat(8),
      )), "limit-exceeded");
    // Non-canonical input count.
    assertMessageError(
      () => decodeTx(hexToBytes("01000000" + "fd0100" + input + "00ffffffff" + "00" + "00000000")),
      "non-canonical-varint",
    );
  });

  await t.step("rejects trailing bytes", () => {
    assertMessageError(() => decodeTx(hexToBytes(LEGACY_HEX + "00")), "trailing-bytes");
    assertMessageError(() => decodeWith(txCodec, hexToBytes(LEGACY_HEX + "00")), "trailing-bytes");
  });

  await t.step("rejects invalid fields when encoding", () => {
    const good = decodeTx(hexToBytes(LEGACY_HEX));
    const input = good.inputs[0];
    const base = { version: 1, inputs: [input], outputs: good.outputs.slice(), lockTime: 0 };
    assertThrows(() =>
      encodeTx({
        ...base,
        inputs: [{ ...input, previousOutput: { hash: new Uint8Array(31), index: 0 } }],
      }), TypeError);
    assertThrows(() => encodeTx({ ...base, inputs: [{ ...input, sequence: -1 }] }), RangeError);
    assertThrows(
      () => encodeTx({ ...base, outputs: [{ value: 1n << 63n, pkScript: new Uint8Array() }] }),
      RangeError,
    );
    assertThrows(() => encodeTx({ ...base, lockTime: 2 ** 32 }), RangeError);
    assertThrows(() => encodeTx({ ...base, version: 2 ** 31 }), RangeError);
    assertThrows(
      () => encodeTx({ ...base, inputs: [{ ...input, witness: ["x" as unknown as Uint8Array] }] }),
      TypeError,
    );
  });

  await t.step(dataStep("decodes the 1 MB mainnet transaction", () => {
    const bytes = readShared("megatx.bin");
    const tx = decodeTx(bytes);
    assertEquals(tx.inputs.length, 5569);
    assertEquals(
      hashToHex(txid(tx)),
      "bb41a757f405890fb0f5856228e23b715702d714d59bf2b1feb70d8b2b4e3e08",
    );
    assertEquals(encodeTx(tx), bytes);
    const plain = { ...tx };
    assertEquals(encodeTx(plain), bytes);
    assertEquals(
      hashToHex(txid(plain)),
      "bb41a757f405890fb0f5856228e23b715702d714d59bf2b1feb70d8b2b4e3e08",
    );
  }));

  await t.step(dataStep("decodes the vectors and re-encodes them byte-identically", () => {
    const lines = vectorsFor("tx");
    assertGreaterOrEqual(lines.length, 20);
    for (const v of lines) {
      const payload = hexToBytes(v.frame).subarray(24);
      const m = decodeWith(txCodec, payload);
      const f = v.fields;
      assertEquals(hashToHex(txid(m.tx)), f.txid);
      if ("wtxid" in f) assertEquals(hashToHex(wtxid(m.tx)), f.wtxid);
      assertEquals(m.tx.inputs.length, f.inputs);
      assertEquals(m.tx.outputs.length, f.outputs);
      if ("version" in f) assertEquals(m.tx.version, f.version);
      if ("locktime" in f) assertEquals(m.tx.lockTime, f.locktime);
      if ("weight" in f) assertEquals(txWeight(m.tx), f.weight);
      assertEquals(hasWitness(m.tx), v.witness);
      assertEquals(bytesToHex(encodeWith(txCodec, m)), bytesToHex(payload));
      // A plain copy serializes to the same bytes and ids.
      const plain: Tx = {
        version: m.tx.version,
        inputs: m.tx.inputs.map((i) => ({ ...i })),
        outputs: m.tx.outputs.map((o) => ({ ...o })),
        lockTime: m.tx.lockTime,
      };
      assertEquals(encodeTx(plain), payload);
      assertEquals(hashToHex(txid(plain)), f.txid);
    }
  }));
});

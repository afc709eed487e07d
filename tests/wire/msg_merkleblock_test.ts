import assert from "node:assert/strict";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import { blockHash } from "../../wire/block_header.ts";
import { bytesToHex, doubleSha256, hashToHex, hexToBytes } from "../../wire/hash.ts";
import { merkleBlockCodec, type MerkleBlockMessage } from "../../wire/msg_merkleblock.ts";
import { isMessageError } from "../_util/assert_code.ts";
import { dataStep, vectorsFor } from "../_util/shared_data.ts";

// BIP 37's partial merkle tree traversal: the root the tree commits to and the matched txids.
function extract(m: MerkleBlockMessage): { root: Uint8Array; matched: Uint8Array[] } {
  const width = (h: number) => (m.totalTransactions + (1 << h) - 1) >> h;
  let height = 0;
  while (width(height) > 1) height++;
  let bit = 0, used = 0;
  const matched: Uint8Array[] = [];
  const walk = (h: number, pos: number): Uint8Array => {
    const flag = (m.flags[bit >> 3] >> (bit & 7)) & 1;
    bit++;
    if (h === 0 || flag === 0) {
      const hash = m.hashes[used++];
      if (h === 0 && flag === 1) matched.push(hash);
      return hash;
    }
    const left = walk(h - 1, pos * 2);
    const right = pos * 2 + 1 < width(h - 1) ? walk(h - 1, pos * 2 + 1) : left;
    const buf = new Uint8Array(64);
    buf.set(left);
    buf.set(right, 32);
    return doubleSha256(buf);
  };
  return { root: walk(height, 0), matched };
}

const HEADER = "01000000" + "00".repeat(32) + "ab".repeat(32) + "29ab5f49" + "ffff001d" +
  "1dac2b7c";

Deno.test("merkleblock", async (t) => {
  const payload = hexToBytes(HEADER + "01000000" + "01" + "ab".repeat(32) + "01" + "01");

  await t.step("decodes a one-transaction filtered block", () => {
    const m = decodeWith(merkleBlockCodec, payload);
    assert.equal(m.totalTransactions, 1);
    assert.deepEqual(m.hashes, [new Uint8Array(32).fill(0xab)]);
    assert.deepEqual(m.flags, new Uint8Array([1]));
    const { root, matched } = extract(m);
    assert.deepEqual(root, m.header.merkleRoot);
    assert.equal(matched.length, 1);
    assert.deepEqual(encodeWith(merkleBlockCodec, m), payload);
    assert.equal(merkleBlockCodec.maxPayloadLength(70016), 4_000_000);
  });

  await t.step("does not exist before BIP 37", () => {
    const old = { protocolVersion: 70000, witness: true };
    assert.throws(
      () => decodeWith(merkleBlockCodec, payload, old),
      isMessageError("unsupported-version"),
    );
    const m = decodeWith(merkleBlockCodec, payload);
    assert.throws(() => encodeWith(merkleBlockCodec, m, old), RangeError);
    assert.equal(merkleBlockCodec.maxPayloadLength(70000), 0);
  });

  await t.step("checks counts and lengths before allocating", () => {
    const prefix = HEADER + "01000000";
    // 400,002 hashes exceed btcd's 400,001; 2 hashes do not fit in what remains.
    assert.throws(
      () => decodeWith(merkleBlockCodec, hexToBytes(prefix + "fe821a0600")),
      isMessageError("limit-exceeded"),
    );
    assert.throws(
      () => decodeWith(merkleBlockCodec, hexToBytes(prefix + "02" + "00".repeat(40))),
      isMessageError("truncated"),
    );
    // 50,001 flag bytes exceed the limit.
    assert.throws(
      () => decodeWith(merkleBlockCodec, hexToBytes(prefix + "00" + "fd51c3")),
      isMessageError("limit-exceeded"),
    );
    const m = decodeWith(merkleBlockCodec, payload);
    assert.throws(
      () => encodeWith(merkleBlockCodec, { ...m, hashes: [new Uint8Array(31)] }),
      TypeError,
    );
    assert.throws(() => encodeWith(merkleBlockCodec, { ...m, totalTransactions: -1 }), RangeError);
    assert.throws(
      () => encodeWith(merkleBlockCodec, { ...m, flags: new Uint8Array(50001) }),
      RangeError,
    );
  });

  await t.step("is truncated at every offset and rejects trailing bytes", () => {
    for (let n = 0; n < payload.length; n++) {
      assert.throws(
        () => decodeWith(merkleBlockCodec, payload.subarray(0, n)),
        isMessageError("truncated", "merkleblock"),
      );
    }
    const trailing = new Uint8Array(payload.length + 1);
    trailing.set(payload);
    assert.throws(() => decodeWith(merkleBlockCodec, trailing), isMessageError("trailing-bytes"));
  });

  await t.step(dataStep("decodes the vectors and re-encodes them byte-identically", () => {
    const lines = vectorsFor("merkleblock");
    assert.ok(lines.length >= 4);
    for (const v of lines) {
      const payload = hexToBytes(v.frame).subarray(24);
      const m = decodeWith(merkleBlockCodec, payload);
      const f = v.fields;
      assert.equal(hashToHex(blockHash(m.header)), f.hash);
      assert.equal(hashToHex(m.header.merkleRoot), f.merkleRoot);
      assert.equal(m.totalTransactions, f.totalTransactions);
      assert.equal(m.hashes.length, f.hashes);
      assert.equal(m.flags.length, f.flagBytes);
      const { root, matched } = extract(m);
      assert.equal(bytesToHex(root) === bytesToHex(m.header.merkleRoot), f.rootMatches);
      assert.equal(matched.length, f.matched);
      assert.equal(matched.length > 0 ? hashToHex(matched[0]) : null, f.firstMatched);
      assert.equal(bytesToHex(encodeWith(merkleBlockCodec, m)), bytesToHex(payload));
    }
  }));
});

import { assertEquals, assertGreaterOrEqual, assertThrows } from "@std/assert";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import { blockHash } from "../../wire/block_header.ts";
import { bytesToHex, doubleSha256, hashToHex, hexToBytes } from "../../wire/hash.ts";
import { merkleBlockCodec, type MerkleBlockMessage } from "../../wire/msg_merkleblock.ts";
import { assertMessageError } from "../_util/assert_code.ts";
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
    assertEquals(m.totalTransactions, 1);
    assertEquals(m.hashes, [new Uint8Array(32).fill(0xab)]);
    assertEquals(m.flags, new Uint8Array([1]));
    const { root, matched } = extract(m);
    assertEquals(root, m.header.merkleRoot);
    assertEquals(matched.length, 1);
    assertEquals(encodeWith(merkleBlockCodec, m), payload);
    assertEquals(merkleBlockCodec.maxPayloadLength(70016), 4_000_000);
  });

  await t.step("does not exist before BIP 37", () => {
    const old = { protocolVersion: 70000, witness: true };
    assertMessageError(() => decodeWith(merkleBlockCodec, payload, old), "unsupported-version");
    const m = decodeWith(merkleBlockCodec, payload);
    assertThrows(() => encodeWith(merkleBlockCodec, m, old), RangeError);
    assertEquals(merkleBlockCodec.maxPayloadLength(70000), 0);
  });

  await t.step("checks counts and lengths before allocating", () => {
    const prefix = HEADER + "01000000";
    // 400,002 hashes exceed btcd's 400,001; 2 hashes do not fit in what remains.
    assertMessageError(
      () => decodeWith(merkleBlockCodec, hexToBytes(prefix + "fe821a0600")),
      "limit-exceeded",
    );
    assertMessageError(
      () => decodeWith(merkleBlockCodec, hexToBytes(prefix + "02" + "00".repeat(40))),
      "truncated",
    );
    // 50,001 flag bytes exceed the limit.
    assertMessageError(
      () => decodeWith(merkleBlockCodec, hexToBytes(prefix + "00" + "fd51c3")),
      "limit-exceeded",
    );
    const m = decodeWith(merkleBlockCodec, payload);
    assertThrows(
      () => encodeWith(merkleBlockCodec, { ...m, hashes: [new Uint8Array(31)] }),
      TypeError,
    );
    assertThrows(() => encodeWith(merkleBlockCodec, { ...m, totalTransactions: -1 }), RangeError);
    assertThrows(
      () => encodeWith(merkleBlockCodec, { ...m, flags: new Uint8Array(50001) }),
      RangeError,
    );
  });

  await t.step("is truncated at every offset and rejects trailing bytes", () => {
    for (let n = 0; n < payload.length; n++) {
      assertMessageError(
        () => decodeWith(merkleBlockCodec, payload.subarray(0, n)),
        "truncated",
        "merkleblock",
      );
    }
    const trailing = new Uint8Array(payload.length + 1);
    trailing.set(payload);
    assertMessageError(() => decodeWith(merkleBlockCodec, trailing), "trailing-bytes");
  });

  await t.step(dataStep("decodes the vectors and re-encodes them byte-identically", () => {
    const lines = vectorsFor("merkleblock");
    assertGreaterOrEqual(lines.length, 4);
    for (const v of lines) {
      const payload = hexToBytes(v.frame).subarray(24);
      const m = decodeWith(merkleBlockCodec, payload);
      const f = v.fields;
      assertEquals(hashToHex(blockHash(m.header)), f.hash);
      assertEquals(hashToHex(m.header.merkleRoot), f.merkleRoot);
      assertEquals(m.totalTransactions, f.totalTransactions);
      assertEquals(m.hashes.length, f.hashes);
      assertEquals(m.flags.length, f.flagBytes);
      const { root, matched } = extract(m);
      assertEquals(bytesToHex(root) === bytesToHex(m.header.merkleRoot), f.rootMatches);
      assertEquals(matched.length, f.matched);
      assertEquals(matched.length > 0 ? hashToHex(matched[0]) : null, f.firstMatched);
      assertEquals(bytesToHex(encodeWith(merkleBlockCodec, m)), bytesToHex(payload));
    }
  }));
});

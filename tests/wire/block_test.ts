import {
  assertEquals,
  assertGreater,
  assertGreaterOrEqual,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import {
  checkMerkleRoot,
  decodeBlock,
  encodeBlock,
  MAX_TX_PER_BLOCK,
  merkleRoot,
} from "../../wire/block.ts";
import {
  blockHash,
  type BlockHeader,
  decodeBlockHeader,
  encodeBlockHeader,
} from "../../wire/block_header.ts";
import { bytesToHex, doubleSha256, hashToHex, hexToBytes, hexToHash } from "../../wire/hash.ts";
import { blockCodec } from "../../wire/msg_block.ts";
import {
  decodeTx,
  encodeTx,
  serializeSize,
  type Tx,
  txid,
  txWeight,
  wtxid,
} from "../../wire/tx.ts";
import { assertMessageError } from "../_util/assert_code.ts";
import { dataStep, readShared, vectorsFor } from "../_util/shared_data.ts";

const BLOCKS = [
  { hash: "0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2", txs: 3315 },
  { hash: "00000000000000000021868c2cefc52a480d173c849412fe81c4e5ab806f94ab", txs: 230 },
];

const GENESIS_HEADER = "01000000" + "00".repeat(32) +
  "3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a" + "29ab5f49" + "ffff001d" +
  "1dac2b7c";
const GENESIS_HASH = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";

// The fields of a transaction as a plain object, whatever kind of object it is.
function plain(tx: Tx): Tx {
  return { version: tx.version, inputs: tx.inputs, outputs: tx.outputs, lockTime: tx.lockTime };
}

Deno.test("block header", async (t) => {
  await t.step("decodes the genesis header and hashes it", () => {
    const bytes = hexToBytes(GENESIS_HEADER);
    const header = decodeBlockHeader(bytes);
    assertEquals(header.version, 1);
    assertEquals(header.prevBlock, new Uint8Array(32));
    assertEquals(
      hashToHex(header.merkleRoot),
      "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
    );
    assertEquals(header.timestamp, 1231006505);
    assertEquals(header.bits, 0x1d00ffff);
    assertEquals(header.nonce, 2083236893);
    assertEquals(hashToHex(blockHash(header)), GENESIS_HASH);
    assertEquals(encodeBlockHeader(header), bytes);
    const literal: BlockHeader = {
      version: 1,
      prevBlock: new Uint8Array(32),
      merkleRoot: hexToHash("4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"),
      timestamp: 1231006505,
      bits: 0x1d00ffff,
      nonce: 2083236893,
    };
    assertEquals(encodeBlockHeader(literal), bytes);
    assertEquals(hashToHex(blockHash(literal)), GENESIS_HASH);
    const json = JSON.parse(JSON.stringify(header));
    assertEquals(
      json.merkleRoot,
      "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
    );
    assertEquals(json.nonce, 2083236893);
  });
  await t.step("a header changed at run time is hashed anew", () => {
    const header = decodeBlockHeader(hexToBytes(GENESIS_HEADER)) as BlockHeader & { nonce: number };
    header.nonce = 1;
    assertNotEquals(hashToHex(blockHash(header)), GENESIS_HASH);
    assertEquals(decodeBlockHeader(encodeBlockHeader(header)).nonce, 1);
  });
  await t.step("is truncated at every offset and rejects trailing bytes", () => {
    const bytes = hexToBytes(GENESIS_HEADER);
    for (let n = 0; n < 80; n++) {
      assertMessageError(() => decodeBlockHeader(bytes.subarray(0, n)), "truncated");
    }
    assertMessageError(() => decodeBlockHeader(new Uint8Array(81)), "trailing-bytes");
  });
  await t.step("rejects invalid fields when encoding", () => {
    const header = decodeBlockHeader(hexToBytes(GENESIS_HEADER));
    const fields = { ...header, prevBlock: header.prevBlock, merkleRoot: header.merkleRoot };
    assertThrows(() => encodeBlockHeader({ ...fields, prevBlock: new Uint8Array(31) }), TypeError);
    assertThrows(() => encodeBlockHeader({ ...fields, bits: -1 }), RangeError);
    assertThrows(() => encodeBlockHeader({ ...fields, version: 2 ** 31 }), RangeError);
  });
});

Deno.test("merkle root", async (t) => {
  await t.step("pairs hashes level by level, duplicating an odd last one", () => {
    const a = new Uint8Array(32).fill(1), b = new Uint8Array(32).fill(2);
    const c = new Uint8Array(32).fill(3);
    const pair = (x: Uint8Array, y: Uint8Array) => {
      const buf = new Uint8Array(64);
      buf.set(x);
      buf.set(y, 32);
      return doubleSha256(buf);
    };
    assertEquals(merkleRoot([]), new Uint8Array(32));
    assertEquals(merkleRoot([a]), a);
    assertEquals(merkleRoot([a, b]), pair(a, b));
    assertEquals(merkleRoot([a, b, c]), pair(pair(a, b), pair(c, c)));
  });
});

Deno.test("block", async (t) => {
  const small = hexToBytes(
    "01000000" + "00".repeat(32) + "00".repeat(32) + "00000000" + "00000000" + "00000000" +
      "01" + "01000000" + "01" + "00".repeat(32) + "ffffffff" + "0151" + "ffffffff" + "01" +
      "00f2052a01000000" + "0151" + "00000000",
  );

  await t.step("decodes and re-encodes a hand-written block", () => {
    const block = decodeBlock(small);
    assertEquals(block.transactions.length, 1);
    const tx = block.transactions[0];
    assertEquals(tx.version, 1);
    assertEquals(tx.inputs[0].previousOutput.index, 0xffffffff);
    assertEquals(tx.outputs[0].value, 5000000000n);
    assertEquals(encodeBlock(block), small);
    assertEquals(checkMerkleRoot(block), false);
    const m = decodeWith(blockCodec, small);
    assertEquals(encodeWith(blockCodec, m), small);
    assertEquals(blockCodec.maxPayloadLength(70016), 4_000_000);
  });

  await t.step("is truncated at every offset", () => {
    for (let n = 0; n < small.length; n++) {
      assertMessageError(
        () => decodeWith(blockCodec, small.subarray(0, n)),
        "truncated",
        "block",
        `length ${n}`,
      );
      assertMessageError(() => decodeBlock(small.subarray(0, n)), "truncated");
    }
  });

  await t.step("rejects trailing bytes and impossible counts", () => {
    const trailing = new Uint8Array(small.length + 1);
    trailing.set(small);
    assertMessageError(() => decodeBlock(trailing), "trailing-bytes");
    assertMessageError(() => decodeWith(blockCodec, trailing), "trailing-bytes");
    const tooMany = new Uint8Array(86);
    tooMany.set([0xfe, 0x00, 0x00, 0x10, 0x00], 80); // 1,048,576 transactions
    assertGreater(0x100000, MAX_TX_PER_BLOCK);
    assertMessageError(() => decodeBlock(tooMany), "limit-exceeded");
    const unfit = new Uint8Array(100);
    unfit[80] = 3; // three transactions need at least 30 bytes; 19 remain
    assertMessageError(() => decodeBlock(unfit), "truncated");
  });

  await t.step("a transaction error inside a block is reported for the block", () => {
    const bad = small.slice();
    bad[85] = 0x00; // input count 0, then the outpoint's first byte as a bad BIP 144 flag
    assertMessageError(() => decodeWith(blockCodec, bad), "invalid-value", "block");
  });

  await t.step("lazy transactions read like plain data", () => {
    const block = decodeBlock(small);
    const lazy = block.transactions[0];
    const eager = decodeTx(encodeTx(lazy));
    assertEquals(plain(lazy), plain(eager));
    assertEquals(Deno.inspect(lazy).startsWith("Tx {"), true);
    assertThrows(() => {
      (lazy as { version: number }).version = 3;
    }, TypeError);
  });

  for (const { hash, txs } of BLOCKS) {
    await t.step(
      dataStep(`mainnet block ${hash.slice(-8)}: hash, count, merkle root, bytes`, () => {
        const bytes = readShared(`block-${hash}.blk`);
        const block = decodeBlock(bytes);
        assertEquals(hashToHex(blockHash(block.header)), hash);
        assertEquals(block.transactions.length, txs);
        assertEquals(checkMerkleRoot(block), true);
        assertEquals(encodeBlock(block), bytes);
        const m = decodeWith(blockCodec, bytes);
        assertEquals(m.transactions.length, txs);
        assertEquals(encodeWith(blockCodec, m), bytes);
        // Every lazy transaction equals its eager decode, and a plain copy serializes the same.
        let offset = 80 + (txs < 0xfd ? 1 : 3);
        for (const tx of block.transactions) {
          const size = serializeSize(tx);
          const range = bytes.subarray(offset, offset + size);
          offset += size;
          const eager = decodeTx(range);
          assertEquals(plain(tx), plain(eager));
          assertEquals(txid(tx), txid(eager));
          assertEquals(wtxid(tx), wtxid(eager));
          assertEquals(wtxid(tx), doubleSha256(range));
          assertEquals(encodeTx(plain(tx)), range);
          assertEquals(txWeight(tx), txWeight(plain(tx)));
        }
        assertEquals(offset, bytes.length);
        // Stripped of witness data, the block still commits to the same txids.
        const legacy = encodeBlock(block, { witness: false });
        const reread = decodeBlock(legacy, { witness: false });
        assertEquals(checkMerkleRoot(reread), true);
        assertEquals(
          reread.transactions.map((tx) => hashToHex(txid(tx))),
          block.transactions.map((tx) => hashToHex(txid(tx))),
        );
      }),
    );
  }

  await t.step(dataStep("decodes the vectors and re-encodes them byte-identically", () => {
    const lines = vectorsFor("block");
    assertGreaterOrEqual(lines.length, 15);
    for (const v of lines) {
      const payload = hexToBytes(v.frame).subarray(24);
      const m = decodeWith(blockCodec, payload);
      const f = v.fields;
      assertEquals(hashToHex(blockHash(m.header)), f.hash);
      assertEquals(m.transactions.length, f.txs);
      if ("version" in f) {
        assertEquals(m.header.version, f.version);
        assertEquals(hashToHex(m.header.prevBlock), f.prevBlock);
        assertEquals(hashToHex(m.header.merkleRoot), f.merkleRoot);
        assertEquals(m.header.timestamp, f.time);
        assertEquals(m.header.bits, f.bits);
        assertEquals(m.header.nonce, f.nonce);
        assertEquals(hashToHex(txid(m.transactions[0])), f.firstTxid);
        assertEquals(checkMerkleRoot(m), f.merkleRootMatches);
        const weight = m.transactions.reduce((sum, tx) => sum + txWeight(tx), 0) +
          4 * (80 + 1);
        assertEquals(weight, f.weight);
      }
      assertEquals(
        m.transactions.some((tx) => tx.inputs.some((i) => i.witness.length > 0)),
        v.witness,
      );
      assertEquals(bytesToHex(encodeWith(blockCodec, m)), bytesToHex(payload));
    }
  }));

  await t.step(dataStep("a small vector block is truncated at every offset", () => {
    for (const v of vectorsFor("block").filter((v) => v.witness).slice(0, 1)) {
      const payload = hexToBytes(v.frame).subarray(24);
      for (let n = 0; n < payload.length; n++) {
        assertMessageError(() => decodeWith(blockCodec, payload.subarray(0, n)), "truncated");
      }
    }
  }));
});

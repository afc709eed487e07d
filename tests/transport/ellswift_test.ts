import { assert, assertEquals, assertThrows } from "@std/assert";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import fc from "fast-check";
import {
  ellswiftCreate,
  ellswiftDecode,
  ellswiftEcdhX,
  ellswiftXdh,
  xSwiftEc,
  xSwiftEcInv,
} from "../../transport/ellswift.ts";
import { bytesToHex, hexToBytes } from "../../wire/hash.ts";
import { dataTest } from "../_util/shared_data.ts";
import { bigIntToHex32, bip324Vectors, hexToBigInt } from "./_vectors.ts";

Deno.test(dataTest("ellswiftDecode: every BIP 324 decoding vector", () => {
  const rows = bip324Vectors("ellswift_decode_test_vectors.csv");
  assertEquals(rows.length, 76);
  for (const row of rows) {
    assertEquals(bytesToHex(ellswiftDecode(hexToBytes(row.ellswift))), row.x, row.comment);
  }
}));

Deno.test(dataTest("xSwiftEcInv: every branch of every BIP 324 inverse vector", () => {
  const rows = bip324Vectors("xswiftec_inv_test_vectors.csv");
  assertEquals(rows.length, 32);
  let found = 0, failed = 0;
  for (const row of rows) {
    const u = hexToBigInt(row.u), x = hexToBigInt(row.x);
    for (let branch = 0; branch < 8; branch++) {
      const expected = row[`case${branch}_t`];
      const t = xSwiftEcInv(x, u, branch);
      const what = `u=${row.u} branch ${branch} (${row.comment})`;
      if (expected === "") {
        assertEquals(t, undefined, what);
        failed++;
      } else {
        assert(t !== undefined, what);
        assertEquals(bigIntToHex32(t), expected, what);
        assertEquals(xSwiftEc(u, t), x, what);
        found++;
      }
    }
  }
  // Both outcomes are exercised by the file.
  assert(found > 0 && failed > 0, `${found} found, ${failed} failed`);
}));

Deno.test("xSwiftEc", async (t) => {
  await t.step("uses the BIP's constant c = sqrt(-3)", () => {
    // Two inputs whose result passes through c: u = 1, t = 1 is the first decoding vector's
    // remapped form; its value is fixed by the BIP.
    assertEquals(
      bigIntToHex32(xSwiftEc(1n, 1n)),
      "edd1fd3e327ce90cc7a3542614289aee9682003e9cf7dcc9cf2ca9743be5aa0c",
    );
  });
  await t.step("reduces inputs modulo p", () => {
    const p = secp256k1.Point.Fp.ORDER;
    assertEquals(xSwiftEc(p + 5n, 2n * p + 9n), xSwiftEc(5n, 9n));
  });
  await t.step("a bad branch is a caller's error", () => {
    assertThrows(() => xSwiftEcInv(1n, 1n, 8), RangeError);
    assertThrows(() => xSwiftEcInv(1n, 1n, -1), RangeError);
    assertThrows(() => xSwiftEcInv(1n, 1n, 1.5), RangeError);
  });
  await t.step("every branch that succeeds round-trips (fast-check)", () => {
    fc.assert(
      fc.property(fc.bigInt(1n, 2n ** 256n - 1n), fc.bigInt(0n, 2n ** 256n - 1n), (u, t) => {
        const x = xSwiftEc(u, t);
        for (let branch = 0; branch < 8; branch++) {
          const back = xSwiftEcInv(x, u, branch);
          if (back !== undefined && back !== 0n) assertEquals(xSwiftEc(u, back), x);
        }
      }),
      { numRuns: 30 },
    );
  });
});

Deno.test("ellswiftCreate", async (t) => {
  await t.step("encodes the public key's X coordinate", () => {
    for (let i = 0; i < 8; i++) {
      const key = secp256k1.utils.randomSecretKey();
      const encoding = ellswiftCreate(key, crypto.getRandomValues(new Uint8Array(32)));
      assertEquals(encoding.length, 64);
      assertEquals(
        bytesToHex(ellswiftDecode(encoding)),
        bytesToHex(secp256k1.getPublicKey(key).subarray(1)),
      );
    }
  });
  await t.step("is a function of the key and the randomness", () => {
    const key = new Uint8Array(32).fill(7);
    const r1 = new Uint8Array(32), r2 = new Uint8Array(32).fill(1);
    assertEquals(ellswiftCreate(key, r1), ellswiftCreate(key, r1));
    assert(bytesToHex(ellswiftCreate(key, r1)) !== bytesToHex(ellswiftCreate(key, r2)));
  });
  await t.step("refuses invalid keys and randomness", () => {
    const n = secp256k1.Point.Fn.ORDER;
    assertThrows(() => ellswiftCreate(new Uint8Array(32), new Uint8Array(32)), RangeError);
    assertThrows(
      () => ellswiftCreate(hexToBytes(bigIntToHex32(n)), new Uint8Array(32)),
      RangeError,
    );
    assertThrows(() => ellswiftCreate(new Uint8Array(31).fill(1), new Uint8Array(32)), RangeError);
    assertThrows(() => ellswiftCreate(new Uint8Array(32).fill(1), new Uint8Array(31)), RangeError);
  });
  await t.step("u is spread over the field, not only small values (first byte varies)", () => {
    const firsts = new Set<number>();
    const key = new Uint8Array(32).fill(3);
    for (let i = 0; i < 16; i++) {
      const r = new Uint8Array(32);
      r[0] = i;
      firsts.add(ellswiftCreate(key, r)[0]);
    }
    assert(firsts.size > 8, `${firsts.size} distinct first bytes of 16`);
  });
});

Deno.test("ellswiftXdh", async (t) => {
  await t.step("both sides derive the same secret; roles matter", () => {
    const a = secp256k1.utils.randomSecretKey(), b = secp256k1.utils.randomSecretKey();
    const ea = ellswiftCreate(a, new Uint8Array(32)), eb = ellswiftCreate(b, new Uint8Array(32));
    const s1 = ellswiftXdh({ privateKey: a, encoding: ea, initiator: true }, eb);
    const s2 = ellswiftXdh({ privateKey: b, encoding: eb, initiator: false }, ea);
    assertEquals(s1, s2);
    const swapped = ellswiftXdh({ privateKey: a, encoding: ea, initiator: false }, eb);
    assert(bytesToHex(swapped) !== bytesToHex(s1));
  });
  await t.step("the shared X is the X of a·B", () => {
    const a = secp256k1.utils.randomSecretKey(), b = secp256k1.utils.randomSecretKey();
    const eb = ellswiftCreate(b, new Uint8Array(32));
    assertEquals(
      bytesToHex(ellswiftEcdhX(eb, a)),
      bytesToHex(secp256k1.getSharedSecret(a, secp256k1.getPublicKey(b)).subarray(1)),
    );
  });
  await t.step("any 64 bytes decode, and ECDH with them never throws (fast-check)", () => {
    const key = new Uint8Array(32).fill(9);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (bytes) => {
        assertEquals(ellswiftDecode(bytes).length, 32);
        assertEquals(ellswiftEcdhX(bytes, key).length, 32);
      }),
      { numRuns: 50 },
    );
    // The edges: all zero, all 0xff (u and t >= p).
    assertEquals(ellswiftDecode(new Uint8Array(64).fill(0xff)).length, 32);
  });
  await t.step("a wrong-sized encoding is a caller's error", () => {
    assertThrows(() => ellswiftDecode(new Uint8Array(63)), RangeError);
  });
});

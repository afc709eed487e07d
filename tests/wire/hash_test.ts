import { assertEquals, assertThrows } from "@std/assert";
import { createHash } from "node:crypto";
import fc from "fast-check";
import {
  checksumSmall,
  doubleSha256Small,
  doubleSha256SmallRanges,
  sha256OfDigest,
  sha256Small,
} from "../../wire/_sha256.ts";
import {
  bytesToHex,
  checksum,
  doubleSha256,
  doubleSha256Parts,
  hashToHex,
  hexToBytes,
  hexToHash,
  sha256,
} from "../../wire/hash.ts";

function nodeSha(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}
function nodeDsha(data: Uint8Array): Uint8Array {
  return nodeSha(nodeSha(data));
}
function be32(d: Uint8Array): number {
  return ((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0;
}

Deno.test("sha256: known answers (FIPS 180-2)", () => {
  const enc = new TextEncoder();
  assertEquals(
    bytesToHex(sha256Small(enc.encode("abc"))),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assertEquals(
    bytesToHex(sha256Small(enc.encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  assertEquals(
    bytesToHex(sha256Small(new Uint8Array())),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  // The checksum of an empty payload, as in every verack header.
  assertEquals(bytesToHex(doubleSha256(new Uint8Array()).subarray(0, 4)), "5df6e0e2");
});

Deno.test("sha256: the JavaScript path equals node:crypto at every length 0..1100", () => {
  const data = new Uint8Array(1200);
  crypto.getRandomValues(data);
  for (let n = 0; n <= 1100; n++) {
    const input = data.subarray(3, 3 + n);
    const want = nodeSha(input);
    const want2 = nodeDsha(input);
    assertEquals(sha256Small(input), want, `sha256Small length ${n}`);
    assertEquals(sha256Small(data, 3, 3 + n), want, `sha256Small range length ${n}`);
    assertEquals(doubleSha256Small(input), want2, `doubleSha256Small length ${n}`);
    assertEquals(sha256(input), want, `sha256 length ${n}`);
    assertEquals(doubleSha256(input), want2, `doubleSha256 length ${n}`);
    assertEquals(checksumSmall(data, 3, 3 + n), be32(want2), `checksumSmall length ${n}`);
    assertEquals(checksum(data, 3, 3 + n), be32(want2), `checksum length ${n}`);
  }
});

Deno.test("sha256: property: random inputs and split points agree with node:crypto", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(), (input, cut) => {
      const want = nodeDsha(input);
      assertEquals(doubleSha256(input), want);
      assertEquals(sha256OfDigest(nodeSha(input)), want);
      const at = input.length === 0 ? 0 : cut % input.length;
      assertEquals(doubleSha256Parts([input.subarray(0, at), input.subarray(at)]), want);
      assertEquals(checksum(input, 0, input.length), be32(want));
    }),
    { numRuns: 300 },
  );
});

Deno.test("sha256: property: hashing byte ranges equals hashing their concatenation", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 700 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 5 }),
      (data, picks) => {
        const ranges: number[] = [];
        const parts: Uint8Array[] = [];
        for (const [a, b] of picks) {
          const from = data.length === 0 ? 0 : a % (data.length + 1);
          const to = from + (data.length - from === 0 ? 0 : b % (data.length - from + 1));
          ranges.push(from, to);
          parts.push(data.subarray(from, to));
        }
        const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          joined.set(p, at);
          at += p.length;
        }
        assertEquals(doubleSha256SmallRanges(data, ranges), nodeDsha(joined));
      },
    ),
    { numRuns: 500 },
  );
  // Every total length around the one- and two-block padding boundaries, split in three.
  const data = crypto.getRandomValues(new Uint8Array(300));
  for (let n = 0; n < 200; n++) {
    const a = Math.floor(n / 3), b = Math.floor((2 * n) / 3);
    const want = nodeDsha(data.subarray(0, n));
    assertEquals(doubleSha256SmallRanges(data, [0, a, a, b, b, n]), want, `length ${n}`);
  }
});

Deno.test("hex helpers", async (t) => {
  await t.step("display hex is byte-reversed", () => {
    const h = hexToHash("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
    assertEquals(h[0], 0x6f);
    assertEquals(h[31], 0x00);
    assertEquals(hashToHex(h), "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
  });
  await t.step("round-trips and rejects junk", () => {
    assertEquals(bytesToHex(hexToBytes("00ff10Ab")), "00ff10ab");
    assertThrows(() => hexToBytes("abc"), TypeError);
    assertThrows(() => hexToBytes("zz"), TypeError);
  });
});

// The accept path's allocation-free IP reader must accept exactly what the wire module's
// `parseIp` accepts, and read the same address: checked on random text built from IP-like
// pieces and on random addresses in every spelling.
import { assertEquals } from "@std/assert";
import fc from "fast-check";
import { ipv4FromText, readIp } from "../../server/_ip_literal.ts";
import { ipToString, parseIp } from "../../wire/mod.ts";

/** What `parseIp` makes of `text`: a family and words as `readIp` gives them, or 0. */
function reference(text: string): [number, number[]] {
  let bytes: Uint8Array;
  try {
    bytes = parseIp(text);
  } catch {
    return [0, []];
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const words = [0, 1, 2, 3].map((i) => view.getUint32(4 * i));
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return [4, [words[3]]];
  return [6, words];
}

function read(text: string): [number, number[]] {
  const words = new Uint32Array(4);
  const family = readIp(text, words);
  if (family === 0) return [0, []];
  return [family, Array.from(words.subarray(0, family === 4 ? 1 : 4))];
}

Deno.test("readIp: known forms", () => {
  const cases: [string, number, number[]][] = [
    ["1.2.3.4", 4, [0x01020304]],
    ["255.255.255.255", 4, [0xffffffff]],
    ["0.0.0.0", 4, [0]],
    ["::ffff:1.2.3.4", 4, [0x01020304]],
    ["[::ffff:1.2.3.4]", 4, [0x01020304]],
    ["::FFFF:0102:0304", 4, [0x01020304]],
    ["::", 6, [0, 0, 0, 0]],
    ["::1", 6, [0, 0, 0, 1]],
    ["[::1]", 6, [0, 0, 0, 1]],
    ["1::", 6, [0x00010000, 0, 0, 0]],
    ["2001:db8::1", 6, [0x20010db8, 0, 0, 1]],
    ["2001:DB8:0:0:0:0:0:1", 6, [0x20010db8, 0, 0, 1]],
    ["1:2:3:4:5:6:7::", 6, [0x00010002, 0x00030004, 0x00050006, 0x00070000]],
    ["::2:3:4:5:6:7:8", 6, [0x00000002, 0x00030004, 0x00050006, 0x00070008]],
    ["1:2:3:4:5:6:1.2.3.4", 6, [0x00010002, 0x00030004, 0x00050006, 0x01020304]],
    ["::1.2.3.4", 6, [0, 0, 0, 0x01020304]],
    ["64:ff9b::1.2.3.4", 6, [0x0064ff9b, 0, 0, 0x01020304]],
  ];
  for (const [text, family, words] of cases) assertEquals(read(text), [family, words], text);
  const invalid = [
    "",
    ".",
    ":",
    ":::",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",
    "1.2.3.256",
    "[1.2.3.4]",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "1::2::3",
    ":1::",
    "1:",
    "1::2:",
    "12345::",
    "fe80::1%eth0",
    "::1.2.3.4:5",
    "1.2.3.4::",
    "1:2:3:4:5:6:7:1.2.3.4",
    "g::",
    "[::1",
    "::1]",
    "localhost",
  ];
  for (const text of invalid) assertEquals(read(text), [0, []], text);
  assertEquals(ipv4FromText("x1.2.3.4y", 1, 8), 0x01020304);
});

Deno.test("readIp accepts and reads what parseIp does (property)", async (t) => {
  await t.step("random text of IP pieces", () => {
    const piece = fc.constantFrom(
      "::",
      ":",
      ".",
      "0",
      "1",
      "00",
      "ff",
      "FFFF",
      "ffff",
      "12345",
      "255",
      "256",
      "1.2.3.4",
      "a",
      "g",
      "%",
      "[",
      "]",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 14 }), (pieces) => {
        const text = pieces.join("");
        const inner = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
        const expected = ipv4FromText(text) >= 0 ? reference(text) : reference(inner);
        // Brackets are ours: the reference never takes them, and a dotted quad in brackets
        // is not a host form.
        if (inner !== text && expected[0] === 4 && !inner.includes(":")) {
          assertEquals(read(text), [0, []], text);
        } else {
          assertEquals(read(text), expected, text);
        }
      }),
      { numRuns: 5000 },
    );
  });

  await t.step("random addresses in every spelling", () => {
    const address = fc.uint8Array({ minLength: 16, maxLength: 16 }).chain((bytes) =>
      fc.record({ bytes: fc.constant(bytes), zeros: fc.nat(8), at: fc.nat(8) })
    );
    fc.assert(
      fc.property(address, ({ bytes, zeros, at }) => {
        // Runs of zero groups, so that `::` appears.
        for (let g = at; g < Math.min(8, at + zeros); g++) bytes[2 * g] = bytes[2 * g + 1] = 0;
        const groups = Array.from({ length: 8 }, (_, g) => (bytes[2 * g] << 8) | bytes[2 * g + 1]);
        const spellings = [
          ipToString(bytes),
          groups.map((g) => g.toString(16)).join(":"),
          groups.map((g) => g.toString(16).padStart(4, "0").toUpperCase()).join(":"),
          `${groups.slice(0, 6).map((g) => g.toString(16)).join(":")}:${bytes[12]}.${bytes[13]}.${
            bytes[14]
          }.${bytes[15]}`,
        ];
        const expected = reference(spellings[1]);
        for (const text of spellings) {
          assertEquals(read(text), expected, text);
          assertEquals(
            read(`[${text}]`),
            expected.length && text.includes(":") ? expected : [0, []],
          );
        }
      }),
      { numRuns: 2000 },
    );
  });
});

import { assert, assertEquals, assertGreater, assertThrows } from "@std/assert";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import { bytesToHex, hexToBytes } from "../../wire/hash.ts";
import { addrCodec, type AddrMessage } from "../../wire/msg_addr.ts";
import { ipToString, type NetAddress, parseIp } from "../../wire/net_address.ts";
import { assertMessageError } from "../_util/assert_code.ts";
import { dataTest, vectorsFor } from "../_util/shared_data.ts";

function ctx(protocolVersion: number) {
  return { protocolVersion, witness: false };
}

// time 0x495fab29 | services 1 (NETWORK) | ::ffff:127.0.0.1 | port 8333
const A1 = "29ab5f49" + "0100000000000000" + "00000000000000000000ffff7f000001" + "208d";
// time 1 | services 1033 | 2001:db8::1 | port 18333
const A2 = "01000000" + "0904000000000000" + "20010db8000000000000000000000001" + "479d";

const ADDRESSES: NetAddress[] = [
  { timestamp: 0x495fab29, services: 1n, ip: parseIp("127.0.0.1"), port: 8333 },
  { timestamp: 1, services: 1033n, ip: parseIp("2001:db8::1"), port: 18333 },
];

Deno.test("addr", async (t) => {
  await t.step("decodes and encodes addresses with timestamps", () => {
    const payload = hexToBytes("02" + A1 + A2);
    const m = decodeWith(addrCodec, payload);
    assertEquals(m, { command: "addr", addresses: ADDRESSES });
    assertEquals(encodeWith(addrCodec, m), payload);
  });
  await t.step("has no timestamps before protocol 31402", () => {
    const payload = hexToBytes("02" + A1.slice(8) + A2.slice(8));
    const m = decodeWith(addrCodec, payload, ctx(31401));
    assertEquals(m.addresses.map((a) => a.timestamp), [undefined, undefined]);
    assertEquals(ipToString(m.addresses[1].ip), "2001:db8::1");
    assertEquals(
      encodeWith(addrCodec, { command: "addr", addresses: ADDRESSES }, ctx(31401)),
      payload,
    );
  });
  await t.step("carries one address before protocol 209", () => {
    const one = hexToBytes("01" + A1.slice(8));
    assertEquals(decodeWith(addrCodec, one, ctx(208)).addresses.length, 1);
    assertMessageError(
      () => decodeWith(addrCodec, hexToBytes("02" + A1.slice(8) + A2.slice(8)), ctx(208)),
      "limit-exceeded",
      "addr",
    );
    assertThrows(
      () => encodeWith(addrCodec, { command: "addr", addresses: ADDRESSES }, ctx(208)),
      RangeError,
    );
  });
  await t.step("writes a missing timestamp as 0", () => {
    const { timestamp: _, ...untimed } = ADDRESSES[0];
    const payload = encodeWith(addrCodec, { command: "addr", addresses: [untimed] });
    assertEquals(bytesToHex(payload), "01" + "00000000" + A1.slice(8));
  });
  await t.step("bounds the count at 1000 before allocating", () => {
    const max = decodeWith(addrCodec, hexToBytes("fde803" + A1.repeat(1000)));
    assertEquals(max.addresses.length, 1000);
    assertMessageError(
      () => decodeWith(addrCodec, hexToBytes("fde903" + A1.repeat(1001))),
      "limit-exceeded",
      "addr",
    );
    assertMessageError(
      () => decodeWith(addrCodec, hexToBytes("ffffffffffffffff00")),
      "limit-exceeded",
      "addr",
    );
    // A count the payload cannot hold is found before the list is built.
    assertMessageError(() => decodeWith(addrCodec, hexToBytes("fde803" + A1)), "truncated", "addr");
    const tooMany = { command: "addr", addresses: new Array(1001).fill(ADDRESSES[0]) } as const;
    assertThrows(
      () => encodeWith(addrCodec, tooMany),
      Error,
      "1001 addresses exceed the limit of 1000",
    );
  });
  await t.step("is truncated at every offset", () => {
    const payload = hexToBytes("02" + A1 + A2);
    for (let n = 0; n < payload.length; n++) {
      assertMessageError(() => decodeWith(addrCodec, payload.subarray(0, n)), "truncated", "addr");
    }
  });
  await t.step("rejects a non-canonical count and trailing bytes", () => {
    assertMessageError(
      () => decodeWith(addrCodec, hexToBytes("fd0100" + A1)),
      "non-canonical-varint",
      "addr",
    );
    assertMessageError(
      () => decodeWith(addrCodec, hexToBytes("01" + A1 + "00")),
      "trailing-bytes",
      "addr",
    );
  });
  await t.step("refuses bad addresses when encoding", () => {
    const bad = (a: Partial<NetAddress>): AddrMessage => ({
      command: "addr",
      addresses: [{ ...ADDRESSES[0], ...a }],
    });
    assertThrows(() => encodeWith(addrCodec, bad({ ip: new Uint8Array(4) })), TypeError);
    assertThrows(() => encodeWith(addrCodec, bad({ port: 65536 })), RangeError);
    assertThrows(() => encodeWith(addrCodec, bad({ timestamp: 2 ** 32 })), RangeError);
    assertThrows(
      () => encodeWith(addrCodec, bad({ services: -1n })),
      Error,
      "addresses[0].services",
    );
  });
  await t.step("has an exact maximum payload", () => {
    assertEquals(addrCodec.maxPayloadLength(70016), 30_003);
    assertEquals(addrCodec.maxPayloadLength(31402), 30_003);
    assertEquals(addrCodec.maxPayloadLength(31401), 26_003);
    assertEquals(addrCodec.maxPayloadLength(208), 27);
    const full: AddrMessage = { command: "addr", addresses: new Array(1000).fill(ADDRESSES[1]) };
    assertEquals(encodeWith(addrCodec, full).length, 30_003);
  });
});

Deno.test(dataTest("addr: shared vectors", () => {
  const vectors = vectorsFor("addr");
  assertGreater(vectors.length, 0);
  for (const v of vectors) {
    const payload = hexToBytes(v.frame).subarray(24);
    const m = decodeWith(addrCodec, payload);
    const f = v.fields as {
      count: number;
      first?: Record<string, unknown> | null;
      last?: Record<string, unknown> | null;
    };
    assertEquals(m.addresses.length, f.count);
    if (f.first !== undefined) {
      for (
        const [a, want] of [[m.addresses[0], f.first], [m.addresses.at(-1), f.last]] as const
      ) {
        if (want === null || want === undefined) {
          assertEquals(a, undefined);
          continue;
        }
        assert(a !== undefined);
        assertEquals(a.timestamp, want.time);
        assertEquals(a.services, BigInt(want.services as string));
        assertEquals(ipToString(a.ip), want.host);
        assertEquals(a.port, want.port);
      }
    }
    assertEquals(bytesToHex(encodeWith(addrCodec, m)), bytesToHex(payload));
  }
}));

import { assert, assertEquals, assertGreater, assertThrows } from "@std/assert";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import { ByteWriter } from "../../wire/_writer.ts";
import { bytesToHex, hexToBytes } from "../../wire/hash.ts";
import { addrV2Codec, type AddrV2Message } from "../../wire/msg_addrv2.ts";
import { type NetAddressV2, netAddressV2ToString } from "../../wire/net_address_v2.ts";
import { assertMessageError } from "../_util/assert_code.ts";
import { dataTest, vectorsFor } from "../_util/shared_data.ts";

function entry(timestamp: string, services: string, id: number, addr: string, port: string) {
  const len = addr.length / 2;
  const lenHex = len < 0xfd
    ? len.toString(16).padStart(2, "0")
    : "fd" + bytesToHex(new Uint8Array([len & 0xff, len >> 8]));
  return timestamp + services + id.toString(16).padStart(2, "0") + lenHex + addr + port;
}

const IPV4 = entry("00105e5f", "01", 1, "01020304", "208d");
const IPV6 = entry("01000000", "09", 2, "20010db8000000000000000000000001", "479d");
const TORV3 = entry(
  "ffffffff",
  "fd0904",
  4,
  "79bcc625184b05194975c28b66b66b0469f7f6556fb1ac3189a79b40dda32f1f",
  "235a",
);

Deno.test("addrv2", async (t) => {
  await t.step("decodes and encodes hand-written entries", () => {
    const payload = hexToBytes("03" + IPV4 + IPV6 + TORV3);
    const m = decodeWith(addrV2Codec, payload);
    assertEquals(m, {
      command: "addrv2",
      addresses: [
        {
          timestamp: 0x5f5e1000,
          services: 1n,
          networkId: 1,
          address: hexToBytes("01020304"),
          port: 8333,
        },
        {
          timestamp: 1,
          services: 9n,
          networkId: 2,
          address: hexToBytes("20010db8000000000000000000000001"),
          port: 18333,
        },
        {
          timestamp: 0xffffffff,
          services: 1033n,
          networkId: 4,
          address: hexToBytes(
            "79bcc625184b05194975c28b66b66b0469f7f6556fb1ac3189a79b40dda32f1f",
          ),
          port: 9050,
        },
      ],
    });
    assertEquals(
      netAddressV2ToString(m.addresses[2]),
      "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
    );
    assertEquals(encodeWith(addrV2Codec, m), payload);
  });
  await t.step("carries 64-bit services as a CompactSize", () => {
    const big = entry("00000000", "ff" + "ffffffffffffffff", 1, "7f000001", "0000");
    const m = decodeWith(addrV2Codec, hexToBytes("01" + big));
    assertEquals(m.addresses[0].services, 0xffffffffffffffffn);
    assertEquals(bytesToHex(encodeWith(addrV2Codec, m)), "01" + big);
  });
  await t.step("skips Tor v2, unknown networks and IPv6 that embeds other networks", () => {
    const skipped = [
      entry("00000000", "00", 3, "00010203040506070809", "0001"), // Tor v2
      entry("00000000", "00", 3, "0001", "0001"), // Tor v2, any size (Core no longer knows it)
      entry("00000000", "00", 7, "aabbcc", "0001"), // unknown
      entry("00000000", "00", 0, "", "0001"), // unknown, empty
      entry("00000000", "00", 255, "00".repeat(512), "0001"), // unknown, largest
      entry("00000000", "00", 2, "00000000000000000000ffff01020304", "0001"), // IPv4-mapped
      entry("00000000", "00", 2, "fd87d87eeb43" + "00010203040506070809", "0001"), // OnionCat
      entry("00000000", "00", 2, "fd6b88c08724" + "00010203040506070809", "0001"), // internal
    ];
    const payload = hexToBytes(
      (skipped.length + 1).toString(16).padStart(2, "0") + skipped.join("") + IPV4,
    );
    const m = decodeWith(addrV2Codec, payload);
    assertEquals(m.addresses.length, 1);
    assertEquals(netAddressV2ToString(m.addresses[0]), "1.2.3.4");
  });
  await t.step("keeps I2P and CJDNS (as Bitcoin Core; btcd drops them)", () => {
    const i2p = entry("00000000", "00", 5, "3b".repeat(32), "0000");
    const cjdns = entry("00000000", "00", 6, "fc" + "01".repeat(15), "208d");
    const m = decodeWith(addrV2Codec, hexToBytes("02" + i2p + cjdns));
    assertEquals(m.addresses.map((a) => a.networkId), [5, 6]);
  });
  await t.step("fails the whole message on a known network with the wrong size", () => {
    const cases = [
      entry("00000000", "00", 1, "0102030405", "0000"),
      entry("00000000", "00", 1, "", "0000"),
      entry("00000000", "00", 2, "00".repeat(4), "0000"),
      entry("00000000", "00", 4, "00".repeat(33), "0000"),
      entry("00000000", "00", 5, "00".repeat(31), "0000"),
      entry("00000000", "00", 6, "00".repeat(32), "0000"),
    ];
    for (const bad of cases) {
      assertMessageError(
        () => decodeWith(addrV2Codec, hexToBytes("02" + IPV4 + bad)),
        "invalid-address-size",
        "addrv2",
      );
    }
  });
  await t.step("bounds an address length at 512 before reading it", () => {
    // Lengths 513 and 0xffff with no address bytes behind them: limit-exceeded, not truncated.
    for (const len of ["fd0102", "fdffff"]) {
      for (const id of ["01", "07"]) {
        assertMessageError(
          () => decodeWith(addrV2Codec, hexToBytes("01" + "00000000" + "00" + id + len)),
          "limit-exceeded",
          "addrv2",
        );
      }
    }
  });
  await t.step("bounds the count at 1000 before skipping", () => {
    const unknown = entry("00000000", "00", 9, "", "0000");
    const ok = decodeWith(addrV2Codec, hexToBytes("fde803" + unknown.repeat(1000)));
    assertEquals(ok.addresses.length, 0);
    assertMessageError(
      () => decodeWith(addrV2Codec, hexToBytes("fde903" + unknown.repeat(1001))),
      "limit-exceeded",
      "addrv2",
    );
    // Checked before the entries are looked at.
    assertMessageError(
      () => decodeWith(addrV2Codec, hexToBytes("fe00000001")),
      "limit-exceeded",
      "addrv2",
    );
  });
  await t.step("is truncated at every offset", () => {
    const skipped = entry("00000000", "00", 9, "aabb", "0000");
    const payload = hexToBytes("04" + IPV4 + TORV3 + skipped + IPV6);
    assertEquals(decodeWith(addrV2Codec, payload).addresses.length, 3);
    for (let n = 0; n < payload.length; n++) {
      assertMessageError(
        () => decodeWith(addrV2Codec, payload.subarray(0, n)),
        "truncated",
        "addrv2",
      );
    }
  });
  await t.step("rejects non-canonical CompactSizes and trailing bytes", () => {
    assertMessageError(
      () => decodeWith(addrV2Codec, hexToBytes("fd0100" + IPV4)),
      "non-canonical-varint",
      "addrv2",
    );
    const services = entry("00000000", "fd0100", 1, "01020304", "0000");
    assertMessageError(
      () => decodeWith(addrV2Codec, hexToBytes("01" + services)),
      "non-canonical-varint",
      "addrv2",
    );
    const length = "00000000" + "00" + "01" + "fd0400" + "01020304" + "0000";
    assertMessageError(
      () => decodeWith(addrV2Codec, hexToBytes("01" + length)),
      "non-canonical-varint",
      "addrv2",
    );
    assertMessageError(
      () => decodeWith(addrV2Codec, hexToBytes("01" + IPV4 + "00")),
      "trailing-bytes",
      "addrv2",
    );
  });
  await t.step("has an exact maximum payload of 531,003 bytes", () => {
    assertEquals(addrV2Codec.maxPayloadLength(70016), 531_003);
    assertEquals(addrV2Codec.maxPayloadLength(0), 531_003);
    const widest: NetAddressV2 = {
      timestamp: 0xffffffff,
      services: 0xffffffffffffffffn,
      networkId: 200,
      address: new Uint8Array(512),
      port: 0xffff,
    };
    const m: AddrV2Message = { command: "addrv2", addresses: new Array(1000).fill(widest) };
    const payload = encodeWith(addrV2Codec, m);
    assertEquals(payload.length, 531_003);
    // Unknown network ids are skipped on the way back in.
    assertEquals(decodeWith(addrV2Codec, payload).addresses.length, 0);
  });
  await t.step("refuses invalid messages when encoding", () => {
    const a: NetAddressV2 = {
      timestamp: 0,
      services: 0n,
      networkId: 1,
      address: hexToBytes("01020304"),
      port: 0,
    };
    const enc = (addresses: NetAddressV2[]) =>
      addrV2Codec.encode(new ByteWriter(), { command: "addrv2", addresses }, {
        protocolVersion: 70016,
        witness: true,
      });
    assertThrows(
      () => enc(new Array(1001).fill(a)),
      Error,
      "1001 addresses exceed the limit of 1000",
    );
    assertThrows(() => enc([{ ...a, address: new Uint8Array(16) }]), RangeError);
    assertThrows(() => enc([{ ...a, networkId: 9, address: new Uint8Array(513) }]), RangeError);
    assertThrows(() => enc([{ ...a, networkId: 256 }]), RangeError);
    assertThrows(() => enc([{ ...a, port: 65536 }]), RangeError);
    assertThrows(() => enc([{ ...a, timestamp: 2 ** 32 }]), RangeError);
    assertThrows(() => enc([{ ...a, services: 1n << 64n }]), RangeError);
    assertThrows(() => enc([{ ...a, address: [1, 2, 3, 4] as unknown as Uint8Array }]), TypeError);
  });
});

Deno.test(dataTest("addrv2: shared vectors", () => {
  const vectors = vectorsFor("addrv2");
  assertGreater(vectors.length, 0);
  for (const v of vectors) {
    const payload = hexToBytes(v.frame).subarray(24);
    const m = decodeWith(addrV2Codec, payload);
    const f = v.fields as {
      count: number;
      networkIds: number[];
      first: Record<string, unknown> | null;
      last: Record<string, unknown> | null;
    };
    assertEquals(m.addresses.length, f.count);
    assertEquals([...new Set(m.addresses.map((a) => a.networkId))].sort(), f.networkIds);
    for (const [a, want] of [[m.addresses[0], f.first], [m.addresses.at(-1), f.last]] as const) {
      if (want === null) {
        assertEquals(a, undefined);
        continue;
      }
      assert(a !== undefined);
      assertEquals(a.timestamp, want.time);
      assertEquals(a.services, BigInt(want.services as string));
      assertEquals(a.networkId, want.networkId);
      assertEquals(bytesToHex(a.address), want.addrBytes);
      assertEquals(a.port, want.port);
      assertEquals(netAddressV2ToString(a), want.host);
    }
    assertEquals(bytesToHex(encodeWith(addrV2Codec, m)), bytesToHex(payload));
  }
}));

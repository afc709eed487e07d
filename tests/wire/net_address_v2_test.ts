import { assertEquals, assertThrows } from "@std/assert";
import { ByteReader } from "../../wire/_reader.ts";
import { readNetAddressV2 } from "../../wire/_net_address_io.ts";
import { bytesToHex, hexToBytes } from "../../wire/hash.ts";
import { parseIp } from "../../wire/net_address.ts";
import {
  BIP155_ADDRESS_SIZES,
  BIP155Network,
  netAddressToV2,
  type NetAddressV2,
  netAddressV2FromString,
  netAddressV2ToLegacy,
  netAddressV2ToString,
} from "../../wire/net_address_v2.ts";

// A real Tor v3 service name and the ed25519 key it encodes (checked with Python's base64 and
// hashlib.sha3_256).
const ONION = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
const ONION_KEY = "79bcc625184b05194975c28b66b66b0469f7f6556fb1ac3189a79b40dda32f1f";
// The same key with the version byte 0x02 and the checksum computed for that version.
const ONION_V2_BYTE = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4p2jxyc.onion";

function v2(networkId: number, hex: string, port = 8333): NetAddressV2 {
  return { timestamp: 0, services: 0n, networkId, address: hexToBytes(hex), port };
}

Deno.test("BIP 155 constants", () => {
  assertEquals(BIP155Network, { IPV4: 1, IPV6: 2, TORV2: 3, TORV3: 4, I2P: 5, CJDNS: 6 });
  assertEquals(BIP155_ADDRESS_SIZES, { 1: 4, 2: 16, 3: 10, 4: 32, 5: 32, 6: 16 });
});

Deno.test("Tor v3 names", async (t) => {
  await t.step("parse to the 32-byte key and back", () => {
    const a = netAddressV2FromString(ONION, 9050, { services: 1033n, timestamp: 1700000000 });
    assertEquals(a.networkId, BIP155Network.TORV3);
    assertEquals(bytesToHex(a.address), ONION_KEY);
    assertEquals(a.port, 9050);
    assertEquals(a.services, 1033n);
    assertEquals(a.timestamp, 1700000000);
    assertEquals(netAddressV2ToString(a), ONION);
  });
  await t.step("are case-insensitive", () => {
    const a = netAddressV2FromString(ONION.toUpperCase(), 1);
    assertEquals(bytesToHex(a.address), ONION_KEY);
  });
  await t.step("refuse a bad checksum", () => {
    const flipped = ONION.replace("pscryd", "pscrya");
    assertThrows(() => netAddressV2FromString(flipped, 1), TypeError);
  });
  await t.step("refuse a version other than 3", () => {
    assertThrows(() => netAddressV2FromString(ONION_V2_BYTE, 1), Error, "version 2");
  });
  await t.step("refuse wrong lengths, bad characters and Tor v2 names", () => {
    for (
      const host of [
        ONION.slice(1),
        "a" + ONION,
        ONION.replace("p", "1"),
        ".onion",
        "aaaqeayeaudaocaj.onion",
      ]
    ) {
      assertThrows(() => netAddressV2FromString(host, 1), TypeError, undefined, host);
    }
  });
});

Deno.test("I2P names", async (t) => {
  const host = "hmalom5isx3e6y53zkpsndr7wmeazg6limeaocsorsm3ovptupka.b32.i2p";
  const hash = "3b00b733a895f64f63bbca9f268e3fb3080c9bcb4308070a4e8c99b755f3a3d4";
  await t.step("parse to the 32-byte hash and back", () => {
    const a = netAddressV2FromString(host, 0);
    assertEquals(a.networkId, BIP155Network.I2P);
    assertEquals(bytesToHex(a.address), hash);
    assertEquals(netAddressV2ToString(a), host);
    assertEquals(netAddressV2ToString(v2(5, hash)), host);
  });
  await t.step("refuse wrong lengths and non-zero padding bits", () => {
    assertThrows(() => netAddressV2FromString(host.slice(1), 0), TypeError);
    // The last character carries 1 data bit and 4 padding bits, which must be zero.
    assertThrows(() => netAddressV2FromString(host.replace("pka.", "pkb."), 0), TypeError);
  });
});

Deno.test("IP and CJDNS hosts", async (t) => {
  await t.step("IPv4 (also from an IPv4-mapped literal)", () => {
    assertEquals(netAddressV2FromString("1.2.3.4", 8333), v2(1, "01020304"));
    assertEquals(netAddressV2FromString("::ffff:1.2.3.4", 8333), v2(1, "01020304"));
    assertEquals(netAddressV2ToString(v2(1, "c0a80001")), "192.168.0.1");
  });
  await t.step("IPv6", () => {
    const a = netAddressV2FromString("2001:db8::1", 8333);
    assertEquals(a, v2(2, "20010db8000000000000000000000001"));
    assertEquals(netAddressV2ToString(a), "2001:db8::1");
  });
  await t.step("fc00::/8 is CJDNS", () => {
    const host = "fc20:511b:787a:e949:80d7:e9c8:5e8d:6a19";
    const a = netAddressV2FromString(host, 8333);
    assertEquals(a, v2(6, "fc20511b787ae94980d7e9c85e8d6a19"));
    assertEquals(netAddressV2ToString(a), host);
  });
  await t.step("junk is refused", () => {
    for (const host of ["", "localhost", "1.2.3", "[::1]", "x.i2p", "x.b32.i2p"]) {
      assertThrows(() => netAddressV2FromString(host, 1), TypeError, undefined, host);
    }
  });
  await t.step("ports, services and timestamps are checked", () => {
    assertThrows(() => netAddressV2FromString("1.2.3.4", 65536), RangeError);
    assertThrows(() => netAddressV2FromString("1.2.3.4", 1, { services: -1n }), RangeError);
    assertThrows(() => netAddressV2FromString("1.2.3.4", 1, { timestamp: -1 }), RangeError);
  });
});

Deno.test("netAddressV2ToString", async (t) => {
  await t.step("formats Tor v2 as a 16-character onion name", () => {
    assertEquals(netAddressV2ToString(v2(3, "00010203040506070809")), "aaaqeayeaudaocaj.onion");
  });
  await t.step("refuses unknown networks and wrong sizes", () => {
    assertThrows(() => netAddressV2ToString(v2(7, "00")), TypeError);
    assertThrows(() => netAddressV2ToString(v2(1, "0102030405")), TypeError);
    assertThrows(() => netAddressV2ToString(v2(4, "00")), TypeError);
  });
});

Deno.test("v1 conversions", async (t) => {
  await t.step("IPv4 and IPv6 convert to v1 and back", () => {
    const a4 = { ...v2(1, "01020304"), timestamp: 5, services: 9n };
    const l4 = netAddressV2ToLegacy(a4);
    assertEquals(l4, { timestamp: 5, services: 9n, ip: parseIp("1.2.3.4"), port: 8333 });
    assertEquals(netAddressToV2(l4!), a4);
    const a6 = v2(2, "20010db8000000000000000000000001");
    const l6 = netAddressV2ToLegacy(a6);
    assertEquals(l6, { timestamp: 0, services: 0n, ip: parseIp("2001:db8::1"), port: 8333 });
    assertEquals(netAddressToV2(l6!), a6);
  });
  await t.step("Tor, I2P and CJDNS have no v1 form", () => {
    assertEquals(netAddressV2ToLegacy(v2(4, ONION_KEY)), undefined);
    assertEquals(netAddressV2ToLegacy(v2(5, ONION_KEY)), undefined);
    assertEquals(netAddressV2ToLegacy(v2(6, "fc20511b787ae94980d7e9c85e8d6a19")), undefined);
    assertEquals(netAddressV2ToLegacy(v2(3, "00010203040506070809")), undefined);
  });
  await t.step("OnionCat becomes Tor v2 and a missing timestamp 0", () => {
    const ip = hexToBytes("fd87d87eeb43" + "00010203040506070809");
    assertEquals(netAddressToV2({ services: 1n, ip, port: 9 }), {
      timestamp: 0,
      services: 1n,
      networkId: 3,
      address: hexToBytes("00010203040506070809"),
      port: 9,
    });
    assertThrows(() => netAddressToV2({ services: 1n, ip: new Uint8Array(4), port: 9 }), TypeError);
  });
});

Deno.test("BIP 155 entry wire form", async (t) => {
  await t.step("reads the example entry", () => {
    // time 0x5f5e1000 | services CompactSize 1 | IPv4 | length 4 | 1.2.3.4 | port 8333
    const bytes = hexToBytes("00105e5f" + "01" + "01" + "04" + "01020304" + "208d");
    const r = new ByteReader(bytes, "addrv2");
    assertEquals(readNetAddressV2(r), {
      timestamp: 0x5f5e1000,
      services: 1n,
      networkId: 1,
      address: hexToBytes("01020304"),
      port: 8333,
    });
    assertEquals(r.pos, bytes.length);
  });
  await t.step("consumes a skipped entry whole", () => {
    const bytes = hexToBytes("00000000" + "00" + "07" + "03" + "aabbcc" + "0001");
    const r = new ByteReader(bytes, "addrv2");
    assertEquals(readNetAddressV2(r), undefined);
    assertEquals(r.pos, bytes.length);
  });
});

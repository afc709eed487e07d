import { assertEquals, assertThrows } from "@std/assert";
import { assertMessageError } from "../_util/assert_code.ts";
import { ByteReader } from "../../wire/_reader.ts";
import { ByteWriter } from "../../wire/_writer.ts";
import { parseIpv4, readNetAddress, writeNetAddress } from "../../wire/_net_address_io.ts";
import { bytesToHex, hexToBytes } from "../../wire/hash.ts";
import {
  ipToString,
  type NetAddress,
  netAddressFromHost,
  parseIp,
} from "../../wire/net_address.ts";

Deno.test("ipToString", async (t) => {
  await t.step("writes IPv4-mapped addresses as a dotted quad", () => {
    assertEquals(ipToString(hexToBytes("00000000000000000000ffff01020304")), "1.2.3.4");
    assertEquals(ipToString(hexToBytes("00000000000000000000ffff00000000")), "0.0.0.0");
    assertEquals(ipToString(hexToBytes("00000000000000000000ffffffffffff")), "255.255.255.255");
  });
  await t.step("writes IPv6 as RFC 5952 text", () => {
    const cases: [string, string][] = [
      ["00000000000000000000000000000000", "::"],
      ["00000000000000000000000000000001", "::1"],
      ["20010db8000000000000000000000001", "2001:db8::1"],
      ["fe800000000000000000000000000000", "fe80::"],
      // A single zero group is not compressed (RFC 5952 4.2.2).
      ["20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1"],
      // The longest run wins (4.2.3)...
      ["20010000000000010000000000000001", "2001:0:0:1::1"],
      // ...and the first of equal runs.
      ["20010db8000000000001000000000001", "2001:db8::1:0:0:1"],
      // Leading zeros dropped, lowercase hex (4.1, 4.3).
      ["20010db800aa00bb00cc00dd00ee0fff", "2001:db8:aa:bb:cc:dd:ee:fff"],
      // IPv4-compatible (deprecated) stays hex: only IPv4-mapped gets a dotted quad.
      ["00000000000000000000000001020304", "::102:304"],
      ["fc20511b787ae94980d7e9c85e8d6a19", "fc20:511b:787a:e949:80d7:e9c8:5e8d:6a19"],
      ["ffffffffffffffffffffffffffffffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    ];
    for (const [hex, text] of cases) assertEquals(ipToString(hexToBytes(hex)), text, hex);
  });
  await t.step("refuses anything but 16 bytes", () => {
    assertThrows(() => ipToString(new Uint8Array(4)), TypeError);
    assertThrows(() => ipToString("1.2.3.4" as unknown as Uint8Array), TypeError);
  });
});

Deno.test("parseIp", async (t) => {
  await t.step("dotted quads: bounds, leading zeros, part counts, stray characters", () => {
    const good: [string, number[]][] = [
      ["1.2.3.4", [1, 2, 3, 4]],
      ["0.0.0.0", [0, 0, 0, 0]],
      ["255.255.255.255", [255, 255, 255, 255]],
      ["0.10.100.200", [0, 10, 100, 200]],
    ];
    for (const [text, bytes] of good) assertEquals(parseIpv4(text), Uint8Array.from(bytes));
    const bad = [
      "256.1.1.1",
      "1000.1.1.1",
      "01.2.3.4",
      "00.1.1.1",
      "1.2.3",
      "1.2.3.4.5",
      "1..3.4",
      ".1.2.3",
      "1.2.3.",
      "1.2.3.a",
      "1.2.3.4 ",
      "+1.2.3.4",
      "",
    ];
    for (const text of bad) assertEquals(parseIpv4(text), undefined, text);
  });

  await t.step("maps IPv4 to ::ffff:a.b.c.d", () => {
    assertEquals(bytesToHex(parseIp("1.2.3.4")), "00000000000000000000ffff01020304");
    assertEquals(bytesToHex(parseIp("::ffff:1.2.3.4")), "00000000000000000000ffff01020304");
    assertEquals(bytesToHex(parseIp("0.0.0.0")), "00000000000000000000ffff00000000");
  });
  await t.step("parses IPv6 with and without compression", () => {
    const cases: [string, string][] = [
      ["::", "00000000000000000000000000000000"],
      ["::1", "00000000000000000000000000000001"],
      ["1::", "00010000000000000000000000000000"],
      ["2001:DB8::1", "20010db8000000000000000000000001"],
      ["1:2:3:4:5:6:7:8", "00010002000300040005000600070008"],
      ["1:2:3:4:5:6:7::", "00010002000300040005000600070000"],
      ["::2:3:4:5:6:7:8", "00000002000300040005000600070008"],
      ["1:2:3:4:5:6:1.2.3.4", "00010002000300040005000601020304"],
      ["::1.2.3.4", "00000000000000000000000001020304"],
      ["fe80::1:2", "fe800000000000000000000000010002"],
    ];
    for (const [text, hex] of cases) assertEquals(bytesToHex(parseIp(text)), hex, text);
  });
  await t.step("throws TypeError on anything else", () => {
    const junk = [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "1.2.3.256",
      "01.2.3.4",
      "1.2.3.-1",
      " 1.2.3.4",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7::8",
      "1::2::3",
      ":::",
      ":1::",
      "12345::",
      "g::1",
      "[::1]",
      "::1%eth0",
      "1.2.3.4::",
      "::1.2.3",
      "1:2:3:4:5:6:7:1.2.3.4",
      "example.com",
    ];
    for (const text of junk) assertThrows(() => parseIp(text), TypeError, undefined, text);
    assertThrows(() => parseIp(1 as unknown as string), TypeError);
  });
  await t.step("inverts ipToString", () => {
    const patterns = [
      "00000000000000000000000000000000",
      "00010000000100000000000100000001",
      "00000000000100000000000000000000",
      "00000001000000000000000000000000",
    ];
    for (const hex of patterns) {
      assertEquals(bytesToHex(parseIp(ipToString(hexToBytes(hex)))), hex);
    }
    for (let i = 0; i < 500; i++) {
      const ip = crypto.getRandomValues(new Uint8Array(16));
      // Zero some groups so compression is exercised.
      for (let g = 0; g < 8; g++) {
        if (ip[g] & 1) {
          ip[2 * g] = 0;
          ip[2 * g + 1] = 0;
        }
      }
      assertEquals(parseIp(ipToString(ip)), ip);
    }
  });
});

Deno.test("netAddressFromHost", async (t) => {
  await t.step("builds an address without a timestamp by default", () => {
    assertEquals(netAddressFromHost("1.2.3.4", 8333), {
      services: 0n,
      ip: parseIp("1.2.3.4"),
      port: 8333,
    });
  });
  await t.step("takes services and a timestamp", () => {
    assertEquals(netAddressFromHost("::1", 18444, { services: 9n, timestamp: 1700000000 }), {
      timestamp: 1700000000,
      services: 9n,
      ip: parseIp("::1"),
      port: 18444,
    });
  });
  await t.step("validates its input", () => {
    assertThrows(() => netAddressFromHost("seed.bitcoin.sipa.be", 8333), TypeError);
    assertThrows(() => netAddressFromHost("1.2.3.4", 65536), RangeError);
    assertThrows(() => netAddressFromHost("1.2.3.4", -1), RangeError);
    assertThrows(() => netAddressFromHost("1.2.3.4", 1, { services: -1n }), RangeError);
    assertThrows(() => netAddressFromHost("1.2.3.4", 1, { services: 1n << 64n }), RangeError);
    assertThrows(() => netAddressFromHost("1.2.3.4", 1, { timestamp: 2 ** 32 }), RangeError);
  });
});

Deno.test("v1 address wire form", async (t) => {
  // time 0x495fab29 | services 1 | ::ffff:127.0.0.1 | port 8333 (big-endian 0x208d)
  const withTime = "29ab5f49" + "0100000000000000" + "00000000000000000000ffff7f000001" + "208d";
  const address: NetAddress = {
    timestamp: 0x495fab29,
    services: 1n,
    ip: parseIp("127.0.0.1"),
    port: 8333,
  };
  await t.step("reads and writes 30 bytes with a timestamp", () => {
    const r = new ByteReader(hexToBytes(withTime), "addr");
    assertEquals(readNetAddress(r, true), address);
    assertEquals(r.pos, 30);
    const w = new ByteWriter();
    writeNetAddress(w, address, true, "addr", "address");
    assertEquals(bytesToHex(w.finish()), withTime);
  });
  await t.step("reads and writes 26 bytes without", () => {
    const r = new ByteReader(hexToBytes(withTime.slice(8)), "version");
    const { timestamp: _, ...untimed } = address;
    assertEquals(readNetAddress(r, false), untimed);
    const w = new ByteWriter();
    writeNetAddress(w, address, false, "version", "addrRecv");
    assertEquals(bytesToHex(w.finish()), withTime.slice(8));
  });
  await t.step("writes a missing timestamp as 0", () => {
    const w = new ByteWriter();
    writeNetAddress(w, { services: 1n, ip: parseIp("::1"), port: 1 }, true, "addr", "a");
    assertEquals(bytesToHex(w.finish().subarray(0, 4)), "00000000");
  });
  await t.step("is truncated at every offset", () => {
    const bytes = hexToBytes(withTime);
    for (let n = 0; n < bytes.length; n++) {
      assertMessageError(
        () => readNetAddress(new ByteReader(bytes.subarray(0, n), "addr"), true),
        "truncated",
      );
    }
  });
  await t.step("refuses bad fields when writing", () => {
    const bad: [NetAddress, ErrorConstructor | RangeErrorConstructor][] = [
      [{ ...address, ip: new Uint8Array(4) }, TypeError],
      [{ ...address, port: 70000 }, RangeError],
      [{ ...address, port: 1.5 }, RangeError],
      [{ ...address, services: -1n }, RangeError],
      [{ ...address, timestamp: -1 }, RangeError],
    ];
    for (const [a, type] of bad) {
      assertThrows(() => writeNetAddress(new ByteWriter(), a, true, "addr", "a"), type);
    }
  });
});

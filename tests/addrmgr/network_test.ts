import { assertEquals } from "@std/assert";
import {
  groupKey,
  isIpv4,
  isLocal,
  isOnionCatTor,
  isRfc1918,
  isRfc2544,
  isRfc3849,
  isRfc3927,
  isRfc3964,
  isRfc4193,
  isRfc4380,
  isRfc4843,
  isRfc4862,
  isRfc5737,
  isRfc6052,
  isRfc6145,
  isRfc6598,
  isRfc7343,
  isRoutable,
  isValid,
  isZero,
  netAddressKey,
} from "../../addrmgr/mod.ts";
import { BIP155Network, type NetAddressV2, netAddressV2FromString } from "../../wire/mod.ts";

const na = (host: string, port = 8333) => netAddressV2FromString(host, port);
const raw = (networkId: number, address: Uint8Array): NetAddressV2 => ({
  timestamp: 0,
  services: 0n,
  networkId,
  address,
  port: 8333,
});
const ONION = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
const I2P = "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p";

Deno.test("range predicates, inside and just outside each range (btcd network_test)", async (t) => {
  const cases: [string, (a: NetAddressV2) => boolean, string[], string[]][] = [
    ["rfc1918", isRfc1918, ["10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.0.1"], [
      "11.0.0.1",
      "172.15.255.255",
      "172.32.0.0",
      "192.169.0.1",
    ]],
    ["rfc2544", isRfc2544, ["198.18.0.1", "198.19.255.255"], ["198.17.255.255", "198.20.0.0"]],
    ["rfc3927", isRfc3927, ["169.254.0.1"], ["169.253.255.255", "169.255.0.0"]],
    ["rfc5737", isRfc5737, ["192.0.2.1", "198.51.100.1", "203.0.113.255"], ["192.0.3.1"]],
    ["rfc6598", isRfc6598, ["100.64.0.0", "100.127.255.255"], ["100.63.255.255", "100.128.0.0"]],
    ["rfc3849", isRfc3849, ["2001:db8::1", "2001:db8:ffff::"], ["2001:db9::1"]],
    ["rfc3964", isRfc3964, ["2002::1"], ["2003::1"]],
    ["rfc4193", isRfc4193, ["fd00::1", "fdff::"], ["fe00::1", "fb00::1"]],
    ["rfc4380", isRfc4380, ["2001::1", "2001:0:ffff::"], ["2001:1::1"]],
    ["rfc4843", isRfc4843, ["2001:10::1", "2001:1f::1"], ["2001:20::1", "2001:f::1"]],
    ["rfc7343", isRfc7343, ["2001:20::1", "2001:2f::1"], ["2001:30::1"]],
    ["rfc4862", isRfc4862, ["fe80::1"], ["fe80:0:0:1::1", "fe81::1"]],
    ["rfc6052", isRfc6052, ["64:ff9b::102:304"], ["64:ff9b:1::102:304"]],
    ["rfc6145", isRfc6145, ["::ffff:0:102:304"], ["::fffe:0:102:304"]],
    ["onioncat", isOnionCatTor, ["fd87:d87e:eb43::1"], ["fd87:d87e:eb44::1"]],
    ["local", isLocal, ["127.0.0.1", "0.1.2.3", "::1"], ["128.0.0.1", "::2"]],
    ["zero", isZero, ["0.0.0.1", "::5", "0:ff::1"], ["1.0.0.0", "::ffff:0:102:304", "1::"]],
    ["ipv4", isIpv4, ["1.2.3.4", "::ffff:1.2.3.4"], ["2001::1"]],
  ];
  for (const [name, fn, inside, outside] of cases) {
    await t.step(name, () => {
      for (const h of inside) assertEquals(fn(na(h)), true, `${name}(${h})`);
      for (const h of outside) assertEquals(fn(na(h)), false, `${name}(${h})`);
    });
  }
  await t.step("IPv4 ranges do not match IPv6 and the other way round", () => {
    assertEquals(isRfc1918(na("::a00:1")), false);
    assertEquals(isRfc4193(raw(BIP155Network.CJDNS, na("fc00::1").address)), false);
  });
});

Deno.test("isValid and isRoutable", async (t) => {
  await t.step("valid", () => {
    assertEquals(isValid(na("0.0.0.0")), false);
    assertEquals(isValid(na("255.255.255.255")), false);
    assertEquals(isValid(na("::")), false);
    assertEquals(isValid(na("1.2.3.4")), true);
    assertEquals(isValid(raw(BIP155Network.TORV2, new Uint8Array(10))), false);
    assertEquals(isValid(raw(9, new Uint8Array(4))), false);
    assertEquals(isValid(raw(BIP155Network.IPV4, new Uint8Array(5))), false);
    assertEquals(isValid(raw(BIP155Network.CJDNS, new Uint8Array(16).fill(0xfd))), false);
  });
  await t.step("routable", () => {
    for (const h of ["8.8.8.8", "1.1.1.1", "2a01:4f8::1", "fd87:d87e:eb43::1", ONION, I2P]) {
      assertEquals(isRoutable(na(h)), true, h);
    }
    for (
      const h of [
        "10.1.1.1",
        "127.0.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "192.168.1.1",
        "198.18.1.1",
        "169.254.1.1",
        "192.0.2.1",
        "100.64.1.1",
        "2001:db8::1",
        "2001:10::1",
        "2001:20::1",
        "fe80::1",
        "fd00::1",
        "::1",
        "::5",
      ]
    ) {
      assertEquals(isRoutable(na(h)), false, h);
    }
    assertEquals(isRoutable(na("fc00::1")), true, "CJDNS (fc00::/8) is its own network");
    assertEquals(na("fc00::1").networkId, BIP155Network.CJDNS);
  });
  await t.step("an IPv4-mapped IPv6 address is judged as IPv4", () => {
    const bytes = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1);
    const mapped = raw(BIP155Network.IPV6, bytes);
    assertEquals(isRfc1918(mapped), true);
    assertEquals(isRoutable(mapped), false);
  });
});

Deno.test("groupKey follows btcd's rules (REFERENCE 3.4)", () => {
  const cases: [string, string][] = [
    ["127.0.0.1", "local"],
    ["0.1.2.3", "local"],
    ["::1", "local"],
    ["10.0.0.1", "unroutable"],
    ["fe80::1", "unroutable"],
    ["12.1.2.3", "12.1.0.0"],
    ["::ffff:12.1.2.3", "12.1.0.0"],
    ["::ffff:0:c01:203", "12.1.0.0"], // RFC 6145
    ["64:ff9b::c01:203", "12.1.0.0"], // RFC 6052
    ["2002:c01:203::", "12.1.0.0"], // RFC 3964 6to4
    ["2001::f3fe:fdfc", "12.1.0.0"], // RFC 4380 Teredo: XOR 0xff
    ["fd87:d87e:eb43:1234:5678::", "tor:2"], // OnionCat: low nibble of byte 6
    ["2a01:4f8:1:2::3", "2a01:4f8::"],
    ["2001:470:abcd::1", "2001:470:a000::"], // Hurricane Electric: /36
    ["2001:4860:1::", "2001:4860::"],
  ];
  for (const [host, key] of cases) assertEquals(groupKey(na(host)), key, host);
  const onion = na(ONION);
  assertEquals(groupKey(onion), `tor:${onion.address[0] & 0x0f}`);
  const i2p = na(I2P);
  assertEquals(groupKey(i2p), `i2p:${i2p.address[0] & 0x0f}`);
  const cjdns = na("fc12:3456::1");
  assertEquals(groupKey(cjdns), "cjdns:2");
});

Deno.test("netAddressKey is Go's JoinHostPort of the host", () => {
  assertEquals(netAddressKey(na("1.2.3.4")), "1.2.3.4:8333");
  assertEquals(netAddressKey(na("::ffff:1.2.3.4", 18333)), "1.2.3.4:18333");
  assertEquals(netAddressKey(na("2001:db8:0:0:1::1")), "[2001:db8::1:0:0:1]:8333");
  assertEquals(netAddressKey(na(ONION)), `${ONION}:8333`);
  assertEquals(netAddressKey(na(I2P, 0)), `${I2P}:0`);
  assertEquals(netAddressKey(na("fc00::1")), "[fc00::1]:8333");
});

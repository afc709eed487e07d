import { assertEquals, assertGreater, assertThrows } from "@std/assert";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import { bytesToHex, hexToBytes } from "../../wire/hash.ts";
import { formatUserAgent, versionCodec, type VersionMessage } from "../../wire/msg_version.ts";
import { ipToString, parseIp } from "../../wire/net_address.ts";
import { encodeVarInt } from "../../wire/var_int.ts";
import { assertMessageError } from "../_util/assert_code.ts";
import { dataTest, vectorsFor } from "../_util/shared_data.ts";

function ctx(protocolVersion: number) {
  return { protocolVersion, witness: false };
}

// protocol 70016 | services 1033 | timestamp 1700000000 | addr_recv (1, ::ffff:1.2.3.4, 8333)
// | addr_from (0, ::, 0) | nonce 0x0102030405060708 | "/Satoshi:27.0.0/" | height 850000
// | relay 1
const PROTOCOL = "80110100";
const SERVICES = "0904000000000000";
const TIME = "00f1536500000000";
const RECV = "0100000000000000" + "00000000000000000000ffff01020304" + "208d";
const FROM = "0000000000000000" + "00000000000000000000000000000000" + "0000";
const NONCE = "0807060504030201";
const UA = "10" + bytesToHex(new TextEncoder().encode("/Satoshi:27.0.0/"));
const HEIGHT = "50f80c00";
const RELAY = "01";
const HEX = PROTOCOL + SERVICES + TIME + RECV + FROM + NONCE + UA + HEIGHT + RELAY;

const VERSION: VersionMessage = {
  command: "version",
  protocolVersion: 70016,
  services: 1033n,
  timestamp: 1700000000n,
  addrRecv: { services: 1n, ip: parseIp("1.2.3.4"), port: 8333 },
  addrFrom: { services: 0n, ip: new Uint8Array(16), port: 0 },
  nonce: 0x0102030405060708n,
  userAgent: "/Satoshi:27.0.0/",
  startHeight: 850_000,
  relay: true,
};

Deno.test("version", async (t) => {
  await t.step("decodes and encodes the hand-written message", () => {
    const payload = hexToBytes(HEX);
    assertEquals(payload.length, 102);
    assertEquals(decodeWith(versionCodec, payload), VERSION);
    assertEquals(bytesToHex(encodeWith(versionCodec, VERSION)), HEX);
  });
  await t.step("takes defaults for the fields a short version leaves out", () => {
    // As btcd and Bitcoin Core: each field after addr_recv is optional once the payload ends.
    // Each remembers where it ended, so that it encodes back to the same bytes.
    const cuts: [string, Partial<VersionMessage>][] = [
      [PROTOCOL + SERVICES + TIME + RECV, {
        addrFrom: { services: 0n, ip: new Uint8Array(16), port: 0 },
        nonce: 0n,
        userAgent: "",
        startHeight: 0,
        lastField: "addrRecv",
      }],
      [PROTOCOL + SERVICES + TIME + RECV + FROM, {
        nonce: 0n,
        userAgent: "",
        startHeight: 0,
        lastField: "addrFrom",
      }],
      [PROTOCOL + SERVICES + TIME + RECV + FROM + NONCE, {
        userAgent: "",
        startHeight: 0,
        lastField: "nonce",
      }],
      [PROTOCOL + SERVICES + TIME + RECV + FROM + NONCE + UA, {
        startHeight: 0,
        lastField: "userAgent",
      }],
      [PROTOCOL + SERVICES + TIME + RECV + FROM + NONCE + UA + HEIGHT, {
        lastField: "startHeight",
      }],
    ];
    for (const [hex, changes] of cuts) {
      const decoded = decodeWith(versionCodec, hexToBytes(hex));
      assertEquals(decoded, { ...VERSION, ...changes, relay: true });
      assertEquals(bytesToHex(encodeWith(versionCodec, decoded)), hex);
    }
  });
  await t.step("is truncated at every offset inside a field", () => {
    const payload = hexToBytes(HEX);
    const boundaries = new Set([46, 72, 80, 80 + 17, 80 + 17 + 4, 80 + 17 + 4 + 1]);
    for (let n = 0; n < payload.length; n++) {
      if (boundaries.has(n)) {
        decodeWith(versionCodec, payload.subarray(0, n));
      } else {
        assertMessageError(
          () => decodeWith(versionCodec, payload.subarray(0, n)),
          "truncated",
          "version",
        );
      }
    }
  });
  await t.step("reads relay as a bool: any non-zero byte is true", () => {
    const zero = decodeWith(versionCodec, hexToBytes(HEX.slice(0, -2) + "00"));
    assertEquals(zero.relay, false);
    const two = decodeWith(versionCodec, hexToBytes(HEX.slice(0, -2) + "02"));
    assertEquals(two.relay, true);
  });
  await t.step("reads a relay byte whatever the version says", () => {
    const old = "11270000" + HEX.slice(8, -2) + "00"; // protocol 10001
    assertEquals(decodeWith(versionCodec, hexToBytes(old)).relay, false);
  });
  await t.step("writes the relay byte only for senders of protocol 70001 or later", () => {
    const old = encodeWith(versionCodec, { ...VERSION, protocolVersion: 70000, relay: false });
    assertEquals(old.length, 101);
    const bip37 = encodeWith(versionCodec, { ...VERSION, protocolVersion: 70001, relay: false });
    assertEquals(bip37.length, 102);
    assertEquals(bip37[101], 0);
    // The negotiated version does not matter: `version` is sent before there is one.
    assertEquals(encodeWith(versionCodec, VERSION, ctx(209)).length, 102);
  });
  await t.step("bounds the user agent at 256 bytes", () => {
    const ua = (n: number) =>
      PROTOCOL + SERVICES + TIME + RECV + FROM + NONCE + bytesToHex(encodeVarInt(n)) +
      "61".repeat(n) + HEIGHT + RELAY;
    assertEquals(decodeWith(versionCodec, hexToBytes(ua(256))).userAgent, "a".repeat(256));
    assertMessageError(
      () => decodeWith(versionCodec, hexToBytes(ua(257))),
      "limit-exceeded",
      "version",
    );
    // Checked before the bytes are looked for.
    assertMessageError(
      () =>
        decodeWith(
          versionCodec,
          hexToBytes(PROTOCOL + SERVICES + TIME + RECV + FROM + NONCE + "fe00000001"),
        ),
      "limit-exceeded",
      "version",
    );
    assertThrows(
      () => encodeWith(versionCodec, { ...VERSION, userAgent: "é".repeat(129) }),
      Error,
      "user agent of 258 bytes exceeds the limit of 256",
    );
  });
  await t.step("rejects a non-canonical user agent length and trailing bytes", () => {
    const nonCanonical = PROTOCOL + SERVICES + TIME + RECV + FROM + NONCE + "fd1000" +
      UA.slice(2) + HEIGHT + RELAY;
    assertMessageError(
      () => decodeWith(versionCodec, hexToBytes(nonCanonical)),
      "non-canonical-varint",
      "version",
    );
    assertMessageError(
      () => decodeWith(versionCodec, hexToBytes(HEX + "00")),
      "trailing-bytes",
      "version",
    );
  });
  await t.step("has an exact maximum payload of 344 bytes", () => {
    assertEquals(versionCodec.maxPayloadLength(70016), 344);
    assertEquals(versionCodec.maxPayloadLength(0), 344);
    const widest = encodeWith(versionCodec, { ...VERSION, userAgent: "x".repeat(256) });
    assertEquals(widest.length, 344);
  });
  await t.step("refuses out-of-range fields when encoding", () => {
    const bad: Partial<VersionMessage>[] = [
      { protocolVersion: 2 ** 31 },
      { protocolVersion: 1.5 },
      { startHeight: -(2 ** 31) - 1 },
      { timestamp: 1n << 63n },
      { services: -1n },
      { nonce: 1n << 64n },
      { addrRecv: { services: 0n, ip: new Uint8Array(4), port: 0 } },
      { addrFrom: { services: 0n, ip: new Uint8Array(16), port: 65536 } },
    ];
    for (const b of bad) {
      assertThrows(
        () => encodeWith(versionCodec, { ...VERSION, ...b }),
        Error,
        undefined,
        JSON.stringify(Object.keys(b)),
      );
    }
    assertEquals(
      decodeWith(
        versionCodec,
        encodeWith(versionCodec, {
          ...VERSION,
          protocolVersion: -1,
          startHeight: -1,
          timestamp: -1n,
        }),
      ),
      { ...VERSION, protocolVersion: -1, startHeight: -1, timestamp: -1n, relay: true },
    );
  });
});

Deno.test("formatUserAgent", async (t) => {
  await t.step("formats BIP 14 user agents", () => {
    assertEquals(formatUserAgent([]), "/");
    assertEquals(formatUserAgent([{ name: "Satoshi", version: "27.0.0" }]), "/Satoshi:27.0.0/");
    assertEquals(
      formatUserAgent([
        { name: "btcwire", version: "0.5.0" },
        { name: "btcd", version: "0.24.2", comments: ["linux", "amd64"] },
      ]),
      "/btcwire:0.5.0/btcd:0.24.2(linux; amd64)/",
    );
    assertEquals(formatUserAgent([{ name: "a", version: "", comments: [] }]), "/a:/");
  });
  await t.step("refuses separators and empty names", () => {
    for (const c of ["/", ":", "(", ")"]) {
      assertThrows(() => formatUserAgent([{ name: `a${c}`, version: "1" }]), TypeError);
      assertThrows(() => formatUserAgent([{ name: "a", version: `1${c}` }]), TypeError);
      assertThrows(
        () => formatUserAgent([{ name: "a", version: "1", comments: [`x${c}`] }]),
        TypeError,
      );
    }
    assertThrows(() => formatUserAgent([{ name: "", version: "1" }]), TypeError);
  });
  await t.step("refuses more than 256 bytes", () => {
    // "/" + name + ":1/" = 256 bytes fits; one more does not.
    assertEquals(formatUserAgent([{ name: "n".repeat(252), version: "1" }]).length, 256);
    assertThrows(() => formatUserAgent([{ name: "n".repeat(253), version: "1" }]), RangeError);
    assertThrows(() => formatUserAgent([{ name: "é".repeat(127), version: "1" }]), RangeError);
  });
});

Deno.test(dataTest("version: shared vectors", () => {
  const vectors = vectorsFor("version");
  assertGreater(vectors.length, 0);
  for (const v of vectors) {
    const payload = hexToBytes(v.frame).subarray(24);
    const m = decodeWith(versionCodec, payload);
    const f = v.fields as {
      version: number;
      services: string;
      timestamp: string;
      nonce: string;
      user_agent: string;
      start_height: number;
      relay: boolean;
      addr_recv?: { services: string; host: string; port: number };
      addr_from?: { services: string; host: string; port: number };
    };
    assertEquals(m.protocolVersion, f.version);
    assertEquals(m.services, BigInt(f.services));
    assertEquals(m.timestamp, BigInt(f.timestamp));
    assertEquals(m.nonce, BigInt(f.nonce));
    assertEquals(m.userAgent, f.user_agent);
    assertEquals(m.startHeight, f.start_height);
    assertEquals(m.relay, f.relay);
    for (const [a, want] of [[m.addrRecv, f.addr_recv], [m.addrFrom, f.addr_from]] as const) {
      if (want === undefined) continue;
      assertEquals(a.services, BigInt(want.services));
      assertEquals(ipToString(a.ip), want.host);
      assertEquals(a.port, want.port);
      assertEquals(a.timestamp, undefined);
    }
    assertEquals(bytesToHex(encodeWith(versionCodec, m)), bytesToHex(payload));
  }
}));

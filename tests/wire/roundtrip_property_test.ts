// Property tests: random valid messages of every command survive encode → decode → encode
// byte-for-byte and decode to the message they were made from, with the defaults, without
// witness serialization, and at every protocol version where the command exists. Then the
// version-gated fields, whose semantics are to drop data, are checked for dropping exactly it.
import { assert, assertEquals, assertNotEquals, assertThrows, fail } from "@std/assert";
import fc from "fast-check";
import {
  bytesToHex,
  type Command,
  COMMANDS,
  decodeMessage,
  decodePayload,
  encodeMessage,
  encodePayload,
  hexToBytes,
  type Message,
  MessageError,
  type NetworkName,
  varIntSize,
  type WireOptions,
} from "../../wire/mod.ts";
import {
  anyMessage,
  commandExistsAt,
  droppedNetAddressV2,
  keptNetAddressV2,
  MESSAGE_ARBITRARIES,
  type MessageArbitraries,
  messageArbitraries,
  uint64,
} from "../_util/arbitraries.ts";
import { type Plain, stripWitness, toPlain } from "../_util/plain.ts";

// About 15,000 messages in all; the whole file runs in a few seconds.
const RUNS = 150;
const LEGACY_RUNS = 60;
const VERSION_RUNS = 80;

/** Versions either side of every gate in the codecs. */
const PROTOCOL_VERSIONS = [
  0,
  208,
  209,
  31401,
  31402,
  60000,
  60001,
  60002,
  70000,
  70001,
  70002,
  70011,
  70012,
  70013,
  70014,
  70015,
  70016,
  70017,
];
const NETWORK_NAMES: NetworkName[] = [
  "mainnet",
  "testnet3",
  "testnet4",
  "regtest",
  "signet",
  "simnet",
];
/** Commands carrying transactions, whose encoding depends on `witness`. */
const TX_COMMANDS: readonly Command[] = ["block", "blocktxn", "cmpctblock", "tx"];

const LEGACY_ARBITRARIES = messageArbitraries({ witness: false });
const ARBITRARIES_AT = new Map(
  PROTOCOL_VERSIONS.map((v) => [v, messageArbitraries({ protocolVersion: v })]),
);

function arbitraryOf(arbs: MessageArbitraries, command: Command): fc.Arbitrary<Message> {
  return arbs[command] as fc.Arbitrary<Message>;
}

/** Asserts equal bytes, naming the first difference rather than printing both arrays. */
function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  const n = Math.min(actual.length, expected.length);
  let i = 0;
  while (i < n && actual[i] === expected[i]) i++;
  if (i === n && actual.length === expected.length) return;
  fail(
    `${what}: ${actual.length} bytes, expected ${expected.length}; first difference at offset ` +
      `${i}: ${bytesToHex(actual.subarray(i, i + 16))} instead of ` +
      `${bytesToHex(expected.subarray(i, i + 16))}`,
  );
}

/**
 * Encodes `m`, decodes the frame, and checks that the decoded message re-encodes to the same
 * frame (both before its lazy fields are read and after) and reads as `expected`.
 */
function assertRoundTrip(m: Message, options: WireOptions, expected: Plain = toPlain(m)): void {
  const frame = encodeMessage(m, options);
  const back = decodeMessage(frame, options);
  assertEquals(back.command, m.command);
  // Unread, decoded inventories, headers and transactions re-encode from their bytes...
  assertSameBytes(encodeMessage(back, options), frame, "re-encoding the decoded message");
  assertEquals(toPlain(back), expected);
  // ...and once read, from the objects built from them.
  assertSameBytes(encodeMessage(back, options), frame, "re-encoding it after reading it");
}

Deno.test("property: random valid messages of every command round-trip", async (t) => {
  await t.step("there is an arbitrary for every command and for no other", () => {
    assertEquals(Object.keys(MESSAGE_ARBITRARIES).sort(), [...COMMANDS].sort());
  });

  for (const command of COMMANDS) {
    await t.step(command, async (t) => {
      await t.step("defaults (protocol 70016, witness)", () => {
        fc.assert(
          fc.property(arbitraryOf(MESSAGE_ARBITRARIES, command), (m) => {
            assertEquals(m.command, command);
            assertRoundTrip(m, {});
          }),
          { numRuns: RUNS },
        );
      });

      await t.step("witness: false", () => {
        fc.assert(
          fc.property(arbitraryOf(LEGACY_ARBITRARIES, command), (m) => {
            assertRoundTrip(m, { witness: false });
          }),
          { numRuns: LEGACY_RUNS },
        );
      });

      if (TX_COMMANDS.includes(command)) {
        await t.step("witness: false drops witness data and nothing else", () => {
          fc.assert(
            fc.property(arbitraryOf(MESSAGE_ARBITRARIES, command), (m) => {
              assertRoundTrip(m, { witness: false }, stripWitness(toPlain(m)));
            }),
            { numRuns: LEGACY_RUNS },
          );
        });
      }

      const versions = PROTOCOL_VERSIONS.filter((v) => commandExistsAt(command, v));
      await t.step(
        `every protocol version where it exists (${versions[0]} on), any network`,
        () => {
          const arb = fc.record({
            protocolVersion: fc.constantFrom(...versions),
            network: fc.constantFrom(...NETWORK_NAMES),
          }).chain((options) =>
            arbitraryOf(ARBITRARIES_AT.get(options.protocolVersion)!, command).map((m) => ({
              options,
              m,
            }))
          );
          fc.assert(
            fc.property(arb, ({ options, m }) => assertRoundTrip(m, options)),
            { numRuns: VERSION_RUNS },
          );
        },
      );
    });
  }
});

Deno.test("property: version-gated fields drop exactly what they gate", async (t) => {
  await t.step("ping: no nonce at or below protocol 60000, the nonce above", () => {
    fc.assert(
      fc.property(uint64, fc.constantFrom(0, 209, 31402, 60000, 60001, 70016), (nonce, pver) => {
        const options = { protocolVersion: pver };
        const frame = encodeMessage({ command: "ping", nonce }, options);
        assertEquals(frame.length, pver > 60000 ? 24 + 8 : 24);
        const back = decodeMessage(frame, options);
        assertEquals(back, { command: "ping", nonce: pver > 60000 ? nonce : 0n });
        assertSameBytes(encodeMessage(back, options), frame, "re-encoding the decoded ping");
      }),
      { numRuns: 100 },
    );
  });

  await t.step("addr: timestamps dropped below protocol 31402, kept from it", () => {
    fc.assert(
      fc.property(
        MESSAGE_ARBITRARIES.addr,
        fc.constantFrom(209, 31401, 31402),
        (m, protocolVersion) => {
          const withTime = protocolVersion >= 31402;
          const n = m.addresses.length;
          const payload = encodePayload(m, { protocolVersion });
          assertEquals(payload.length, varIntSize(n) + n * (withTime ? 30 : 26));
          const addresses = m.addresses.map(({ timestamp, ...rest }) =>
            withTime ? { timestamp, ...rest } : rest
          );
          assertRoundTrip(m, { protocolVersion }, toPlain({ command: "addr", addresses }));
        },
      ),
      { numRuns: 100 },
    );
  });

  await t.step("addr: more than one address is refused below protocol 209", () => {
    fc.assert(
      fc.property(
        MESSAGE_ARBITRARIES.addr.filter((m) => m.addresses.length >= 2),
        fc.constantFrom(0, 208),
        (m, protocolVersion) => {
          assertThrows(() => encodeMessage(m, { protocolVersion }), RangeError);
          const payload = encodePayload(m, { protocolVersion: 209 });
          assertThrows(() => decodePayload("addr", payload, { protocolVersion }), MessageError);
        },
      ),
      { numRuns: 30 },
    );
  });

  await t.step("version: no relay byte below 70001, where an absent one reads as true", () => {
    const arb = fc.record({
      m: MESSAGE_ARBITRARIES.version,
      protocolVersion: fc.oneof(
        fc.constantFrom(-0x80000000, -1, 0, 70000, 70001, 0x7fffffff),
        fc.integer({ min: 60000, max: 80000 }),
      ),
      relay: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ m, protocolVersion, relay }) => {
        const message = { ...m, protocolVersion, relay };
        const hasRelay = protocolVersion >= 70001;
        const ua = new TextEncoder().encode(m.userAgent).length;
        const payload = encodePayload(message);
        assertEquals(payload.length, 4 + 8 + 8 + 26 + 26 + 8 + varIntSize(ua) + ua + 4 + +hasRelay);
        assertRoundTrip(message, {}, toPlain({ ...message, relay: hasRelay ? relay : true }));
      }),
      { numRuns: 150 },
    );
  });

  await t.step("commands refuse to encode and decode before their protocol version", () => {
    const gated = COMMANDS.filter((c) => !PROTOCOL_VERSIONS.every((v) => commandExistsAt(c, v)));
    assertEquals(gated.sort(), [
      "feefilter",
      "filteradd",
      "filterclear",
      "filterload",
      "mempool",
      "merkleblock",
      "pong",
      "reject",
      "sendheaders",
    ]);
    const arb = fc.constantFrom(...gated).chain((command) =>
      fc.record({
        m: arbitraryOf(MESSAGE_ARBITRARIES, command),
        protocolVersion: fc.constantFrom(
          ...PROTOCOL_VERSIONS.filter((v) => !commandExistsAt(command, v)),
        ),
      })
    );
    fc.assert(
      fc.property(arb, ({ m, protocolVersion }) => {
        assertThrows(() => encodeMessage(m, { protocolVersion }), RangeError);
        const error = assertThrows(
          () => decodePayload(m.command, encodePayload(m), { protocolVersion }),
          MessageError,
        );
        assert(
          error.code === "unsupported-version" || error.code === "payload-too-large",
          error.message,
        );
      }),
      { numRuns: 100 },
    );
  });
});

Deno.test("property: addrv2 drops the entries Bitcoin Core ignores, and only those", () => {
  const entry = fc.oneof(
    keptNetAddressV2.map((a) => ({ keep: true, a })),
    droppedNetAddressV2.map((a) => ({ keep: false, a })),
  );
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 20 }), (entries) => {
      const kept = {
        command: "addrv2" as const,
        addresses: entries.filter((e) => e.keep).map((e) => e.a),
      };
      const back = decodeMessage(
        encodeMessage({ command: "addrv2", addresses: entries.map((e) => e.a) }),
      );
      assertEquals(toPlain(back), toPlain(kept));
      assertSameBytes(encodeMessage(back), encodeMessage(kept), "re-encoding what was kept");
    }),
    { numRuns: 150 },
  );
});

Deno.test("property: any message round-trips through encodePayload and decodePayload", () => {
  fc.assert(
    fc.property(anyMessage, (m) => {
      const payload = encodePayload(m);
      assertSameBytes(payload, encodeMessage(m).subarray(24), "the payload of the frame");
      assertEquals(toPlain(decodePayload(m.command, payload)), toPlain(m));
    }),
    { numRuns: 200 },
  );
});

Deno.test("a leading byte order mark in a string survives decoding", async (t) => {
  // Found by the properties above: the UTF-8 decoder stripped a leading U+FEFF (EF BB BF), so
  // such a reject reason or user agent decoded shorter and re-encoded 3 bytes short.
  await t.step("reject reason", () => {
    const payload = hexToBytes("00" + "00" + "03efbbbf");
    const m = decodePayload("reject", payload);
    assertEquals(m, { command: "reject", message: "", code: 0, reason: "\uFEFF" });
    assertSameBytes(encodePayload(m), payload, "re-encoding the reject");
  });
  await t.step("version user agent", () => {
    const address = "00".repeat(8) + "00".repeat(16) + "0000";
    const payload = hexToBytes(
      "71110100" + "00".repeat(8) + "00".repeat(8) + address + address + "00".repeat(8) +
        "04efbbbf78" + "00000000" + "01",
    );
    const m = decodePayload("version", payload);
    assert(m.command === "version");
    assertEquals(m.userAgent, "\uFEFFx");
    assertSameBytes(encodePayload(m), payload, "re-encoding the version");
  });
});

Deno.test("toPlain reads lazy fields through their getters", () => {
  const header = {
    version: 1,
    prevBlock: new Uint8Array(32).fill(1),
    merkleRoot: new Uint8Array(32).fill(2),
    timestamp: 3,
    bits: 4,
    nonce: 5,
  };
  const back = decodeMessage(encodeMessage({ command: "headers", headers: [header] }));
  assert(back.command === "headers");
  // A decoded header keeps its hashes behind getters, so a shallow copy misses them...
  assertEquals(Object.keys(back.headers[0]).includes("prevBlock"), false);
  // ...and toPlain does not.
  assertEquals(toPlain(back), { command: "headers", headers: [header] });
  assertNotEquals(
    toPlain(back),
    toPlain({ command: "headers", headers: [{ ...header, nonce: 6 }] }),
  );
});

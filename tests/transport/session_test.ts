import { assert, assertEquals, assertThrows } from "@std/assert";
import type { RawMessage } from "../../transport/contents.ts";
import { TransportError, type TransportErrorCode } from "../../transport/errors.ts";
import { MAX_GARBAGE_LENGTH, V2Session, type V2SessionOptions } from "../../transport/session.ts";
import { decodeMessage, encodeMessage } from "../../wire/frame.ts";
import { cat, RawRemote } from "./_raw_remote.ts";
import { chunksOf, Link, type Split, whole } from "./_link.ts";

function pair(
  a: V2SessionOptions = {},
  b: V2SessionOptions = {},
  split: Split = whole,
): Link {
  const link = new Link(new V2Session("initiator", a), new V2Session("responder", b), split);
  link.pump();
  return link;
}

function assertEstablished(link: Link): void {
  assertEquals(link.a.error, undefined, link.a.error?.message);
  assertEquals(link.b.error, undefined, link.b.error?.message);
  assert(link.a.session.established, `initiator is in ${link.a.session.state}`);
  assert(link.b.session.established, `responder is in ${link.b.session.state}`);
  assertEquals(link.a.session.sessionId, link.b.session.sessionId);
  assertEquals(link.a.session.sessionId?.length, 32);
}

function assertCode(error: TransportError | undefined, code: TransportErrorCode): void {
  assert(error instanceof TransportError, `expected a TransportError "${code}", got ${error}`);
  assertEquals(error.code, code, error.message);
}

const bytes = (...b: number[]) => new Uint8Array(b);

Deno.test("V2Session handshake", async (t) => {
  await t.step("initiator and responder agree on a session id", () => {
    const link = pair();
    assertEstablished(link);
    assertEquals(link.a.session.state, "app");
    assertEquals(link.a.messages.length + link.b.messages.length, 0);
  });
  await t.step("garbage of every length class, in every chunking", () => {
    const lengths = [
      0,
      1,
      15,
      16,
      17,
      4094,
      MAX_GARBAGE_LENGTH,
      1 + Math.floor(Math.random() * 4000),
    ];
    const chunkings = [1, 2, 3, 15, 16, 17, 63, 64, 65, 100, 4111, 5000];
    for (const g of lengths) {
      for (const n of chunkings) {
        const link = pair({ garbageLength: g }, { garbageLength: (g * 7 + 3) % 4096 }, chunksOf(n));
        assertEstablished(link);
      }
      assertEstablished(pair({ garbageLength: g }, { garbageLength: g }));
    }
  });
  await t.step("every split point of both first flights", () => {
    for (const g of [0, 5]) {
      const probe = pair({ garbageLength: g }, { garbageLength: g });
      assertEstablished(probe);
      for (let cut = 1; cut < 64 + g + 40; cut++) {
        const split: Split = (b) => b.length > cut ? [b.subarray(0, cut), b.subarray(cut)] : [b];
        assertEstablished(pair({ garbageLength: g }, { garbageLength: g }, split));
      }
    }
  });
  await t.step("decoys before the version packet, from either side", () => {
    const decoys = [new Uint8Array(0), new Uint8Array(100).fill(1), bytes(18, 0, 0)];
    assertEstablished(pair({ decoys }, { decoys }));
    assertEstablished(pair({ decoys, garbageLength: 0 }, { decoys }, chunksOf(1)));
  });
  await t.step("the networks must match", () => {
    const link = new Link(
      new V2Session("initiator", { network: "regtest", garbageLength: 10 }),
      new V2Session("responder", { network: "mainnet", garbageLength: 10 }),
    );
    link.pump();
    // Different salts: neither finds the other's terminator; both keep scanning (a real peer
    // hits its negotiation deadline, or 4,111 bytes of "garbage").
    assert(!link.a.session.established && !link.b.session.established);
    link.toB(new Uint8Array(5000));
    link.pump();
    assertCode(link.b.error, "garbage-too-long");
  });
  await t.step("a responder answers only after a byte that rules out v1", () => {
    const b = new V2Session("responder");
    assertEquals(b.start().length, 0);
    assertEquals(b.state, "detecting");
    // Magic and "vers": still maybe v1.
    assertEquals(b.receive(bytes(0xf9, 0xbe, 0xb4, 0xd9, 0x76, 0x65, 0x72, 0x73)).send.length, 0);
    const out = b.receive(bytes(0x00)); // "version" expected 'i'
    assertEquals(out.send.length, 1);
    assert(out.send[0].length >= 64);
    assertEquals(b.state, "key");
  });
  await t.step("shouldReconnectV1 while an initiator has received nothing", () => {
    const a = new V2Session("initiator");
    assert(!a.shouldReconnectV1);
    a.start();
    assert(a.shouldReconnectV1);
    a.receive(bytes(1));
    assert(!a.shouldReconnectV1);
    assert(!new V2Session("responder").shouldReconnectV1);
  });
  await t.step("an initiator that receives before start() sends its key first", () => {
    const a = new V2Session("initiator", { garbageLength: 0 });
    const out = a.receive(bytes(1, 2, 3));
    assertEquals(out.send.length, 1);
    assertEquals(out.send[0].length, 64);
    assertEquals(a.start().length, 0);
  });
  await t.step("options are checked", () => {
    assertThrows(() => new V2Session("initiator", { garbageLength: 4096 }), RangeError);
    assertThrows(() => new V2Session("initiator", { garbageLength: -1 }), RangeError);
    assertThrows(() => new V2Session("initiator", { privateKey: new Uint8Array(32) }), RangeError);
    assertThrows(() => new V2Session("both" as "initiator"), TypeError);
  });
  await t.step("deterministic with injected randomness and key", () => {
    let n = 0;
    const randomBytes = (length: number) => new Uint8Array(length).map(() => n++ & 255);
    const key = new Uint8Array(32).fill(0x11);
    const first = new V2Session("initiator", { randomBytes, privateKey: key }).start();
    n = 0;
    assertEquals(new V2Session("initiator", { randomBytes, privateKey: key }).start(), first);
  });
});

Deno.test("V2Session messages", async (t) => {
  const commands = [
    "ping",
    "inv",
    "addrv2",
    "version",
    "verack",
    "sendaddrv2",
    "wtxidrelay",
    "twelve_chars",
    "x",
  ];
  await t.step("both ways, short ids and the long form", () => {
    const link = pair();
    assertEstablished(link);
    const sent: RawMessage[] = commands.map((command, i) => ({
      command,
      payload: new Uint8Array(i * 10).fill(i),
    }));
    for (const m of sent) {
      link.toB(link.a.session.encrypt(m));
      link.toA(link.b.session.encrypt(m));
    }
    link.pump();
    assertEquals(link.b.messages, sent);
    assertEquals(link.a.messages, sent);
    assertEquals(link.a.rejected.length + link.b.rejected.length, 0);
  });
  await t.step("1,000 messages each way cross four rekeys, in 1-byte and odd chunks", () => {
    for (const split of [whole, chunksOf(7), chunksOf(1)]) {
      const link = pair({}, {}, split);
      const count = split === whole ? 1500 : 1000;
      const sent: RawMessage[] = [];
      for (let i = 0; i < count; i++) {
        const m = { command: i % 3 === 0 ? "tx" : "sendcmpct", payload: bytes(i & 255, i >> 8) };
        sent.push(m);
        link.toB(link.a.session.encrypt(m));
        link.toA(link.b.session.encrypt(m));
      }
      link.pump();
      assertEquals(link.b.messages, sent);
      assertEquals(link.a.messages, sent);
    }
  });
  await t.step("decoys anywhere are dropped", () => {
    const link = pair();
    const ping = { command: "ping", payload: new Uint8Array(8) };
    link.toB(link.a.session.encrypt(ping, { ignore: true }));
    link.toB(link.a.session.encrypt(ping));
    link.toB(link.a.session.encrypt({ command: "whatever", payload: new Uint8Array(3000) }, {
      ignore: true,
    }));
    link.toB(link.a.session.encrypt(ping));
    link.pump();
    assertEquals(link.b.messages, [ping, ping]);
  });
  await t.step("a 4,000,000-byte payload, whole and in 64 KiB chunks", () => {
    const payload = new Uint8Array(4_000_000).fill(0xab);
    for (const split of [whole, chunksOf(65536)]) {
      const link = pair({}, {}, split);
      link.toB(link.a.session.encrypt({ command: "block", payload }));
      link.toB(link.a.session.encrypt({ command: "toolongname_", payload }));
      link.pump();
      assertEquals(link.b.messages.map((m) => [m.command, m.payload.length]), [
        ["block", 4_000_000],
        ["toolongname_", 4_000_000],
      ]);
      assertEquals(link.b.messages[0].payload[3_999_999], 0xab);
    }
  });
  await t.step("encrypt refuses what it cannot send", () => {
    const fresh = new V2Session("initiator");
    fresh.start();
    assertThrows(
      () => fresh.encrypt({ command: "ping", payload: new Uint8Array(8) }),
      TransportError,
      "has not completed",
    );
    const link = pair();
    const s = link.a.session;
    assertThrows(() => s.encrypt({ command: "", payload: new Uint8Array(0) }), TypeError);
    assertThrows(
      () => s.encrypt({ command: "thirteen_char", payload: new Uint8Array(0) }),
      TypeError,
    );
    assertThrows(() => s.encrypt({ command: "caf\u00e9", payload: new Uint8Array(0) }), TypeError);
    assertThrows(
      () => s.encrypt({ command: "block", payload: new Uint8Array(4_000_001) }),
      RangeError,
    );
  });
});

Deno.test("V2Session falls back to v1", async (t) => {
  const version = encodeMessage(
    {
      command: "version",
      protocolVersion: 70016,
      services: 0n,
      timestamp: 0n,
      addrRecv: { services: 0n, ip: new Uint8Array(16), port: 0 },
      addrFrom: { services: 0n, ip: new Uint8Array(16), port: 0 },
      nonce: 1n,
      userAgent: "/test/",
      startHeight: 0,
      relay: true,
    } as Parameters<typeof encodeMessage>[0],
  );
  await t.step("on a v1 version header, with every byte received so far", () => {
    const b = new V2Session("responder");
    const out = b.receive(version);
    assertEquals(out.fallbackToV1, version);
    assertEquals(out.send.length, 0);
    assertEquals(b.state, "v1");
    assertEquals(decodeMessage(out.fallbackToV1!).command, "version");
    // Later chunks come back unchanged.
    assertEquals(b.receive(bytes(1, 2)).fallbackToV1, bytes(1, 2));
    assertThrows(() => b.encrypt({ command: "ping", payload: new Uint8Array(8) }), TransportError);
  });
  await t.step("byte by byte: decided at the 16th", () => {
    const b = new V2Session("responder");
    for (let i = 0; i < 15; i++) {
      const out = b.receive(version.subarray(i, i + 1));
      assertEquals(out.fallbackToV1, undefined);
      assertEquals(out.send.length, 0);
    }
    assertEquals(b.receive(version.subarray(15, 16)).fallbackToV1, version.subarray(0, 16));
  });
  await t.step("on the regtest magic when the session is regtest", () => {
    const frame = cat(bytes(0xfa, 0xbf, 0xb5, 0xda), version.subarray(4));
    const b = new V2Session("responder", { network: "regtest" });
    assertEquals(b.receive(frame).fallbackToV1, frame);
  });
  await t.step("not on bytes that share only a prefix", () => {
    for (let n = 4; n < 16; n++) {
      const b = new V2Session("responder");
      const almost = version.slice(0, 16);
      almost[n] ^= 0x01;
      const out = b.receive(almost);
      assertEquals(out.fallbackToV1, undefined, `byte ${n} differs`);
      assertEquals(out.send.length, 1);
      assertEquals(b.state, "key");
    }
    // A differing magic with the rest of a v1 version header is another network's v1 peer
    // (the next step); differing magic and command is a v2 key.
    const b0 = new V2Session("responder");
    const other = version.slice(0, 16);
    other[0] ^= 1;
    other[6] ^= 1;
    assertEquals(b0.receive(other).send.length, 1);
    assertEquals(b0.state, "key");
    // A v1 message other than version (verack) is treated as the start of a v2 key, as Core.
    const verack = encodeMessage({ command: "verack" });
    const b = new V2Session("responder");
    assertEquals(b.receive(verack).fallbackToV1, undefined);
    assertEquals(b.state, "key");
  });
  await t.step("an initiator never falls back", () => {
    const a = new V2Session("initiator");
    a.start();
    assertEquals(a.receive(version).fallbackToV1, undefined);
  });
  await t.step("a v1 version from another network is refused", () => {
    const b = new V2Session("responder"); // mainnet
    const testnet = cat(bytes(0x0b, 0x11, 0x09, 0x07), version.subarray(4));
    assertCode(b.receive(testnet).error, "wrong-network");
    const c = new V2Session("responder");
    let error: TransportError | undefined;
    for (const piece of chunksOf(1)(testnet)) error ??= c.receive(piece).error;
    assertCode(error, "wrong-network");
  });
});

/** A responder session and a raw initiator that has done the key exchange with it. */
function rawToResponder(garbage = new Uint8Array(7)) {
  const session = new V2Session("responder", { garbageLength: 0 });
  const remote = new RawRemote("initiator", garbage);
  const out = session.receive(remote.hello());
  remote.exchange(out.send[0]);
  return { session, remote };
}

Deno.test("V2Session refuses bad input with typed errors", async (t) => {
  await t.step("a raw remote done right is accepted (the harness works)", () => {
    const { session, remote } = rawToResponder();
    const ping = cat(bytes(18), new Uint8Array(8));
    const out = session.receive(cat(
      remote.terminator(),
      remote.packet(new Uint8Array(0), { aad: remote.garbage }),
      remote.packet(ping),
    ));
    assertEquals(out.error, undefined);
    assertEquals(out.messages, [{ command: "ping", payload: new Uint8Array(8) }]);
  });
  await t.step("a decoy first carries the garbage AAD; the version packet then has none", () => {
    const { session, remote } = rawToResponder();
    const out = session.receive(cat(
      remote.terminator(),
      remote.packet(bytes(1, 2, 3), { aad: remote.garbage, ignore: true }),
      remote.packet(new Uint8Array(0)),
      remote.packet(bytes(19, 1, 2, 3, 4, 5, 6, 7, 8)),
    ));
    assertEquals(out.error, undefined);
    assertEquals(out.messages.map((m) => m.command), ["pong"]);
  });
  await t.step("version packet contents are ignored (future extensions)", () => {
    const { session, remote } = rawToResponder();
    const out = session.receive(cat(
      remote.terminator(),
      remote.packet(bytes(1, 2, 3, 4), { aad: remote.garbage }),
      remote.packet(bytes(18, 0, 0, 0, 0, 0, 0, 0, 0)),
    ));
    assertEquals(out.error, undefined);
    assertEquals(out.messages.map((m) => m.command), ["ping"]);
  });
  await t.step("tampered ciphertext", () => {
    for (const at of [3, 4, 3 + 1 + 9 + 15]) {
      const l = pair();
      const p = l.a.session.encrypt({ command: "ping", payload: new Uint8Array(8) });
      p[at] ^= 0x04;
      const out = l.b.session.receive(p);
      assertCode(out.error, "bad-packet");
      assertEquals(out.messages.length, 0);
      assertEquals(l.b.session.state, "failed");
      // It stays failed: the same error again, and encrypt throws it.
      assertEquals(l.b.session.receive(bytes(1)).error, out.error);
      assertThrows(() => l.b.session.encrypt({ command: "ping", payload: new Uint8Array(8) }));
    }
  });
  await t.step("garbage that does not match the version packet's AAD", () => {
    const { session, remote } = rawToResponder();
    const out = session.receive(cat(
      remote.terminator(),
      remote.packet(new Uint8Array(0), { aad: bytes(9, 9, 9) }),
    ));
    assertCode(out.error, "bad-packet");
  });
  await t.step("a wrong terminator: the garbage never ends", () => {
    const { session, remote } = rawToResponder();
    const wrong = remote.terminator().slice();
    wrong[15] ^= 1;
    const flight = cat(wrong, remote.packet(new Uint8Array(0), { aad: remote.garbage }));
    assertEquals(session.receive(flight).error, undefined); // still scanning
    const out = session.receive(new Uint8Array(4111));
    assertCode(out.error, "garbage-too-long");
  });
  await t.step("more than 4,095 bytes of garbage", () => {
    for (const [garbage, ok] of [[4095, true], [4096, false]] as const) {
      const { session, remote } = rawToResponder(new Uint8Array(garbage).fill(3));
      let error: TransportError | undefined;
      for (
        const piece of chunksOf(1000)(cat(
          remote.terminator(),
          remote.packet(new Uint8Array(0), { aad: remote.garbage }),
        ))
      ) error ??= session.receive(piece).error;
      if (ok) {
        assertEquals(error, undefined);
        assert(session.established);
      } else {
        assertCode(error, "garbage-too-long");
      }
    }
  });
  await t.step("a length over 1 + 12 + 4,000,000, refused from its 3 bytes", () => {
    for (const claimed of [4_000_014, 2 ** 24 - 1]) {
      const { session, remote } = rawToResponder();
      assertEquals(
        session.receive(cat(
          remote.terminator(),
          remote.packet(new Uint8Array(0), { aad: remote.garbage }),
        )).error,
        undefined,
      );
      const field = remote.lengthField(claimed);
      assertEquals(session.receive(field.subarray(0, 2)).error, undefined);
      assertCode(session.receive(field.subarray(2)).error, "packet-too-large");
    }
    // The limit itself is accepted (a 4,000,000-byte payload in the long form).
    const { session, remote } = rawToResponder();
    session.receive(
      cat(remote.terminator(), remote.packet(new Uint8Array(0), { aad: remote.garbage })),
    );
    assertEquals(session.receive(remote.lengthField(4_000_013)).error, undefined);
  });
  await t.step("buffering follows the bytes that arrived, not the declared length", () => {
    const { session, remote } = rawToResponder();
    assertEquals(session.bufferedBytes, 4111); // the garbage buffer, during the handshake
    session.receive(
      cat(remote.terminator(), remote.packet(new Uint8Array(0), { aad: remote.garbage })),
    );
    assertEquals(session.bufferedBytes, 0);
    const payload = new Uint8Array(4_000_000);
    const packet = remote.packet(cat(new Uint8Array(13), payload)); // the largest allowed
    let fed = 0;
    for (const size of [3, 10, 1000, 5000, 60_000, 200_000, 1_000_000]) {
      assertEquals(session.receive(packet.subarray(fed, fed + size)).error, undefined);
      fed += size;
      const arrived = fed - 3;
      assert(
        session.bufferedBytes <= Math.max(2 * arrived, 4096),
        `${session.bufferedBytes} bytes held for ${arrived} arrived`,
      );
    }
    const out = session.receive(packet.subarray(fed));
    assertEquals(out.messages.length, 1);
    assertEquals(out.messages[0].payload.length, 4_000_000);
    assertEquals(session.bufferedBytes, 0);
    // An established session holds nothing between packets.
    const link = pair();
    assertEquals(link.a.session.bufferedBytes + link.b.session.bufferedBytes, 0);
  });
  await t.step("an application packet before the version packet: dropped, as Core", () => {
    const { session, remote } = rawToResponder();
    const out = session.receive(cat(
      remote.terminator(),
      remote.packet(bytes(18, 0, 0, 0, 0, 0, 0, 0, 0), { aad: remote.garbage }),
      remote.packet(new Uint8Array(0)),
      remote.packet(bytes(18, 1, 0, 0, 0, 0, 0, 0, 0)),
    ));
    assertEquals(out.error, undefined);
    assertCode(out.rejected[0], "app-before-version");
    // The ping sent too early was taken as the version packet; the next one gets through.
    assertEquals(out.messages.map((m) => m.command), ["ping"]);
    assert(session.established);
  });
  await t.step("unknown ids and bad long commands are dropped, not fatal (as Core)", () => {
    const { session, remote } = rawToResponder();
    const long = (s: number[]) => cat(bytes(0), new Uint8Array(12).map((_, i) => s[i] ?? 0));
    const out = session.receive(cat(
      remote.terminator(),
      remote.packet(new Uint8Array(0), { aad: remote.garbage }),
      remote.packet(bytes(29, 1, 2)),
      remote.packet(bytes(255)),
      remote.packet(long([0x70, 0x01])), // a control byte
      remote.packet(long([0x70, 0, 0x70])), // bytes after the NUL padding
      remote.packet(bytes(0, 0x70, 0x69)), // cut short
      remote.packet(long([0x76, 0x65, 0x72, 0x61, 0x63, 0x6b])), // "verack"
    ));
    assertEquals(out.error, undefined);
    assertEquals(out.rejected.map((e) => e.code), [
      "unknown-message-id",
      "unknown-message-id",
      "bad-command",
      "bad-command",
      "bad-command",
    ]);
    assert(out.rejected.every((e) => !e.fatal));
    assertEquals(out.messages, [{ command: "verack", payload: new Uint8Array(0) }]);
  });
  await t.step("the responder's first bytes to an initiator are its key (no v1 check)", () => {
    const session = new V2Session("initiator", { garbageLength: 0 });
    const remote = new RawRemote("responder", bytes(5, 5));
    remote.exchange(session.start());
    const out = session.receive(cat(
      remote.hello(),
      remote.terminator(),
      remote.packet(new Uint8Array(0), { aad: remote.garbage }),
    ));
    assertEquals(out.error, undefined);
    assert(session.established);
    assertEquals(out.send.length, 1); // its terminator and version packet
  });
});

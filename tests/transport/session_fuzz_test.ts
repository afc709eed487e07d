// Properties of V2Session under fast-check: any message sequence survives any segmentation;
// any single bit flipped in what is sent is detected (never a wrong message); and no input
// bytes at all make receive() throw.
import { assert, assertEquals } from "@std/assert";
import fc from "fast-check";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { type RawMessage, V2_MESSAGE_IDS } from "../../transport/contents.ts";
import { TransportError } from "../../transport/errors.ts";
import { V2Session, type V2SessionOptions } from "../../transport/session.ts";
import { Link, type Split } from "./_link.ts";

/** A segmentation: cut sizes used in turn. */
function splitter(sizes: readonly number[]): Split {
  let k = 0;
  return (bytes) => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < bytes.length;) {
      const n = sizes[k++ % sizes.length];
      out.push(bytes.subarray(i, i + n));
      i += n;
    }
    return out;
  };
}

const segmentation = fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 });

const command = fc.oneof(
  fc.constantFrom(...V2_MESSAGE_IDS.slice(1)),
  fc.constantFrom("version", "verack", "sendaddrv2", "wtxidrelay", "sendtxrcncl"),
  fc.string({ minLength: 1, maxLength: 12 }).filter((s) => /^[\x20-\x7e]+$/.test(s)),
);

const message: fc.Arbitrary<RawMessage> = fc.record({
  command,
  payload: fc.uint8Array({ maxLength: 400 }),
});

/** Messages, some sent as decoys. */
const traffic = fc.array(fc.record({ message, decoy: fc.boolean() }), { maxLength: 40 });

function established(
  split: Split,
  a: V2SessionOptions = {},
  b: V2SessionOptions = {},
): Link {
  const link = new Link(new V2Session("initiator", a), new V2Session("responder", b), split);
  link.pump();
  assert(link.a.session.established && link.b.session.established);
  return link;
}

Deno.test("V2Session: random traffic through random segmentation arrives intact", () => {
  fc.assert(
    fc.property(
      traffic,
      traffic,
      segmentation,
      fc.integer({ min: 0, max: 4095 }),
      fc.integer({ min: 0, max: 4095 }),
      fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 3 }),
      (ab, ba, sizes, ga, gb, decoys) => {
        const link = established(
          splitter(sizes),
          { garbageLength: ga, decoys },
          { garbageLength: gb },
        );
        for (const { message, decoy } of ab) {
          link.toB(link.a.session.encrypt(message, { ignore: decoy }));
        }
        for (const { message, decoy } of ba) {
          link.toA(link.b.session.encrypt(message, { ignore: decoy }));
        }
        link.pump();
        assertEquals(link.b.messages, ab.filter((x) => !x.decoy).map((x) => x.message));
        assertEquals(link.a.messages, ba.filter((x) => !x.decoy).map((x) => x.message));
        assertEquals(link.a.error ?? link.b.error, undefined);
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("V2Session: a flipped bit in the packet stream is always detected", () => {
  fc.assert(
    fc.property(
      fc.array(message, { minLength: 1, maxLength: 12 }),
      segmentation,
      fc.nat(),
      (messages, sizes, where) => {
        const link = established(splitter([4096]));
        const packets = messages.map((m) => link.a.session.encrypt(m));
        const stream = new Uint8Array(packets.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of packets) {
          stream.set(p, at);
          at += p.length;
        }
        const bit = where % (stream.length * 8);
        stream[bit >> 3] ^= 1 << (bit & 7);
        const got: RawMessage[] = [];
        let error: TransportError | undefined;
        for (const piece of splitter(sizes)(stream)) {
          const out = link.b.session.receive(piece);
          got.push(...out.messages);
          error ??= out.error;
        }
        // Never a wrong message: what arrived is a prefix of what was sent, and the packet
        // with the flip is refused or still awaited (a longer length waits for more bytes).
        assertEquals(got, messages.slice(0, got.length));
        assert(got.length < messages.length, "the damaged packet was delivered");
        if (error !== undefined) {
          assert(error.code === "bad-packet" || error.code === "packet-too-large", error.code);
        }
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("V2Session: a flipped bit in the handshake never establishes", () => {
  // A responder whose key and garbage are fixed, so that the same initiator bytes get the
  // same answer from a fresh copy.
  const privateKey = secp256k1.utils.randomSecretKey();
  const fixed = (): V2SessionOptions => ({
    privateKey,
    garbageLength: 9,
    randomBytes: (n) => new Uint8Array(n).fill(7),
  });
  const a = new V2Session("initiator", { garbageLength: 20 });
  const b = new V2Session("responder", fixed());
  const first = a.start();
  const reply = b.receive(first).send;
  const second = reply.flatMap((bytes) => a.receive(bytes).send);
  assert(a.established);
  const ping = a.encrypt({ command: "ping", payload: new Uint8Array(8) });
  const stream = new Uint8Array(first.length + second[0].length + ping.length);
  stream.set(first);
  stream.set(second[0], first.length);
  stream.set(ping, first.length + second[0].length);
  {
    const copy = new V2Session("responder", fixed());
    const out = copy.receive(stream);
    assert(copy.established, "the fixed responder is reproducible");
    assertEquals(out.messages.length, 1);
  }
  fc.assert(
    fc.property(fc.nat(stream.length * 8 - 1), segmentation, (bit, sizes) => {
      const flipped = stream.slice();
      flipped[bit >> 3] ^= 1 << (bit & 7);
      const copy = new V2Session("responder", fixed());
      let error: TransportError | undefined;
      let delivered = 0;
      for (const piece of splitter(sizes)(flipped)) {
        const out = copy.receive(piece);
        error ??= out.error;
        delivered += out.messages.length;
      }
      if (bit >= (first.length + second[0].length) * 8) return; // the ping packet: above
      assertEquals(delivered, 0);
      assert(error !== undefined || !copy.established, `bit ${bit}: established`);
    }),
    { numRuns: 200 },
  );
});

Deno.test("V2Session: arbitrary bytes never make receive() throw", () => {
  const chunks = fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 12 });
  fc.assert(
    fc.property(
      fc.constantFrom("initiator", "responder") as fc.Arbitrary<"initiator" | "responder">,
      chunks,
      (role, input) => {
        const s = new V2Session(role);
        s.start();
        for (const chunk of input) {
          const out = s.receive(chunk);
          if (out.error !== undefined) assert(out.error instanceof TransportError);
        }
      },
    ),
    { numRuns: 200 },
  );
  // After a real handshake, random bytes reach the packet parser.
  fc.assert(
    fc.property(chunks, segmentation, (input, sizes) => {
      const link = established(splitter(sizes));
      let error: TransportError | undefined;
      for (const chunk of input) {
        const out = link.b.session.receive(chunk);
        assert(out.error === undefined || out.error instanceof TransportError);
        for (const r of out.rejected) assert(r instanceof TransportError && !r.fatal);
        error ??= out.error;
      }
      if (error !== undefined) assertEquals(link.b.session.receive(new Uint8Array(1)).error, error);
    }),
    { numRuns: 100 },
  );
  // A responder fed a v1-looking prefix then anything.
  fc.assert(
    fc.property(fc.nat(16), chunks, (keep, input) => {
      const prefix = new Uint8Array([
        0xf9,
        0xbe,
        0xb4,
        0xd9,
        0x76,
        0x65,
        0x72,
        0x73,
        0x69,
        0x6f,
        0x6e,
        0,
        0,
        0,
        0,
        0,
      ]);
      const s = new V2Session("responder");
      s.receive(prefix.subarray(0, keep));
      for (const chunk of input) s.receive(chunk);
    }),
    { numRuns: 100 },
  );
});

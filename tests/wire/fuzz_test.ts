// Random mutations of valid frames only ever produce a message or a MessageError: never
// another exception, never a hang. Half the mutated frames get a correct checksum, so the
// garbage reaches the payload decoders rather than stopping at the checksum.
import { assertEquals } from "@std/assert";
import fc from "fast-check";
import { fixChecksum } from "../_util/fix_checksum.ts";
import { MessageDecoderStream } from "../../wire/decoder_stream.ts";
import { MessageError } from "../../wire/errors.ts";
import { decodeMessage, decodePayload, encodeMessage } from "../../wire/frame.ts";
import { hexToBytes } from "../../wire/hash.ts";
import { COMMANDS } from "../../wire/message.ts";
import { HAVE_SHARED_DATA, loadVectors, SKIP_NOTE } from "../_util/shared_data.ts";

function onlyMessageErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof MessageError)) throw e;
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ maxLength: 9 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), n: fc.nat(9) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(frame: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = frame.slice();
  for (const m of ms) {
    // Aim most mutations at the payload, where the decoders live.
    const at = b.length === 0 ? 0 : (m.at % b.length);
    switch (m.kind) {
      case "flip":
        if (b.length) b[at] ^= 1 << m.bit;
        break;
      case "set":
        if (b.length) b[at] = m.value;
        break;
      case "cut":
        b = b.slice(0, at);
        break;
      case "insert": {
        const c = new Uint8Array(b.length + m.bytes.length);
        c.set(b.subarray(0, at));
        c.set(m.bytes, at);
        c.set(b.subarray(at), at + m.bytes.length);
        b = c;
        break;
      }
      case "delete": {
        const n = Math.min(m.n, b.length - at);
        const c = new Uint8Array(b.length - n);
        c.set(b.subarray(0, at));
        c.set(b.subarray(at + n), at);
        b = c;
        break;
      }
    }
  }
  return b;
}

const vectors = loadVectors();
const frames = vectors.map((v) => hexToBytes(v.frame));
// Small frames first: a mutated 1 MB block is slow to hash and adds little.
const small = frames.filter((f) => f.length < 20_000);

Deno.test({
  name: "fuzz: mutated frames give a message or a MessageError" + SKIP_NOTE,
  ignore: !HAVE_SHARED_DATA,
  fn() {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (pick, ms, fix) => {
          const frame = mutate(small[pick % small.length], ms);
          if (fix) fixChecksum(frame);
          onlyMessageErrors(() => decodeMessage(frame));
        },
      ),
      { numRuns: 4000 },
    );
  },
});

Deno.test({
  name: "fuzz: the decoder stream fails only with MessageError and always finishes" + SKIP_NOTE,
  ignore: !HAVE_SHARED_DATA,
  async fn() {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        fc.array(mutation, { maxLength: 3 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 2000 }),
        async (picks, ms, fix, chunkSize) => {
          const parts = picks.map((p) => small[p % small.length]);
          const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let at = 0;
          for (const p of parts) {
            joined.set(p, at);
            at += p.length;
          }
          const bytes = mutate(joined, ms);
          if (fix) fixChecksum(bytes);
          const chunks: Uint8Array[] = [];
          for (let i = 0; i < bytes.length; i += chunkSize) {
            chunks.push(bytes.subarray(i, i + chunkSize));
          }
          try {
            for await (
              const _ of ReadableStream.from(chunks).pipeThrough(new MessageDecoderStream())
            ) {
              // drain
            }
          } catch (e) {
            if (!(e instanceof MessageError)) throw e;
          }
        },
      ),
      { numRuns: 600 },
    );
  },
});

Deno.test("fuzz: random payloads for every command give a message or a MessageError", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...COMMANDS),
      fc.uint8Array({ maxLength: 600 }),
      fc.constantFrom(209, 31402, 60000, 60001, 70001, 70002, 70012, 70016, 70017),
      fc.boolean(),
      (command, payload, protocolVersion, witness) => {
        onlyMessageErrors(() => decodePayload(command, payload, { protocolVersion, witness }));
      },
    ),
    { numRuns: 6000 },
  );
});

Deno.test("fuzz: sanity: an unmutated frame still decodes", () => {
  const frame = encodeMessage({ command: "ping", nonce: 3n });
  assertEquals(decodeMessage(mutate(frame, [])), { command: "ping", nonce: 3n });
});

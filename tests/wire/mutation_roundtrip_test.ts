// The mutation property: frames of the vector sets, mutated (bit flips, bytes inserted and
// deleted, length fields edited, cuts) and given a consistent header (length and checksum
// fixed, so that the damage reaches the payload decoders), either fail to decode with a
// MessageError or decode to a message that encodes without throwing, to the same bytes, or
// to one of the codec's documented canonical forms, checked for what it is:
//   - `sendcmpct`: an announce byte above 1 is written as 1 (read as a bool, as Core does);
//   - `version`: a relay byte above 1 is written as 1 (the same);
//   - `addrv2`: entries Bitcoin Core reads and ignores are dropped (BIP 155 lets a node skip
//     an unknown network; Tor v2 is obsolete; IPv6 embedding IPv4 or Tor v2 is not IPv6).
import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import fc from "fast-check";
import { MessageError } from "../../wire/errors.ts";
import { decodeMessage, encodeMessage } from "../../wire/frame.ts";
import { bytesToHex, hexToBytes } from "../../wire/hash.ts";
import type { AddrV2Message } from "../../wire/msg_addrv2.ts";
import type { VersionMessage } from "../../wire/msg_version.ts";
import { decodeVarInt } from "../../wire/var_int.ts";
import { fixChecksum } from "../_util/fix_checksum.ts";
import { HAVE_SHARED_DATA, loadVectors, SKIP_NOTE } from "../_util/shared_data.ts";

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: fc.nat(255) }),
  fc.record({
    kind: fc.constant("delete" as const),
    at: fc.nat(),
    n: fc.integer({ min: 1, max: 4 }),
  }),
  // A length or count field off by a little, or set to a small value.
  fc.record({
    kind: fc.constant("length" as const),
    at: fc.nat(),
    delta: fc.integer({ min: -2, max: 2 }),
  }),
  fc.record({ kind: fc.constant("small" as const), at: fc.nat(), value: fc.nat(3) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

/** Applies the mutations (all past the magic, most in the payload) and fixes the header. */
function mutate(frame: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = frame.slice();
  for (const m of ms) {
    // One in eight hits the command, length or checksum; the rest the payload.
    const payload = b.length > 24 && m.at % 8 !== 0;
    const at = payload ? 24 + (m.at % (b.length - 24)) : 4 + (m.at % Math.max(1, b.length - 4));
    if (at >= b.length && m.kind !== "insert") continue;
    switch (m.kind) {
      case "flip":
        b[at] ^= 1 << m.bit;
        break;
      case "length":
        b[at] = (b[at] + m.delta) & 0xff;
        break;
      case "small":
        b[at] = m.value;
        break;
      case "insert":
        b = Uint8Array.from([...b.subarray(0, at), m.byte, ...b.subarray(at)]);
        break;
      case "delete":
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + m.n)]);
        break;
      case "cut":
        b = b.slice(0, Math.max(24, at));
        break;
    }
  }
  if (b.length >= 24) new DataView(b.buffer).setUint32(16, b.length - 24, true);
  fixChecksum(b);
  return b;
}

/** The frame with one payload byte replaced, the checksum fixed. */
function withByte(frame: Uint8Array, at: number, value: number): Uint8Array {
  const out = frame.slice();
  out[at] = value;
  fixChecksum(out);
  return out;
}

/** An addrv2 payload's entries as raw byte ranges, with their network id and address. */
function addrV2Entries(payload: Uint8Array): { bytes: Uint8Array; id: number; addr: Uint8Array }[] {
  const { value: count, size: first } = decodeVarInt(payload);
  const entries = [];
  let at = first;
  for (let i = 0; i < Number(count); i++) {
    const start = at;
    at += 4;
    at += decodeVarInt(payload.subarray(at)).size;
    const id = payload[at++];
    const { value: length, size } = decodeVarInt(payload.subarray(at));
    at += size;
    const addr = payload.subarray(at, at + Number(length));
    at += Number(length) + 2;
    entries.push({ bytes: payload.subarray(start, at), id, addr });
  }
  return entries;
}

/** Whether Bitcoin Core reads this addrv2 entry and ignores it (so the codec drops it). */
function ignoredByCore(entry: { id: number; addr: Uint8Array }): boolean {
  const known = [1, 2, 4, 5, 6]; // IPv4, IPv6, Tor v3, I2P, CJDNS (3, Tor v2, is obsolete)
  if (!known.includes(entry.id)) return true;
  if (entry.id !== 2) return false;
  const hex = bytesToHex(entry.addr);
  return hex.startsWith("00000000000000000000ffff") || hex.startsWith("fd87d87eeb43");
}

type Outcome = "rejected" | "identical" | "sendcmpct announce" | "version relay" | "addrv2 dropped";

/** Decodes, re-encodes and says which outcome it was; fails on anything else. */
function check(frame: Uint8Array): Outcome {
  let message;
  try {
    message = decodeMessage(frame);
  } catch (error) {
    assertInstanceOf(error, MessageError);
    return "rejected";
  }
  const again = encodeMessage(message); // must not throw
  if (bytesToHex(again) === bytesToHex(frame)) return "identical";
  const hex = `${bytesToHex(frame)}\n => ${bytesToHex(again)}`;
  switch (message.command) {
    case "sendcmpct":
      assert(frame[24] > 1, hex);
      assertEquals(again, withByte(frame, 24, 1), hex);
      return "sendcmpct announce";
    case "version": {
      const v = message as VersionMessage;
      assert(v.relay && frame.at(-1)! > 1, hex);
      assertEquals(again, withByte(frame, frame.length - 1, 1), hex);
      return "version relay";
    }
    case "addrv2": {
      const entries = addrV2Entries(frame.subarray(24));
      const kept = entries.filter((e) => !ignoredByCore(e));
      assert(kept.length < entries.length, hex);
      assertEquals((message as AddrV2Message).addresses.length, kept.length, hex);
      const expected = encodeMessage({ command: "addrv2", addresses: [] }).slice(0, 24);
      const body = Uint8Array.from([kept.length, ...kept.flatMap((e) => [...e.bytes])]);
      const out = new Uint8Array(24 + body.length);
      out.set(expected);
      out.set(body, 24);
      new DataView(out.buffer).setUint32(16, body.length, true);
      fixChecksum(out);
      assertEquals(bytesToHex(again), bytesToHex(out), hex);
      return "addrv2 dropped";
    }
  }
  throw new Error(`"${message.command}" decoded but encodes to other bytes:\n${hex}`);
}

Deno.test({
  name: "mutation property: a MessageError, or a message that encodes back (or canonically)" +
    SKIP_NOTE,
  ignore: !HAVE_SHARED_DATA,
  fn() {
    // Small frames (a mutated 1 MB block adds little), each command as likely as another.
    const byCommand = new Map<string, Uint8Array[]>();
    for (const v of loadVectors()) {
      const frame = hexToBytes(v.frame);
      if (frame.length > 20_000) continue;
      byCommand.set(v.command, [...byCommand.get(v.command) ?? [], frame]);
    }
    const commands = [...byCommand.keys()];
    const seen = new Map<Outcome, number>();
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (c, f, ms) => {
          const frames = byCommand.get(commands[c % commands.length])!;
          const outcome = check(mutate(frames[f % frames.length], ms));
          seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
        },
      ),
      { numRuns: 6000 },
    );
    // The property was exercised both ways.
    assert((seen.get("rejected") ?? 0) > 500, JSON.stringify([...seen]));
    assert((seen.get("identical") ?? 0) > 500, JSON.stringify([...seen]));
  },
});

Deno.test("mutation property: the checks catch what they must", () => {
  // The canonical forms, each built by hand.
  const sendcmpct = hexToBytes(
    "f9beb4d973656e64636d706374000000090000000000000002" + "0200000000000000",
  );
  fixChecksum(sendcmpct);
  assertEquals(check(sendcmpct), "sendcmpct announce");
  const addrv2 = encodeMessage({ command: "addrv2", addresses: [] });
  // Two entries: an unknown network id 9 (dropped) and IPv4 1.2.3.4:8333 (kept).
  const payload = hexToBytes(
    "02" + "00000000" + "01" + "09" + "02" + "abcd" + "208d" +
      "00000000" + "01" + "01" + "04" + "01020304" + "208d",
  );
  const frame = new Uint8Array(24 + payload.length);
  frame.set(addrv2.subarray(0, 24));
  frame.set(payload, 24);
  new DataView(frame.buffer).setUint32(16, payload.length, true);
  fixChecksum(frame);
  assertEquals(check(frame), "addrv2 dropped");
});

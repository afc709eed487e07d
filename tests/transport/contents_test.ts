import { assertEquals, assertThrows } from "@std/assert";
import {
  decodeContents,
  encodeContents,
  MAX_CONTENTS_LENGTH,
  V2_MESSAGE_IDS,
} from "../../transport/contents.ts";
import { TransportError } from "../../transport/errors.ts";
import { COMMANDS } from "../../wire/message.ts";

function assertTransportError(fn: () => unknown, code: string): void {
  const e = assertThrows(fn, TransportError);
  assertEquals(e.code, code, e.message);
}

Deno.test("V2_MESSAGE_IDS is BIP 324's table", () => {
  assertEquals(V2_MESSAGE_IDS.length, 29);
  // Spot checks against the BIP's table, and every entry a command the wire codec knows.
  assertEquals(
    [1, 2, 3, 4, 5, 13, 14, 18, 19, 20, 21, 22, 27, 28].map((i) => V2_MESSAGE_IDS[i]),
    [
      "addr",
      "block",
      "blocktxn",
      "cmpctblock",
      "feefilter",
      "headers",
      "inv",
      "ping",
      "pong",
      "sendcmpct",
      "tx",
      "getcfilters",
      "cfcheckpt",
      "addrv2",
    ],
  );
  for (const c of V2_MESSAGE_IDS.slice(1)) {
    assertEquals((COMMANDS as readonly string[]).includes(c), true, c);
  }
  assertEquals(MAX_CONTENTS_LENGTH, 4_000_013);
});

Deno.test("encodeContents / decodeContents", async (t) => {
  await t.step("every short id round-trips in one byte", () => {
    for (let id = 1; id < V2_MESSAGE_IDS.length; id++) {
      const command = V2_MESSAGE_IDS[id];
      const contents = encodeContents({ command, payload: new Uint8Array([7, 8]) });
      assertEquals(contents, new Uint8Array([id, 7, 8]));
      assertEquals(decodeContents(contents), { command, payload: new Uint8Array([7, 8]) });
    }
  });
  await t.step("other commands take the long form, NUL-padded to 12 bytes", () => {
    const contents = encodeContents({ command: "version", payload: new Uint8Array([1]) });
    assertEquals(
      contents,
      new Uint8Array([0, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0, 0, 0, 0, 0, 1]),
    );
    assertEquals(decodeContents(contents), { command: "version", payload: new Uint8Array([1]) });
    const twelve = encodeContents({ command: "abcdefghijkl", payload: new Uint8Array(0) });
    assertEquals(twelve.length, 13);
    assertEquals(decodeContents(twelve).command, "abcdefghijkl");
  });
  await t.step("a short-id command sent in the long form is accepted (as Core)", () => {
    const long = new Uint8Array([0, 0x70, 0x69, 0x6e, 0x67, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
    assertEquals(decodeContents(long), { command: "ping", payload: new Uint8Array([9]) });
  });
  await t.step("the payload is a view, not a copy", () => {
    const contents = new Uint8Array([18, 1, 2, 3]);
    const m = decodeContents(contents);
    assertEquals(m.payload.buffer, contents.buffer);
  });
  await t.step("unknown ids, bad and short long forms are typed errors", () => {
    for (const id of [29, 30, 32, 33, 128, 255]) {
      assertTransportError(() => decodeContents(new Uint8Array([id])), "unknown-message-id");
    }
    assertTransportError(() => decodeContents(new Uint8Array(0)), "bad-command");
    assertTransportError(() => decodeContents(new Uint8Array(12)), "bad-command");
    const bad = (patch: (b: Uint8Array) => void) => {
      const b = new Uint8Array(13);
      b.set([0x70, 0x69, 0x6e, 0x67], 1);
      patch(b);
      return b;
    };
    assertTransportError(() => decodeContents(bad((b) => b[2] = 0x7f)), "bad-command");
    assertTransportError(() => decodeContents(bad((b) => b[2] = 0x1f)), "bad-command");
    assertTransportError(() => decodeContents(bad((b) => b[12] = 0x61)), "bad-command");
    // Twelve NULs are a well-formed, empty command (as a v1 header), unknown to everyone.
    assertEquals(decodeContents(new Uint8Array(13)).command, "");
  });
  await t.step("encoding refuses what v1 refuses", () => {
    assertThrows(() => encodeContents({ command: "", payload: new Uint8Array(0) }), TypeError);
    assertThrows(
      () => encodeContents({ command: "thirteen_char", payload: new Uint8Array(0) }),
      TypeError,
    );
    assertThrows(
      () => encodeContents({ command: "a\u0000b", payload: new Uint8Array(0) }),
      TypeError,
    );
    assertThrows(
      () => encodeContents({ command: "block", payload: new Uint8Array(4_000_001) }),
      RangeError,
    );
  });
});

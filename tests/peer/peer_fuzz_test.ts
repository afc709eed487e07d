// Whatever a remote sends, a peer never throws out of the library: random sequences of valid
// messages, mutated frames (half with a corrected checksum, so the garbage reaches the payload
// decoders) and raw garbage, before and after the handshake, in either direction, end in a
// disconnect with a reason, or in the peer carrying on until the remote closes. An exception
// escaping anywhere (a listener call, a timer, a promise nobody awaited) fails the test: Deno
// reports uncaught errors and unhandled rejections as failures.
import { assert, assertEquals } from "@std/assert";
import fc from "fast-check";
import { fixChecksum } from "../_util/fix_checksum.ts";
import type { DisconnectCode } from "../../peer/mod.ts";
import { encodeMessage, type Message, type UnknownMessage } from "../../wire/mod.ts";
import { anyMessage } from "../_util/arbitraries.ts";
import { startPeer } from "../_util/raw_remote.ts";

/** How a fuzzed peer may end. Anything else (listener-error, stalled, ...) is a bug here. */
const EXPECTED_ENDS: ReadonlySet<DisconnectCode> = new Set<DisconnectCode>([
  "remote-closed",
  "protocol-error",
  "handshake-failed",
  "duplicate",
  "misbehaving",
  "obsolete",
  "self-connection",
  "network-error",
]);

/** One thing the remote writes: a frame (perhaps damaged) or raw bytes. */
const input: fc.Arbitrary<(network: "regtest") => Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: anyMessage.map((m) => () => encodeMessage(m, { network: "regtest" })) },
  {
    weight: 3,
    arbitrary: fc.tuple(
      anyMessage,
      fc.array(fc.record({ at: fc.nat(), value: fc.nat(255) }), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
    ).map(([m, edits, fix]) => () => {
      const frame = encodeMessage(m, { network: "regtest" }).slice();
      // Mostly in the payload, where the decoders live; sometimes in the header.
      for (const { at, value } of edits) frame[at % frame.length] = value;
      if (fix) fixChecksum(frame);
      return frame;
    }),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => () => b) },
);

const chunking = fc.integer({ min: 1, max: 4096 });

async function feed(
  write: (bytes: Uint8Array) => Promise<boolean>,
  bytes: Uint8Array[],
  chunk: number,
): Promise<void> {
  const all = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of bytes) {
    all.set(b, at);
    at += b.length;
  }
  for (let i = 0; i < all.length; i += chunk) {
    if (!(await write(all.subarray(i, i + chunk)))) return; // the peer hung up
  }
}

Deno.test("a peer survives anything a remote sends", async (t) => {
  await t.step("after the handshake, in either direction", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(input, { minLength: 1, maxLength: 12 }),
        chunking,
        async (inbound, inputs, chunk) => {
          const seen: (Message | UnknownMessage)[] = [];
          const { peer, remote, clock } = startPeer({
            inbound,
            // Every listener records what it got; none may see anything but a message.
            listeners: new Proxy({}, {
              get: (_target, name) =>
                name === "onVersion" || name === "onRead" || name === "onWrite"
                  ? undefined
                  : (_p: unknown, m: Message | UnknownMessage) => void seen.push(m),
            }),
          });
          await remote.handshake({ peerInbound: inbound });
          assertEquals(await peer.ready, true);
          await feed((b) => remote.sendBytes(b), inputs.map((f) => f("regtest")), chunk);
          await remote.close();
          const reason = await peer.closed;
          assert(EXPECTED_ENDS.has(reason.code), `ended with ${reason.code}: ${reason.message}`);
          assert(seen.every((m) => typeof m.command === "string"));
          assertEquals(clock.pendingTimers, 0, "no timer left behind");
        },
      ),
      { numRuns: 60 },
    );
  });

  await t.step("before and during the handshake", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(input, { minLength: 1, maxLength: 6 }),
        chunking,
        async (inbound, inputs, chunk) => {
          const { peer, remote, clock } = startPeer({ inbound });
          await feed((b) => remote.sendBytes(b), inputs.map((f) => f("regtest")), chunk);
          await remote.close();
          const reason = await peer.closed;
          assert(EXPECTED_ENDS.has(reason.code), `ended with ${reason.code}: ${reason.message}`);
          assertEquals(await peer.ready, false);
          assertEquals(clock.pendingTimers, 0, "no timer left behind");
        },
      ),
      { numRuns: 60 },
    );
  });
});

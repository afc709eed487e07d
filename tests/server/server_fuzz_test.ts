// Whatever a remote sends after its handshake, the server's own handling (gossip, bans,
// misbehaviour, the version policy) never throws: the peer ends, if it ends, for a reason
// other than `listener-error` (which is what a throwing server handler would cause), no
// error is logged, and the server goes on accepting peers.
import { assert, assertEquals, assertFalse } from "@std/assert";
import fc from "fast-check";
import type { DisconnectCode } from "../../peer/disconnect.ts";
import { FakeClock } from "../../peer/fake_clock.ts";
import { MemoryNetwork } from "../../server/memory_network.ts";
import { encodeMessage, type Message } from "../../wire/mod.ts";
import { anyMessage, MESSAGE_ARBITRARIES } from "../_util/arbitraries.ts";
import { withLogs } from "../_util/logs.ts";
import { RawRemote } from "../_util/raw_remote.ts";
import { dialServer, eventually, PORT, serverAt } from "./_nodes.ts";

const EXPECTED_ENDS: ReadonlySet<DisconnectCode> = new Set<DisconnectCode>([
  "remote-closed",
  "local",
  "duplicate",
  "protocol-error",
  "misbehaving",
  "network-error",
]);

/** Mostly what the server itself handles, then anything at all. */
const message: fc.Arbitrary<Message> = fc.oneof(
  { weight: 4, arbitrary: MESSAGE_ARBITRARIES.addr as fc.Arbitrary<Message> },
  { weight: 4, arbitrary: MESSAGE_ARBITRARIES.addrv2 as fc.Arbitrary<Message> },
  { weight: 2, arbitrary: MESSAGE_ARBITRARIES.getaddr as fc.Arbitrary<Message> },
  { weight: 1, arbitrary: MESSAGE_ARBITRARIES.getdata as fc.Arbitrary<Message> },
  { weight: 1, arbitrary: MESSAGE_ARBITRARIES.mempool as fc.Arbitrary<Message> },
  { weight: 1, arbitrary: MESSAGE_ARBITRARIES.filterload as fc.Arbitrary<Message> },
  { weight: 1, arbitrary: MESSAGE_ARBITRARIES.filteradd as fc.Arbitrary<Message> },
  { weight: 1, arbitrary: MESSAGE_ARBITRARIES.filterclear as fc.Arbitrary<Message> },
  { weight: 3, arbitrary: anyMessage },
);

Deno.test("a server survives anything a remote sends after its handshake", async () => {
  const net = new MemoryNetwork();
  const clock = new FakeClock(Date.now());
  const ends: DisconnectCode[] = [];
  const server = serverAt(net, "10.0.0.1", {
    targetOutbound: 0,
    clock,
    onPeerClosed: (_, reason) => void ends.push(reason.code),
  });
  await withLogs(async (records) => {
    await server.start();
    try {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 10 }), async (messages) => {
          run++;
          const from = `10.${(run >> 8) & 255}.${run & 255}.2`; // a host of its own: bans stay
          const remote = new RawRemote(await net.host(from).dial("10.0.0.1", PORT));
          await remote.handshake({ peerInbound: true });
          await eventually(() => server.peers.length === 1, "the server to accept it");
          for (const m of messages) {
            if (!(await remote.sendBytes(encodeMessage(m, { network: "regtest" })))) break;
            await clock.tick(1_000); // lets queued addr messages go out, and bans decay
          }
          await remote.close();
          await eventually(() => server.peers.length === 0, "the server to drop it");
          const end = ends.at(-1)!;
          assert(EXPECTED_ENDS.has(end), `ended with ${end}`);
        }),
        { numRuns: 60 },
      );
      const errors = records.filter((r) => r.level === "error" || r.category.includes("listener"));
      assertEquals(errors.map((r) => r.message.join("")), []);
      assertFalse(ends.includes("listener-error"));
      // Still accepting.
      const peer = await dialServer(net, "10.99.0.1", "10.0.0.1");
      assert(await peer.ready);
      peer.disconnect();
      await peer.closed;
    } finally {
      await server.stop();
    }
  });
  assertEquals(clock.pendingTimers, 0);
});

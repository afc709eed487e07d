// `await using`: a Peer ends, and releases everything, when its scope does.
import { assertEquals } from "@std/assert";
import { memoryConnectionPair } from "../../peer/connection.ts";
import { SentNonces } from "../../peer/handshake.ts";
import { Peer } from "../../peer/peer.ts";
import type { DisconnectReason } from "../../peer/disconnect.ts";

Deno.test("await using: a Peer is disconnected and released when its scope ends", async () => {
  const [a, b] = memoryConnectionPair();
  const other = new Peer(b, { network: "regtest", inbound: true, sentNonces: new SentNonces() });
  let closed: Promise<DisconnectReason>;
  {
    await using peer = new Peer(a, { network: "regtest", sentNonces: new SentNonces() });
    closed = peer.closed;
    assertEquals(await peer.ready, true);
  }
  // Already settled when the scope ended: disposal awaited it.
  assertEquals((await closed).code, "local");
  assertEquals((await other.closed).code, "remote-closed");
});

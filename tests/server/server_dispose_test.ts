// `await using`: a Server stops, with its peers, when its scope ends.
import { assertEquals } from "@std/assert";
import { MemoryNetwork } from "../../server/memory_network.ts";
import { Server } from "../../server/server.ts";

Deno.test("await using: a Server stops with its peers when its scope ends", async () => {
  const network = new MemoryNetwork();
  let closedCode: string | undefined;
  {
    await using a = new Server({
      network: "regtest",
      net: network.host("10.0.0.1"),
      listen: { hostname: "10.0.0.1" },
    });
    await using b = new Server({
      network: "regtest",
      net: network.host("10.0.0.2"),
      connect: ["10.0.0.1"],
      onPeerClosed: (_peer, reason) => void (closedCode = reason.code),
    });
    await a.start();
    await b.start();
    await b.nextPeer();
    assertEquals(b.peers.length, 1);
  }
  // b was disposed first (reverse order): it disconnected its peer itself.
  assertEquals(closedCode, "local");
});

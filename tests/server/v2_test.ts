// The server on BIP 324's v2 transport, as Bitcoin Core since 27: NODE_P2P_V2 advertised, v2
// and v1 accepted on one listener, v2 dialed to peers that advertise it (and to manual
// peers), and a v2 dial refused before the key exchange dialed again with v1.
import { assert, assertEquals } from "@std/assert";
import { MemoryNetwork } from "../../server/memory_network.ts";
import type { FailedConnection } from "../../server/server_options.ts";
import { ServiceFlag } from "../../wire/mod.ts";
import { dialServer, eventually, freshAddress, serverAt } from "./_nodes.ts";

Deno.test("v2 server: one listener takes v2 and v1 peers, and says which in peerInfo", async () => {
  const net = new MemoryNetwork();
  const server = serverAt(net, "10.0.0.1", { targetOutbound: 0 });
  await server.start();
  try {
    const v2 = await dialServer(net, "10.0.0.2", "10.0.0.1", { transport: "v2" });
    const v1 = await dialServer(net, "10.0.0.3", "10.0.0.1", { transport: "v1" });
    assert(await v2.ready);
    assert(await v1.ready);
    assertEquals(v2.services & ServiceFlag.P2P_V2, ServiceFlag.P2P_V2, "NODE_P2P_V2 advertised");
    await eventually(() => server.peers.length === 2, "both accepted");
    const info = Object.fromEntries(server.peerInfo().map((p) => [p.addr.split(":")[0], p]));
    assertEquals(info["10.0.0.2"].transport_protocol_type, "v2");
    assertEquals(info["10.0.0.2"].session_id, v2.sessionId);
    assertEquals(info["10.0.0.3"].transport_protocol_type, "v1");
    assertEquals(info["10.0.0.3"].session_id, "");
    v2.disconnect();
    v1.disconnect();
    await Promise.all([v2.closed, v1.closed]);
  } finally {
    await server.stop();
  }
});

Deno.test("v2 server: a manual peer is dialed with v1 until known to advertise v2", async () => {
  const net = new MemoryNetwork();
  const remote = serverAt(net, "10.0.0.5", { targetOutbound: 0 });
  await remote.start();
  const server = serverAt(net, "10.0.0.1", { connect: ["10.0.0.5"], retryDurationMs: 10 });
  await server.start();
  try {
    // Its services unknown: v1 (no key and garbage sprayed at a node that may not parse it).
    const first = await server.nextPeer();
    assertEquals(first.transportProtocol, "v1");
    assertEquals(first.services & ServiceFlag.P2P_V2, ServiceFlag.P2P_V2);
    // Its version said NODE_P2P_V2: the next connection is v2.
    const next = server.nextPeer();
    first.disconnect();
    assertEquals((await next).transportProtocol, "v2");
  } finally {
    await server.stop();
    await remote.stop();
  }
});

Deno.test("v2 server: an address that advertises NODE_P2P_V2 is dialed with v2, others with v1", async (t) => {
  for (const advertised of [true, false]) {
    await t.step(advertised ? "advertised: v2" : "not advertised: v1", async () => {
      const net = new MemoryNetwork();
      const remote = serverAt(net, "10.0.0.5", { targetOutbound: 0 });
      await remote.start();
      const server = serverAt(net, "10.0.0.1", { targetOutbound: 1 });
      const address = freshAddress("10.0.0.5", 0, 18444);
      const services = ServiceFlag.NETWORK | (advertised ? ServiceFlag.P2P_V2 : 0n);
      server.addrManager.addAddresses([{ ...address, services }], freshAddress("10.0.0.9"));
      await server.start();
      try {
        const peer = await server.nextPeer();
        assertEquals(peer.transportProtocol, advertised ? "v2" : "v1");
      } finally {
        await server.stop();
        await remote.stop();
      }
    });
  }
});

Deno.test("v2 server: an automatic peer advertising v2 that speaks only v1 is redialed with v1", async () => {
  const net = new MemoryNetwork();
  const old = serverAt(net, "10.0.0.5", { targetOutbound: 0, v2Transport: false });
  await old.start();
  const failures: FailedConnection[] = [];
  const server = serverAt(net, "10.0.0.1", {
    targetOutbound: 1,
    onConnectionFailed: (f) => void failures.push(f),
  });
  const address = freshAddress("10.0.0.5", 0, 18444);
  server.addrManager.addAddresses(
    [{ ...address, services: ServiceFlag.NETWORK | ServiceFlag.P2P_V2 }],
    freshAddress("10.0.0.9"),
  );
  await server.start();
  try {
    const peer = await server.nextPeer();
    assertEquals(peer.address, "10.0.0.5:18444");
    assertEquals(peer.transportProtocol, "v1");
    assertEquals(failures.map((f) => f.reason.code), ["v2-not-supported"]);
  } finally {
    await server.stop();
    await old.stop();
  }
});

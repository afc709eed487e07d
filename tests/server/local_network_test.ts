import { assert, assertEquals } from "@std/assert";
import { AddrManager } from "../../addrmgr/addr_manager.ts";
import { MemoryStorage } from "../../addrmgr/storage.ts";
import { MemoryNetwork } from "../../server/memory_network.ts";
import type { Server } from "../../server/server.ts";
import { netAddressV2FromString, ServiceFlag } from "../../wire/mod.ts";
import { eventually, freshAddress, PORT, serverAt } from "./_nodes.ts";
import { delay } from "@std/async/delay";

Deno.test("Local network: nodes that know only the seed find each other by gossip", async () => {
  const net = new MemoryNetwork();
  const hosts = Array.from({ length: 6 }, (_, i) => `10.0.0.${i + 1}`);
  const nodes: Server[] = hosts.map((host) => serverAt(net, host, { retryDurationMs: 20 }));
  try {
    for (const [i, node] of nodes.entries()) {
      await node.start();
      if (i > 0) {
        node.addrManager.addAddress(freshAddress(hosts[0], 0, PORT), freshAddress(hosts[i]));
      }
    }
    const knowsAll = (node: Server, self: string) =>
      hosts.every((h) =>
        h === self ||
        node.addrManager.knownAddress(netAddressV2FromString(h, PORT)) !== undefined
      );
    await eventually(() => nodes.every((n, i) => knowsAll(n, hosts[i])), "full propagation");
    // Nobody stored its own address, and everybody has outbound peers beyond the seed.
    for (const [i, node] of nodes.entries()) {
      assertEquals(
        node.addrManager.knownAddress(netAddressV2FromString(hosts[i], PORT)),
        undefined,
      );
      assertEquals(node.addrManager.numAddresses(), hosts.length - 1);
    }
    await eventually(
      () => nodes.every((n) => n.peerCounts.outbound >= 2),
      "two outbound peers each",
    );
    // On a local network the one-per-group rule is off: all are in 10.0/16.
    assert(nodes.some((n) => n.peerCounts.outbound >= 3));
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
});

Deno.test("Mainnet rules: one outbound peer per network group, the default port last", async () => {
  const net = new MemoryNetwork();
  const hosts = [["8.8.1.1", 8333], ["8.8.2.2", 8333], ["9.9.9.9", 8333], [
    "7.7.7.7",
    8334,
  ]] as const;
  const listeners = hosts.map(([h, port]) => net.host(h).listen(h, port));
  const dialed: string[] = [];
  const held: { close(): void }[] = [];
  const accepting = listeners.map(async (listener) => {
    for await (const inbound of listener) {
      dialed.push(listener.hostname);
      held.push(inbound.connection); // Never answers: the dial stays an outbound slot.
    }
  });
  const book = new AddrManager({ storage: new MemoryStorage() });
  await book.start();
  book.addAddresses(hosts.map(([h, port]) => freshAddress(h, 60, port)), freshAddress("5.5.5.5"));
  const server = serverAt(net, "1.2.3.4", {
    network: "mainnet",
    listen: undefined,
    addrManager: book,
    retryDurationMs: 60_000,
  });
  await server.start();
  try {
    await eventually(() => dialed.length >= 3, "three dials");
    // Give any wrong fourth dial a chance to happen.
    await delay(50);
    assertEquals(dialed.length, 3, `dialed ${dialed}`);
    assertEquals(dialed.filter((h) => h.startsWith("8.8.")).length, 1, "one per /16");
    assert(dialed.includes("9.9.9.9"));
    // A non-default port is allowed only after 50 tries found nothing better.
    assert(dialed.includes("7.7.7.7"));
  } finally {
    await server.stop();
    for (const c of held) c.close();
    for (const l of listeners) l.close();
    await Promise.all(accepting);
    await book.stop();
  }
});

Deno.test("DNS seeding: a node with an empty book asks the seeds, then dials what they gave", async () => {
  const net = new MemoryNetwork();
  const listener = net.host("8.8.8.8").listen("8.8.8.8", 8333);
  const queries: string[] = [];
  const server = serverAt(net, "1.2.3.4", {
    network: "mainnet",
    listen: undefined,
    targetOutbound: 1,
    retryDurationMs: 10,
    requiredServices: ServiceFlag.NETWORK,
    dnsSeed: true,
    seedResolver: (host, type) => {
      queries.push(`${type} ${host}`);
      return Promise.resolve(type === "A" && host === "seed.bitcoin.sipa.be" ? ["8.8.8.8"] : []);
    },
  });
  await server.start();
  try {
    for await (const inbound of listener) {
      assertEquals(inbound.remoteHost, "1.2.3.4");
      inbound.connection.close();
      break;
    }
    assert(queries.includes("A seed.bitcoin.sipa.be"));
    assert(queries.includes("AAAA seed.bitcoin.sipa.be"));
    // With NODE_NETWORK as the only required service, no x-prefix (btcd).
    assert(queries.every((q) => !q.includes(" x")));
    const known = server.addrManager.knownAddress(netAddressV2FromString("8.8.8.8", 8333));
    assert(known, "the seed's answer is in the book");
  } finally {
    listener.close();
    await server.stop();
  }
});

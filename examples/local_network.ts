// The demo: a network of nodes on this machine. Each is a `Server` listening on 127.0.0.1 on
// a port the OS chose; all but the first know only the first (the seed). They find each
// other through `getaddr`/`addr` gossip, connect, ping, and the terminal shows it live.
//
//   deno run --allow-net=127.0.0.1 examples/local_network.ts --nodes 12
import { netAddressV2FromString, type Peer, ServiceFlag } from "../mod.ts";
import { Server } from "../server/mod.ts";
import * as cli from "./_cli.ts";

const HELP = `local_network: a Bitcoin peer-to-peer network on 127.0.0.1, no internet needed

Usage: deno run --allow-net=127.0.0.1 examples/local_network.ts [options]

Options:
  --nodes N        nodes to start (default 12; the first is the seed)
  --outbound N     outbound peers each node keeps (default 8)
  --linger S       seconds to keep running after full propagation (default 3)
  --timeout S      give up after this many seconds (default 60)
  --help           show this text

Every node listens on 127.0.0.1 on a port the OS chooses and starts knowing only the
seed's address. Nodes advertise their own address to the peers they dial, answer getaddr,
and relay fresh addresses as Bitcoin Core does; the demo reports how long it took until
every node knew every other node's address, then shows each node's peers and ping times.`;

interface Node {
  readonly name: string;
  readonly server: Server;
  port: number;
  handshakes: number;
}

async function main(args: readonly string[]): Promise<number> {
  const parsed = cli.parseArgs(args, ["nodes", "outbound", "linger", "timeout"]);
  if (parsed.positionals.length > 0) {
    throw new cli.UsageError(`Unexpected argument ${parsed.positionals[0]}`);
  }
  const count = cli.intOption(parsed, "nodes", 12, 2, 200);
  const outbound = cli.intOption(parsed, "outbound", 8, 1, 64);
  const lingerMs = cli.secondsOption(parsed, "linger", 3);
  const timeoutMs = cli.secondsOption(parsed, "timeout", 60);

  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(2)} s`;
  const events: string[] = [];
  const nodes: Node[] = [];
  const byPort = new Map<number, Node>();
  const nameOf = (peer: Peer) => {
    const port = Number(peer.address.slice(peer.address.lastIndexOf(":") + 1));
    return byPort.get(port)?.name ?? peer.address;
  };
  for (let i = 0; i < count; i++) {
    const node: Node = { name: `node${i}`, server: undefined!, port: 0, handshakes: 0 };
    (node as { server: Server }).server = new Server({
      network: "regtest", // a local test network: loopback addresses are kept and gossiped
      listen: { hostname: "127.0.0.1", port: 0 },
      targetOutbound: outbound,
      userAgentName: "local-network-demo",
      userAgentVersion: String(i),
      services: ServiceFlag.NETWORK | ServiceFlag.WITNESS,
      pingIntervalMs: 1_000, // so the demo shows round trips; a real node pings every 2 min
      retryDurationMs: 250, // look for new addresses often; btcd waits 5 s
      onPeerReady: (peer) => {
        node.handshakes++;
        if (!peer.inbound) events.push(`${elapsed()}  ${node.name} ⇄ ${nameOf(peer)}`);
      },
    });
    nodes.push(node);
  }
  for (const node of nodes) {
    await node.server.start();
    node.port = node.server.listenAddresses[0].port;
    byPort.set(node.port, node);
  }
  const seed = nodes[0];
  const now = Math.floor(Date.now() / 1000);
  const seedAddress = netAddressV2FromString("127.0.0.1", seed.port, {
    timestamp: now,
    services: ServiceFlag.NETWORK | ServiceFlag.WITNESS,
  });
  for (const node of nodes.slice(1)) node.server.addrManager.addAddress(seedAddress, seedAddress);
  console.log(
    `${count} nodes on 127.0.0.1 (ports ${nodes.map((n) => n.port).join(", ")}); ` +
      `the seed is ${seed.name} on ${seed.port}`,
  );

  const known = (node: Node) => node.server.addrManager.numAddresses();
  const status = cli.statusLine();
  let propagatedAt: string | undefined;
  let propagatedMs = 0;
  let interrupted = false;
  const removeInterrupt = cli.onInterrupt(() => interrupted = true);
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (events.length > 0 && Deno.stderr.isTerminal()) {
        Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[2K")); // clear the status line
      }
      for (const line of events.splice(0)) console.log(line);
      const peers = nodes.reduce((n, node) => n + node.server.peerCounts.outbound, 0);
      const full = nodes.filter((node) => known(node) >= count - 1).length;
      status.update(
        `${elapsed()}  connections ${peers}  known addresses per node ` +
          `[${nodes.map(known).join(" ")}]  ping ${averagePing(nodes)}`,
      );
      if (propagatedAt === undefined && full === count) {
        propagatedAt = elapsed();
        propagatedMs = performance.now() - started;
        status.update(`full address propagation in ${propagatedAt}`, true);
        console.log(`full address propagation: every node knows all ${count - 1} others`);
      }
      const since = performance.now() - started;
      if (interrupted) break;
      if (propagatedAt !== undefined && since > propagatedMs + lingerMs) break;
      if (propagatedAt === undefined && since > timeoutMs) break;
    }
  } finally {
    removeInterrupt();
  }
  printSummary(nodes, nameOf);
  await Promise.all(nodes.map((node) => node.server.stop()));
  if (propagatedAt === undefined) {
    console.log(`addresses did not reach every node within ${timeoutMs / 1000} s`);
    return interrupted ? 130 : 1;
  }
  console.log(`time to full address propagation: ${propagatedAt}`);
  return 0;
}

/** The average of every peer's last ping round trip, over all nodes. */
function averagePing(nodes: readonly Node[]): string {
  const pings = nodes.flatMap((node) =>
    node.server.peerInfo().flatMap((p) => p.pingtime === undefined ? [] : [p.pingtime * 1000])
  );
  if (pings.length === 0) return "-";
  return `${(pings.reduce((a, b) => a + b, 0) / pings.length).toFixed(2)} ms`;
}

function printSummary(nodes: readonly Node[], nameOf: (peer: Peer) => string): void {
  const rows = [["node", "port", "out", "in", "known", "ping avg", "sent", "received", "peers"]];
  for (const node of nodes) {
    const info = node.server.peerInfo();
    const pings = info.flatMap((p) => p.pingtime === undefined ? [] : [p.pingtime * 1000]);
    const average = pings.length === 0
      ? "-"
      : `${(pings.reduce((a, b) => a + b, 0) / pings.length).toFixed(2)} ms`;
    const counts = node.server.peerCounts;
    rows.push([
      node.name,
      String(node.port),
      String(counts.outbound),
      String(counts.inbound),
      String(node.server.addrManager.numAddresses()),
      average,
      kib(info.reduce((n, p) => n + p.bytessent, 0)),
      kib(info.reduce((n, p) => n + p.bytesrecv, 0)),
      node.server.peers.filter((p) => !p.inbound).map(nameOf).map((n) => n.replace("node", ""))
        .join(" "),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log("");
  for (const [i, row] of rows.entries()) {
    console.log(
      row.map((cell, c) => c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))
        .slice(0, -1).join("  ") + `  ${row.at(-1)}`,
    );
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
  console.log(
    "(out: outbound peers, listed under peers by node number; known: addresses in its book)",
  );
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

await cli.runCli("local_network", HELP, main);

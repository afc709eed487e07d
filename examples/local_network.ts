// The demo: a network of nodes on this machine. Each is a `Server` listening on 127.0.0.1 on
// a port the OS chose; all but the first know only the first (the seed). They find each
// other through `getaddr`/`addr` gossip, connect, ping, and the terminal shows it live.
//
//   deno run --allow-net=127.0.0.1 examples/local_network.ts --nodes 12
import { delay } from "@std/async/delay";
import { format as formatBytes } from "@std/fmt/bytes";
import { bold, green } from "@std/fmt/colors";
import { netAddressV2FromString, type Peer, ServiceFlag } from "../mod.ts";
import { Server } from "../server/mod.ts";
import * as cli from "./_cli.ts";
import { type Output, setupOutput } from "./_log.ts";

const HELP = `local_network: a Bitcoin peer-to-peer network on 127.0.0.1, no internet needed

Usage: deno run --allow-net=127.0.0.1 examples/local_network.ts [options]

Options:
  --nodes N          nodes to start (default 12; the first is the seed)
  --outbound N       outbound peers each node keeps (default 8)
  --linger S         seconds to keep running after full propagation (default 3)
  --timeout S        give up after this many seconds (default 60)
  --log-format F     text (default) or json (JSON Lines, one object per line)
  --help             show this text

Every node listens on 127.0.0.1 on a port the OS chooses and starts knowing only the
seed's address. Nodes advertise their own address to the peers they dial, answer getaddr,
and relay fresh addresses; the demo reports how long it took until every node knew every
other node's address, then shows each node's peers and ping times.

To show in seconds what takes minutes on the real network, the demo's nodes ping every
second (a node pings every 2 minutes), look for new addresses every 250 ms when they have
none to dial (btcd waits 5 s), and send addresses a quarter second apart on average
(Bitcoin Core: 30 s). Everything else is the library's defaults for a local test network.`;

interface Node {
  readonly name: string;
  readonly server: Server;
  port: number;
}

async function main(args: readonly string[]): Promise<number> {
  const parsed = cli.parseArgs(args, { options: ["nodes", "outbound", "linger", "timeout"] });
  if (parsed.positionals.length > 0) {
    throw new cli.UsageError(`Unexpected argument ${parsed.positionals[0]}`);
  }
  const count = cli.intOption(parsed, "nodes", 12, 2, 200);
  const outbound = cli.intOption(parsed, "outbound", 8, 1, 64);
  const lingerMs = cli.secondsOption(parsed, "linger", 3);
  const timeoutMs = cli.secondsOption(parsed, "timeout", 60);
  const out = await setupOutput("local_network", cli.logFormatOption(parsed));

  let started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const elapsed = () => `${seconds().toFixed(2)} s`;
  const events: [string, Record<string, unknown>][] = [];
  const nodes: Node[] = [];
  const byPort = new Map<number, Node>();
  const nameOf = (peer: Peer) => {
    const port = Number(peer.address.slice(peer.address.lastIndexOf(":") + 1));
    return byPort.get(port)?.name ?? peer.address;
  };
  const makeNode = (i: number): Node => {
    const name = `node${i}`;
    const server = new Server({
      network: "regtest", // a local test network: loopback addresses are kept and gossiped
      listen: { hostname: "127.0.0.1", port: 0 },
      targetOutbound: outbound,
      userAgentName: "local-network-demo",
      userAgentVersion: String(i),
      services: ServiceFlag.NETWORK | ServiceFlag.WITNESS,
      pingIntervalMs: 1_000, // so the demo shows round trips; a real node pings every 2 min
      retryDurationMs: 250, // look for new addresses often; btcd waits 5 s
      addrSendIntervalMs: 250, // addresses go out within moments; Core averages 30 s
      onPeerReady: (peer) => {
        if (peer.inbound) return;
        const to = nameOf(peer);
        events.push([`${elapsed()}  ${name} ⇄ ${to}`, { at: seconds(), from: name, to }]);
      },
    });
    return { name, server, port: 0 };
  };
  const start = async (node: Node) => {
    await node.server.start();
    node.port = node.server.listenAddresses[0].port;
    byPort.set(node.port, node);
    nodes.push(node);
  };
  const [seed, ...others] = Array.from({ length: count }, (_, i) => makeNode(i));
  // Times count from the seed's start. Every other node starts with the seed's address in its
  // book, so that its first look for a peer finds one.
  started = performance.now();
  await start(seed);
  // As the seed announces itself: with NODE_P2P_V2, so the others dial it with BIP 324's v2.
  const seedAddress = netAddressV2FromString("127.0.0.1", seed.port, {
    timestamp: Math.floor(Date.now() / 1000),
    services: ServiceFlag.NETWORK | ServiceFlag.WITNESS | ServiceFlag.P2P_V2,
  });
  for (const node of others) {
    node.server.addrManager.addAddress(seedAddress, seedAddress);
    await start(node);
  }
  out.info(
    `${count} nodes on 127.0.0.1 (ports ${nodes.map((n) => n.port).join(", ")}); ` +
      `the seed is ${seed.name} on ${seed.port}`,
    { nodes: count, ports: nodes.map((n) => n.port), seed: seed.name },
  );

  const known = (node: Node) => node.server.addrManager.numAddresses();
  const status = cli.progress({ quiet: out.json });
  let propagatedAt: string | undefined;
  let propagatedMs = 0;
  let interrupted = false;
  const removeInterrupt = cli.onInterrupt(() => interrupted = true);
  try {
    for (;;) {
      await delay(50);
      if (events.length > 0) status.clear();
      for (const [line, properties] of events.splice(0)) out.info(line, properties);
      const peers = nodes.reduce((n, node) => n + node.server.peerCounts.outbound, 0);
      const full = nodes.filter((node) => known(node) >= count - 1).length;
      status.update(
        `${elapsed()}  connections ${peers}  known addresses per node ` +
          `[${nodes.map(known).join(" ")}]  ping ${averagePing(nodes)}`,
      );
      if (propagatedAt === undefined && full === count) {
        propagatedAt = elapsed();
        propagatedMs = performance.now() - started;
        await status.done(`full address propagation in ${propagatedAt}`);
        out.info(
          green(`full address propagation: every node knows all ${count - 1} others`),
          { seconds: propagatedMs / 1000 },
        );
      }
      const since = performance.now() - started;
      if (interrupted) break;
      if (propagatedAt !== undefined && since > propagatedMs + lingerMs) break;
      if (propagatedAt === undefined && since > timeoutMs) break;
    }
  } finally {
    removeInterrupt();
  }
  if (propagatedAt === undefined) await status.done(`${elapsed()}  stopped`);
  printSummary(out, nodes, nameOf);
  await Promise.all(nodes.map((node) => node.server.stop()));
  if (propagatedAt === undefined) {
    // Which node lacks which address, so that a network that did not converge can be read.
    for (const node of nodes) {
      const lacks = nodes.filter((other) =>
        other !== node &&
        node.server.addrManager.knownAddress(
            netAddressV2FromString("127.0.0.1", other.port),
          ) === undefined
      ).map((other) => other.name);
      if (lacks.length === 0) continue;
      const peers = node.server.peers;
      const list = (inbound: boolean) =>
        peers.filter((p) => p.inbound === inbound).map(nameOf).join(" ") || "-";
      out.info(
        `${node.name} lacks ${lacks.join(", ")}; outbound to ${list(false)}; inbound from ${
          list(true)
        }`,
        { node: node.name, lacks },
      );
    }
    out.info(`addresses did not reach every node within ${timeoutMs / 1000} s`, {
      timeoutSeconds: timeoutMs / 1000,
      interrupted,
    });
    return interrupted ? 130 : 1;
  }
  out.info(bold(`time to full address propagation: ${propagatedAt}`), {
    seconds: propagatedMs / 1000,
  });
  return 0;
}

/** The average of pings in milliseconds, or undefined without any. */
function average(pingsMs: readonly number[]): number | undefined {
  return pingsMs.length === 0 ? undefined : pingsMs.reduce((a, b) => a + b, 0) / pingsMs.length;
}

function pingsMs(node: Node): number[] {
  return node.server.peerInfo().flatMap((p) => p.pingtime === undefined ? [] : [p.pingtime * 1000]);
}

/** The average of every peer's last ping round trip, over all nodes. */
function averagePing(nodes: readonly Node[]): string {
  const ms = average(nodes.flatMap(pingsMs));
  return ms === undefined ? "-" : `${ms.toFixed(2)} ms`;
}

function printSummary(out: Output, nodes: readonly Node[], nameOf: (peer: Peer) => string): void {
  const rows = [
    ["node", "port", "out", "in", "v2", "known", "ping avg", "sent", "received", "peers"],
  ];
  const records: Record<string, unknown>[] = [];
  for (const node of nodes) {
    const info = node.server.peerInfo();
    const ping = average(pingsMs(node));
    const counts = node.server.peerCounts;
    const sent = info.reduce((n, p) => n + p.bytessent, 0);
    const received = info.reduce((n, p) => n + p.bytesrecv, 0);
    const peers = node.server.peers.filter((p) => !p.inbound).map(nameOf);
    rows.push([
      node.name,
      String(node.port),
      String(counts.outbound),
      String(counts.inbound),
      `${info.filter((p) => p.transport_protocol_type === "v2").length}/${info.length}`,
      String(node.server.addrManager.numAddresses()),
      ping === undefined ? "-" : `${ping.toFixed(2)} ms`,
      formatBytes(sent, { binary: true }),
      formatBytes(received, { binary: true }),
      peers.map((n) => n.replace("node", "")).join(" "),
    ]);
    records.push({
      node: node.name,
      port: node.port,
      outbound: counts.outbound,
      inbound: counts.inbound,
      v2: info.filter((p) => p.transport_protocol_type === "v2").length,
      known: node.server.addrManager.numAddresses(),
      pingMs: ping ?? null,
      bytesSent: sent,
      bytesReceived: received,
      peers,
    });
  }
  if (out.json) {
    for (const record of records) out.info(`${record.node}`, record);
    return;
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  out.info("");
  for (const [i, row] of rows.entries()) {
    out.info(
      row.map((cell, c) => c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))
        .slice(0, -1).join("  ") + `  ${row.at(-1)}`,
    );
    if (i === 0) out.info(widths.map((w) => "-".repeat(w)).join("  "));
  }
  out.info(
    "(out: outbound peers, listed under peers by node number; v2: connections on BIP 324's v2 transport; known: addresses in its book)",
  );
}

await cli.runCli("local_network", HELP, main);

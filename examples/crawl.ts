// Crawls a Bitcoin network: from some addresses (or the DNS seeds), connects to each node,
// handshakes, asks for addresses with `getaddr`, and queues the new ones; one JSON line per
// node tried, and a summary of what answered.
//
//   deno run --allow-net --allow-write examples/crawl.ts --network signet --max 200
//   deno run --allow-net=127.0.0.1 --allow-write examples/crawl.ts --network regtest \
//     --seeds 127.0.0.1:18444 --out -
import { deadline } from "@std/async/deadline";
import { pooledMap } from "@std/async/pool";
import { isRoutable } from "../addrmgr/mod.ts";
import {
  BIP155Network,
  netAddressToV2,
  type NetAddressV2,
  netAddressV2ToString,
  type Network,
  Peer,
} from "../mod.ts";
import { DNS_SEEDS, seedFromDns, tcpNet } from "../server/mod.ts";
import * as cli from "./_cli.ts";
import { type Output, setupOutput } from "./_log.ts";

const HELP = `crawl: walk a Bitcoin network's nodes through their address gossip

Usage: deno run --allow-net --allow-write examples/crawl.ts [options]

Options:
  --network NAME     mainnet (default), testnet3, testnet4, signet or regtest
  --seeds LIST       host:port,... to start from (default: the network's DNS seeds)
  --concurrency N    connections at once (default 32)
  --max N            nodes to try at most (default: until the queue is empty)
  --out FILE         where the JSON lines go, one per node tried (default crawl.jsonl;
                     - for stdout, and the summary then goes to stderr)
  --timeout S        seconds to connect and handshake (default 10)
  --wait S           seconds to wait for addresses after getaddr (default 5)
  --log-format F     text (default) or json: the summary and messages as JSON Lines (to
                     stderr with --out -), and no progress display
  --help             show this text

Each JSON line: {addr, ok, error?, version, services (16 hex digits), userAgent, startHeight,
addrsLearned (addresses it gave), addrsNew (of those, newly queued), rttMs (ping)}. Progress
goes to stderr. Exits 0 when at least one node answered, 1 when none could be reached, 130
on Ctrl-C (which stops the crawl and still prints the summary).`;

/** What one node gave us; `null` where the handshake did not get that far. */
interface NodeResult {
  addr: string;
  ok: boolean;
  error?: string;
  version: number | null;
  services: string | null;
  userAgent: string | null;
  startHeight: number | null;
  addrsLearned: number;
  addrsNew: number;
  rttMs: number | null;
}

const UNKNOWN = {
  version: null,
  services: null,
  userAgent: null,
  startHeight: null,
  addrsLearned: 0,
  addrsNew: 0,
  rttMs: null,
} as const;

interface Settings {
  network: Network;
  timeoutMs: number;
  waitMs: number;
  signal: AbortSignal;
}

/** Connects, handshakes, pings, asks for addresses; never throws. */
async function visit(
  target: { host: string; port: number },
  settings: Settings,
  learn: (addresses: readonly NetAddressV2[]) => number,
): Promise<NodeResult> {
  const addr = cli.joinHostPort(target.host, target.port);
  const failed = (error: string): NodeResult => ({ addr, ok: false, error, ...UNKNOWN });
  let connection;
  try {
    connection = await tcpNet().dial(target.host, target.port, {
      signal: settings.signal,
      timeoutMs: settings.timeoutMs,
    });
  } catch (error) {
    return failed(cli.errorMessage(error));
  }
  const nonce = crypto.getRandomValues(new BigUint64Array(1))[0];
  const pong = Promise.withResolvers<void>();
  const answered = Promise.withResolvers<void>();
  const received = new Set<string>();
  let fresh = 0;
  const take = (addresses: readonly NetAddressV2[]) => {
    for (const na of addresses) received.add(cli.joinHostPort(netAddressV2ToString(na), na.port));
    fresh += learn(addresses);
    // Nodes announce themselves in one-address messages; the getaddr answer is the bigger one.
    if (addresses.length > 1) answered.resolve();
  };
  const peer = new Peer(connection, {
    network: settings.network,
    address: addr,
    userAgentName: "crawl",
    userAgentVersion: "0.1.0",
    disableRelayTx: true,
    negotiateTimeoutMs: settings.timeoutMs,
    listeners: {
      onAddr: (_peer, message) => take(message.addresses.map(netAddressToV2)),
      onAddrV2: (_peer, message) => take(message.addresses),
      onPong: (_peer, message) => {
        if (message.nonce === nonce) pong.resolve();
      },
    },
  });
  const stop = () => peer.disconnect("Crawl interrupted");
  settings.signal.addEventListener("abort", stop);
  if (settings.signal.aborted) stop();
  try {
    if (!await peer.ready) return failed((await peer.closed).message);
    void peer.queueMessage({ command: "ping", nonce });
    void peer.queueMessage({ command: "getaddr" });
    // Until the pong and the addresses came, the peer left, or the wait is over.
    await deadline(
      Promise.race([Promise.all([pong.promise, answered.promise]), peer.closed]),
      settings.waitMs,
    ).catch(() => undefined);
    const v = peer.remoteVersion!;
    return {
      addr,
      ok: true,
      version: v.protocolVersion,
      services: cli.servicesHex(v.services),
      userAgent: v.userAgent,
      startHeight: v.startHeight,
      addrsLearned: received.size,
      addrsNew: fresh,
      rttMs: peer.lastPingMicros > 0 ? peer.lastPingMicros / 1000 : null,
    };
  } finally {
    settings.signal.removeEventListener("abort", stop);
    peer.disconnect("Crawl done");
    await peer.closed;
  }
}

/** Whether we can dial it: IPv4 or IPv6 with a port, and routable unless on regtest. */
function dialable(na: NetAddressV2, network: Network): boolean {
  if (na.networkId !== BIP155Network.IPV4 && na.networkId !== BIP155Network.IPV6) return false;
  if (na.port === 0 || na.address.every((b) => b === 0)) return false;
  return network.name === "regtest" || isRoutable(na);
}

/** Counts by key, most common first. */
function tally(results: readonly NodeResult[], key: (r: NodeResult) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

async function main(args: readonly string[]): Promise<number> {
  const parsed = cli.parseArgs(args, {
    options: ["network", "seeds", "concurrency", "max", "out", "timeout", "wait"],
  });
  const network = cli.networkOption(parsed);
  const concurrency = cli.intOption(parsed, "concurrency", 32, 1, 1000);
  const max = cli.intOption(parsed, "max", Infinity, 1);
  const outFile = cli.stringOption(parsed, "out", "crawl.jsonl");
  const timeoutMs = cli.secondsOption(parsed, "timeout", 10);
  const waitMs = cli.secondsOption(parsed, "wait", 5);
  const format = cli.logFormatOption(parsed);
  if (parsed.positionals.length > 0) {
    throw new cli.UsageError(`Unexpected ${parsed.positionals[0]}`);
  }
  const seeds = cli.stringOption(parsed, "seeds", "").split(",").filter((s) => s !== "")
    .map((s) => cli.parseHostPort(s.trim(), network.defaultPort));
  if (seeds.length === 0 && !DNS_SEEDS[network.name]?.length) {
    throw new cli.UsageError(`${network.name} has no DNS seeds: give --seeds`);
  }
  // With --out -, the JSON lines have stdout, and everything else goes to stderr.
  const out = await setupOutput("crawl", format, { stdoutTaken: outFile === "-" });

  const queue: { host: string; port: number }[] = [];
  const seen = new Set<string>();
  const enqueue = (host: string, port: number): boolean => {
    const key = cli.joinHostPort(host, port);
    if (seen.has(key)) return false;
    seen.add(key);
    queue.push({ host, port });
    return true;
  };
  for (const { host, port } of seeds) enqueue(host, port);
  if (seeds.length === 0) {
    out.note(`crawl: asking the DNS seeds of ${network.name}...`, { network: network.name });
    const answers = await seedFromDns(network, { timeoutMs });
    for (const { seed, addresses, error } of answers) {
      const text = error ? cli.errorMessage(error) : `${addresses.length} addresses`;
      out.note(`  ${seed}: ${text}`, { seed, addresses: addresses.length, error: error?.message });
      for (const na of addresses) enqueue(netAddressV2ToString(na), na.port);
    }
    if (queue.length === 0) throw new Error("No addresses from the DNS seeds");
  }

  const output = cli.lineWriter(
    outFile === "-"
      ? Deno.stdout
      : await Deno.open(outFile, { write: true, create: true, truncate: true }),
  );

  const results: NodeResult[] = [];
  let started = 0;
  let inFlight = 0;
  let reachable = 0;
  const status = cli.progress({ sized: true, quiet: out.json });
  const progress = () =>
    status.update(
      `tried ${results.length} / reachable ${reachable} / queued ${queue.length} / ` +
        `in flight ${inFlight}`,
      results.length,
      results.length + inFlight + Math.min(queue.length, max - started),
    );

  const controller = new AbortController();
  let interrupted = false;
  // Wakes the feed below when a visit ends or the queue grows.
  let wake = Promise.withResolvers<void>();
  const removeSignals = cli.onInterrupt(() => {
    interrupted = true;
    controller.abort();
    wake.resolve();
  });
  const settings: Settings = { network, timeoutMs, waitMs, signal: controller.signal };
  const learn = (addresses: readonly NetAddressV2[]) => {
    const fresh =
      addresses.filter((na) => dialable(na, network) && enqueue(netAddressV2ToString(na), na.port))
        .length;
    if (fresh > 0) wake.resolve();
    return fresh;
  };
  /** The nodes to visit, as the queue fills, until it is empty and nothing is in flight. */
  async function* feed(): AsyncGenerator<{ host: string; port: number }> {
    while (!interrupted && started < max) {
      if (queue.length > 0) {
        started++;
        inFlight++;
        yield queue.shift()!;
        progress();
        continue;
      }
      if (inFlight === 0) return;
      await wake.promise;
      wake = Promise.withResolvers<void>();
    }
  }
  const visitOne = async (target: { host: string; port: number }) => {
    try {
      return await visit(target, settings, learn);
    } finally {
      inFlight--;
      wake.resolve();
    }
  };
  try {
    for await (const result of pooledMap(concurrency, feed(), visitOne)) {
      results.push(result);
      if (result.ok) reachable++;
      output.write(JSON.stringify(result));
      progress();
    }
  } finally {
    removeSignals();
    await output.close();
  }
  await status.done(
    `tried ${results.length} / reachable ${reachable} / queued ${queue.length} / in flight 0`,
  );
  return summarize(out, results, {
    queued: queue.length,
    why: interrupted
      ? " (interrupted)"
      : started >= max && queue.length > 0
      ? " (--max reached)"
      : "",
    outFile,
    interrupted,
  });
}

/** Prints the summary; returns the exit code: 130 when interrupted, 1 when nobody answered. */
function summarize(
  out: Output,
  results: readonly NodeResult[],
  { queued, why, outFile, interrupted }: {
    queued: number;
    why: string;
    outFile: string;
    interrupted: boolean;
  },
): number {
  const ok = results.filter((r) => r.ok);
  out.info(
    `crawl: ${results.length} tried, ${ok.length} reachable, ` +
      `${results.length - ok.length} failed, ${queued} left in the queue${why}`,
    { tried: results.length, reachable: ok.length, failed: results.length - ok.length, queued },
  );
  if (outFile !== "-") out.info(`results in ${outFile}`, { file: outFile });
  if (ok.length > 0) {
    const services = (r: NodeResult) => cli.formatServices(BigInt(`0x${r.services}`));
    for (
      const [title, key] of [
        ["user agent", (r: NodeResult) => r.userAgent!],
        ["protocol version", (r: NodeResult) => String(r.version)],
        ["services", services],
      ] as const
    ) {
      const counts = tally(ok, key);
      const lines = counts.map(([k, n]) => `  ${String(n).padStart(6)}  ${k}`).join("\n");
      out.info(`by ${title}:\n${lines}`, { by: title, counts: Object.fromEntries(counts) });
    }
  }
  if (interrupted) return 130;
  if (ok.length === 0) {
    out.error(`no node could be reached (${results.length} tried)`, { tried: results.length });
    return 1;
  }
  return 0;
}
await cli.runCli("crawl", HELP, main);

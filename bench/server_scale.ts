// Many inbound peers on one Server: N connections to a server listening on 127.0.0.1, dialed
// from a second process, every handshake completed. Reports the time to connect them all and
// the server's memory per peer:
//   - the server starts, and 20 peers dialed from this process connect, handshake and close, so
//     that loading and compiling the server's and the peer's code (a one-time cost) is not
//     counted per peer; then its resident memory is read after a memory-reducing collection;
//   - a second process (this script with `--dialer`) opens N connections with plain Peers, at
//     most `--concurrency` handshakes in flight, and reports when all are ready;
//   - once the server has accepted N peers past the handshake, its memory is read again the same
//     way, and the difference divided by N;
//   - the dialer is told to close everything, and the server must see every peer go.
// Any connection that fails (dial, handshake, or dropped while held) is reported, with why, and
// the script exits non-zero.
//
// Each process holds N sockets, so the open-file limit must exceed N; Deno cannot raise it, so
// the task raises it in bash first (the dialer inherits it), and the script checks it.
// The server is a default Server (BIP 324's v2 on); the dialer's peers use `--transport`
// (default v2, as between two nodes of today; v1 for the old figures).
// Run: deno task bench:scale [--peers 10000] [--concurrency 256] [--timeout 300 (s)]
//   [--transport v2|v1]
import { configure, type LogRecord } from "@logtape/logtape";
import { deadline, delay, pooledMap } from "@std/async";
import { parseArgs } from "@std/cli/parse-args";
import { format as formatBytes } from "@std/fmt/bytes";
import { TextLineStream } from "@std/streams/text-line-stream";
import { Peer, SentNonces } from "../peer/mod.ts";
import { Server } from "../server/mod.ts";

const HOST = "127.0.0.1";
const WARM_UP_PEERS = 20;
// V8's gc() with a memory-reducing ("last-resort") full collection, so that RSS shows what
// is retained rather than how far the young generation grew while handshakes were running.
const gc = (globalThis as { gc?: (options?: object) => void }).gc;

interface Sample {
  rss: number;
  heapUsed: number;
  external: number;
}

/** What the dialer prints, one JSON object per line. */
type DialerMessage =
  | {
    event: "ready";
    ok: number;
    firstDialAt: number;
    allReadyAt: number;
    failures: Record<string, number>;
    before: Sample;
    after: Sample;
  }
  | { event: "closed"; droppedWhileHeld: Record<string, number> };

/** Milliseconds since the epoch, sub-millisecond and comparable across the two processes. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

async function settle(): Promise<Sample> {
  for (let i = 0; i < 5; i++) {
    gc?.({ type: "major", execution: "sync", flavor: "last-resort" });
    await delay(50);
  }
  const { rss, heapUsed, external } = Deno.memoryUsage();
  // Deno reads RSS from /proc/self/statm and gives 0 when it cannot open it (no file
  // descriptor left): NaN then, rather than a figure that looks real.
  return { rss: rss === 0 ? NaN : rss, heapUsed, external };
}

const ARGS = parseArgs(Deno.args, {
  string: ["peers", "concurrency", "timeout", "port", "transport"],
  boolean: ["dialer"],
});

function option(name: "peers" | "concurrency" | "timeout" | "port", fallback: number): number {
  const text = ARGS[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Invalid --${name} "${text}": expected a positive integer`);
  }
  return value;
}

const TRANSPORT: "v1" | "v2" = ARGS.transport === "v1" ? "v1" : "v2";
if (ARGS.transport !== undefined && ARGS.transport !== "v1" && ARGS.transport !== "v2") {
  throw new RangeError(`Invalid --transport "${ARGS.transport}": expected v1 or v2`);
}

function count(tally: Record<string, number>, key: string): void {
  tally[key] = (tally[key] ?? 0) + 1;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

// ─── The dialer (child process) ──────────────────────────────────────────────────────────

async function dialer(port: number, n: number, concurrency: number): Promise<void> {
  const send = (message: DialerMessage) => console.log(JSON.stringify(message));
  const nonces = new SentNonces();
  const peers: Peer[] = [];
  const failures: Record<string, number> = {};
  const droppedWhileHeld: Record<string, number> = {};
  let closing = false;
  const before = await settle();

  async function dialOne(): Promise<void> {
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname: HOST, port });
    } catch (error) {
      count(failures, `dial: ${describe(error)}`);
      return;
    }
    // As the server's transport does for its own dials.
    conn.setNoDelay(true);
    const peer = new Peer(conn, { network: "regtest", sentNonces: nonces, transport: TRANSPORT });
    if (await peer.ready) {
      peers.push(peer);
      peer.closed.then((reason) => {
        if (!closing) count(droppedWhileHeld, `${reason.code}: ${reason.message}`);
      });
    } else {
      const reason = await peer.closed;
      count(failures, `handshake: ${reason.code}: ${reason.message}`);
    }
  }
  const firstDialAt = now();
  // dialOne never throws, so the pool runs all n.
  await Array.fromAsync(pooledMap(concurrency, Array.from({ length: n }), dialOne));
  const allReadyAt = now();
  const after = await settle();
  send({ event: "ready", ok: peers.length, firstDialAt, allReadyAt, failures, before, after });

  // Hold the peers until told to close: a "close" line, or the end of stdin (the parent
  // went away).
  const input = Deno.stdin.readable.pipeThrough(new TextDecoderStream())
    .pipeThrough(new TextLineStream());
  for await (const line of input) if (line === "close") break;
  closing = true;
  for (const peer of peers) peer.disconnect("Benchmark done");
  await Promise.all(peers.map((p) => p.closed));
  send({ event: "closed", droppedWhileHeld });
}

// ─── The server (parent process) ─────────────────────────────────────────────────────────

/** Polls `done` every 10 ms until it holds; throws at the deadline or on interruption. */
async function until(
  done: () => boolean,
  what: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    signal.throwIfAborted();
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await delay(10);
  }
}

/** The open-file limit, from /proc (undefined where it cannot be read). */
function openFileLimit(): number | undefined {
  try {
    const line = Deno.readTextFileSync("/proc/self/limits").split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined ? undefined : soft === "unlimited" ? Infinity : Number(soft);
  } catch {
    return undefined;
  }
}

function ephemeralPorts(): number | undefined {
  try {
    const [low, high] = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range").trim()
      .split(/\s+/).map(Number);
    return high - low + 1;
  } catch {
    return undefined;
  }
}

/** Server-side log lines worth reporting: warnings and errors, and peers that ended badly. */
async function captureLogs(): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  await configure({
    sinks: { capture: (record) => void records.push(record) },
    loggers: [
      { category: ["btcstream"], lowestLevel: "warning", sinks: ["capture"] },
      // A peer ending for any reason but a local or remote close logs at info.
      {
        category: ["btcstream", "server", "peer"],
        lowestLevel: "info",
        sinks: ["capture"],
        parentSinks: "override",
      },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  return records;
}

/** Connects and closes a few peers from this process, so code loading is not counted. */
async function warmUp(port: number, pairs: number): Promise<void> {
  const nonces = new SentNonces();
  const peers = await Promise.all(
    Array.from(
      { length: pairs },
      async () =>
        new Peer(await Deno.connect({ hostname: HOST, port }), {
          network: "regtest",
          sentNonces: nonces,
          transport: TRANSPORT,
        }),
    ),
  );
  if (!(await Promise.all(peers.map((p) => p.ready))).every((ok) => ok)) {
    throw new Error("A warm-up handshake failed");
  }
  for (const p of peers) p.disconnect();
  await Promise.all(peers.map((p) => p.closed));
}

const size = (bytes: number) => formatBytes(bytes, { binary: true, maximumFractionDigits: 1 });
// Per-peer figures stay in KiB whatever their size, so that rows and runs compare at a glance.
const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const seconds = (ms: number) => (ms / 1000).toFixed(2);

function perPeer(from: Sample, to: Sample, n: number): string {
  // An RSS that could not be read is NaN here, null once through JSON.
  const rss = from.rss > 0 && to.rss > 0 ? `${kib((to.rss - from.rss) / n)} KiB` : "unreadable";
  return `${rss} RSS (JS heap ${kib((to.heapUsed - from.heapUsed) / n)} KiB, buffers ` +
    `${kib((to.external - from.external) / n)} KiB)`;
}

async function main(): Promise<number> {
  const n = option("peers", 10_000);
  const concurrency = option("concurrency", 256);
  const timeoutMs = option("timeout", 300) * 1000;
  const limit = openFileLimit();
  if (limit !== undefined && limit < n + 100) {
    throw new Error(
      `The open-file limit is ${limit}, too low for ${n} sockets per process: raise it (ulimit -n) ` +
        `before running, as the deno.json task does`,
    );
  }
  const ports = ephemeralPorts();
  if (ports !== undefined && ports < n) {
    throw new Error(`Only ${ports} ephemeral ports (ip_local_port_range) for ${n} connections`);
  }

  const abort = new AbortController();
  const interrupt = () => abort.abort(new Error("Interrupted"));
  Deno.addSignalListener("SIGINT", interrupt);
  Deno.addSignalListener("SIGTERM", interrupt);
  const logs = await captureLogs();

  let accepted = 0;
  let lastAcceptedAt = 0;
  let gone = 0;
  const server = new Server({
    network: "regtest",
    listen: { hostname: HOST, port: 0 },
    maxPeers: n + WARM_UP_PEERS + 10,
    targetOutbound: 0,
    dnsSeed: false,
    requiredServices: 0n,
    onPeerReady: () => {
      accepted++;
      lastAcceptedAt = now();
    },
    onPeerClosed: () => void gone++,
  });
  let child: Deno.ChildProcess | undefined;
  let childExited = false;
  try {
    await server.start();
    const port = server.listenAddresses[0].port;
    await warmUp(port, WARM_UP_PEERS);
    await until(() => gone === WARM_UP_PEERS, "the warm-up peers to close", 10_000, abort.signal);
    accepted = gone = 0;
    const before = await settle();

    child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--allow-net=${HOST}`,
        ...(gc ? ["--v8-flags=--expose-gc"] : []),
        new URL(import.meta.url).pathname,
        "--dialer",
        "--port",
        String(port),
        "--peers",
        String(n),
        "--concurrency",
        String(concurrency),
        "--transport",
        TRANSPORT,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const status = child.status.finally(() => childExited = true);
    const lines = child.stdout.pipeThrough(new TextDecoderStream())
      .pipeThrough(new TextLineStream()).values();
    const readUntil = async (event: DialerMessage["event"]): Promise<DialerMessage> => {
      for (let line = await lines.next(); !line.done; line = await lines.next()) {
        if (!line.value.startsWith("{")) continue;
        const message = JSON.parse(line.value) as DialerMessage;
        if (message.event === event) return message;
      }
      const { code, signal } = await status;
      throw new Error(`The dialer exited (code ${code}, signal ${signal}) before "${event}"`);
    };
    const nextMessage = async (event: DialerMessage["event"]): Promise<DialerMessage> => {
      try {
        return await deadline(readUntil(event), timeoutMs, { signal: abort.signal });
      } catch (error) {
        if (error instanceof DOMException && error.name === "TimeoutError") {
          throw new Error(`Timed out after ${timeoutMs} ms waiting for the dialer's "${event}"`);
        }
        throw error;
      }
    };

    const ready = await nextMessage("ready");
    if (ready.event !== "ready") throw new Error("unreachable");
    // The server may count the last handshakes a moment after the dialer does.
    const serverWaitMs = ready.ok === n ? timeoutMs : 10_000;
    let shortfall: string | undefined;
    try {
      await until(
        () => accepted >= ready.ok,
        `${ready.ok} peers on the server`,
        serverWaitMs,
        abort.signal,
      );
    } catch (error) {
      if (abort.signal.aborted) throw error;
      shortfall = describe(error);
    }
    const counts = server.peerCounts;
    const withPeers = await settle();

    const closeStart = now();
    const stdin = child.stdin.getWriter();
    await stdin.write(new TextEncoder().encode("close\n"));
    await stdin.close();
    const closed = await nextMessage("closed");
    if (closed.event !== "closed") throw new Error("unreachable");
    await until(() => gone >= accepted, "the server to see every peer go", timeoutMs, abort.signal);
    const serverEmptyAt = now();
    const countsAfter = server.peerCounts;
    await server.stop();
    const childStatus = await status;

    const held = counts.inbound;
    const rows: [string, string][] = [
      ["peers handshaken (dialer / server)", `${ready.ok} / ${held} of ${n}`],
      ["transport", TRANSPORT],
      ["concurrent handshakes (dialer)", String(concurrency)],
      [
        "first dial to all handshaken, dialer",
        `${seconds(ready.allReadyAt - ready.firstDialAt)} s` +
        ` (${Math.round(ready.ok / ((ready.allReadyAt - ready.firstDialAt) / 1000))}/s)`,
      ],
      [
        "first dial to all accepted, server",
        held === 0 ? "–" : `${seconds(lastAcceptedAt - ready.firstDialAt)} s`,
      ],
      ["server RSS before / with peers", `${size(before.rss)} / ${size(withPeers.rss)}`],
      ["server memory per peer", held === 0 ? "–" : perPeer(before, withPeers, held)],
      [
        "dialer memory per peer (not warmed up)",
        ready.ok === 0 ? "–" : perPeer(ready.before, ready.after, ready.ok),
      ],
      ["close all to server empty", `${seconds(serverEmptyAt - closeStart)} s`],
    ];
    const width = Math.max(...rows.map(([what]) => what.length));
    console.log(
      `server_scale: gc between samples: ${gc ? "yes" : "no (run with --v8-flags=--expose-gc)"}`,
    );
    for (const [what, value] of rows) console.log(`| ${what.padEnd(width)} | ${value} |`);

    const problems: string[] = [];
    for (const [why, times] of Object.entries(ready.failures)) {
      problems.push(`${times} connection(s) failed: ${why}`);
    }
    for (const [why, times] of Object.entries(closed.droppedWhileHeld)) {
      problems.push(`${times} peer(s) dropped while held: ${why}`);
    }
    if (shortfall !== undefined) problems.push(shortfall);
    if (held !== ready.ok || counts.outbound !== 0) {
      problems.push(`The server counted ${held} inbound, ${counts.outbound} outbound peers`);
    }
    if (countsAfter.inbound !== 0) problems.push(`${countsAfter.inbound} peers left after close`);
    if (!childStatus.success) problems.push(`The dialer exited with code ${childStatus.code}`);
    // Grouped by the message's template, with the first one in full.
    const serverLogs = new Map<string, { times: number; first: string }>();
    for (const record of logs) {
      const key = `${record.level}: ${record.rawMessage}`;
      const seen = serverLogs.get(key);
      if (seen !== undefined) seen.times++;
      else serverLogs.set(key, { times: 1, first: record.message.map(String).join("") });
    }
    for (const { times, first } of serverLogs.values()) {
      problems.push(`server log, ${times}x like: ${first}`);
    }
    if (problems.length === 0) return 0;
    console.log("failures:");
    for (const problem of problems) console.log(`  ${problem}`);
    return 1;
  } finally {
    if (child !== undefined && !childExited) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Exited meanwhile.
      }
      await child.status;
    }
    await server.stop();
    Deno.removeSignalListener("SIGINT", interrupt);
    Deno.removeSignalListener("SIGTERM", interrupt);
  }
}

if (import.meta.main) {
  if (ARGS.dialer) {
    await dialer(option("port", 1), option("peers", 10_000), option("concurrency", 256));
  } else {
    let code = 1;
    try {
      code = await main();
    } catch (error) {
      console.error(`server_scale failed: ${describe(error)}`);
    }
    Deno.exit(code);
  }
}

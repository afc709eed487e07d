// Attacks on a default Server, measured: `deno task bench:hostile`. The server runs in a child
// process (bench/_hostile_server.ts) so that its memory is its own; this process attacks it
// over 127.0.0.1 and prints, per attack, the server's RSS before, at peak and after, how long a
// well-behaved second peer waited for its pongs meanwhile, and whether a newcomer got in.
//
//   flood     a remote completes the handshake, then sends pings and never reads
//   segments  a remote announces a 4,000,000-byte block and sends it a byte per TCP segment
//   silent    2,000 connections from one address that never say anything, then a newcomer
//   handshakes  completed handshakes from one address until the slots are full, then a newcomer
//
// The well-behaved peers connect from 127.0.0.2 (another address, as a real newcomer would).
// Run: deno task bench:hostile [--pings 1000000] [--segments 400000] [--silent 2000]
//   [--handshakes 117] [--only flood,segments,silent,handshakes]
import { parseArgs } from "@std/cli/parse-args";
import { format as formatBytes } from "@std/fmt/bytes";
import { TextLineStream } from "@std/streams";
import { Peer, SentNonces } from "../peer/mod.ts";
import { connectFrom, headerOnly, RawClient } from "../tests/_util/attacker.ts";

const args = parseArgs(Deno.args, {
  string: ["pings", "segments", "silent", "handshakes", "only"],
  default: {
    pings: "1000000",
    segments: "400000",
    silent: "2000",
    handshakes: "117",
    only: "flood,segments,silent,handshakes",
  },
});
const only = new Set(args.only.split(","));

// ─── The victim ─────────────────────────────────────────────────────────────────────────────

interface Status {
  rss: number;
  heapUsed: number;
  external: number;
  peakRss: number;
  maxLagMs: number;
  maxPingGapMs: number;
  peers: number;
  pending: number;
  recvBufferBytes: number;
  maxSendQueueBytes: number;
  sendPaused: number;
}

const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-net=127.0.0.1",
    "--allow-env",
    "--v8-flags=--expose-gc",
    new URL("./_hostile_server.ts", import.meta.url).pathname,
  ],
  stdin: "piped",
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const childLines = child.stdout.pipeThrough(new TextDecoderStream())
  .pipeThrough(new TextLineStream())[Symbol.asyncIterator]();
const childIn = child.stdin.getWriter();
const encoder = new TextEncoder();

async function nextLine(): Promise<Record<string, number>> {
  const { done, value } = await childLines.next();
  if (done) throw new Error("The server process ended");
  return JSON.parse(value);
}

async function ask(command: "status" | "reset" | "gc"): Promise<Status> {
  await childIn.write(encoder.encode(command + "\n"));
  return await nextLine() as unknown as Status;
}

const { port } = await nextLine();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (n: number) => formatBytes(n, { maximumFractionDigits: 1 });

// ─── A well-behaved peer from 127.0.0.2 ─────────────────────────────────────────────────────

interface GoodPeer {
  readonly peer: Peer;
  /** The longest wait for a pong so far (an unanswered ping counts until now). */
  maxWaitMs(): number;
  /** Every completed round trip so far, ms, in order, with when its ping went out. */
  waits(): { at: number; ms: number }[];
  pongs(): number;
  stop(): Promise<void>;
}

async function goodPeer(pingEveryMs: number): Promise<GoodPeer> {
  const connection = await connectFrom("127.0.0.2", port);
  const sent = new Map<bigint, number>();
  let maxWait = 0;
  const waits: { at: number; ms: number }[] = [];
  let pongs = 0;
  const peer = new Peer(connection, {
    network: "regtest",
    address: `127.0.0.1:${port}`,
    sentNonces: new SentNonces(),
    listeners: {
      onPong: (_p, pong) => {
        const at = sent.get(pong.nonce);
        if (at === undefined) return;
        sent.delete(pong.nonce);
        pongs++;
        maxWait = Math.max(maxWait, performance.now() - at);
        waits.push({ at, ms: performance.now() - at });
      },
    },
  });
  if (!await peer.ready) {
    throw new Error(`The good peer did not connect: ${(await peer.closed).message}`);
  }
  let nonce = 1n;
  const timer = setInterval(() => {
    sent.set(nonce, performance.now());
    void peer.queueMessage({ command: "ping", nonce: nonce++ });
  }, pingEveryMs);
  return {
    peer,
    waits: () => waits,
    maxWaitMs: () => {
      let wait = maxWait;
      for (const at of sent.values()) wait = Math.max(wait, performance.now() - at);
      return wait;
    },
    pongs: () => pongs,
    async stop() {
      clearInterval(timer);
      peer.disconnect();
      await peer.closed;
    },
  };
}

/** A newcomer from 127.0.0.2: does it complete its handshake and get a pong, and how fast? */
async function newcomer(): Promise<string> {
  const started = performance.now();
  let connection;
  try {
    connection = await connectFrom("127.0.0.2", port);
  } catch (error) {
    return `could not connect (${(error as Error).message})`;
  }
  let ponged: (() => void) | undefined;
  const pong = new Promise<void>((resolve) => (ponged = resolve));
  const peer = new Peer(connection, {
    network: "regtest",
    address: `127.0.0.1:${port}`,
    sentNonces: new SentNonces(),
    listeners: { onPong: () => ponged?.() },
  });
  const timeout = sleep(5_000).then(() => "timeout");
  const ready = await Promise.race([peer.ready, timeout]);
  let result: string;
  if (ready !== true) {
    const reason = ready === false ? (await peer.closed).message : "no handshake in 5 s";
    result = `refused: ${reason}`;
  } else {
    const readyMs = performance.now() - started;
    void peer.queueMessage({ command: "ping", nonce: 42n });
    const got = await Promise.race([pong.then(() => "pong"), timeout]);
    const pongMs = performance.now() - started;
    result = got === "pong"
      ? `got in: handshake ${readyMs.toFixed(0)} ms, pong ${pongMs.toFixed(0)} ms`
      : `handshake ${readyMs.toFixed(0)} ms, no pong in 5 s`;
  }
  peer.disconnect();
  await peer.closed;
  return result;
}

function report(name: string, before: Status, peak: Status, after: Status, lines: string[]) {
  console.log(`\n${name}`);
  console.log(
    `  server RSS: before ${mb(before.rss)}, peak ${mb(peak.peakRss)} ` +
      `(+${mb(peak.peakRss - before.rss)}), after ${mb(after.rss)} ` +
      `(+${mb(after.rss - before.rss)}); JS heap before ${mb(before.heapUsed)}, after ` +
      `${mb(after.heapUsed)}`,
  );
  for (const line of lines) console.log(`  ${line}`);
}

// ─── Attacks ────────────────────────────────────────────────────────────────────────────────

async function flood(total: number): Promise<void> {
  const before = await ask("gc");
  // The control: the same well-behaved peer for 3 s with nobody else, to tell what the
  // machine's load adds to every wait from what the flood adds.
  const alone = await goodPeer(10);
  await sleep(3_000);
  const aloneWait = alone.maxWaitMs();
  await alone.stop();
  await ask("reset");
  const good = await goodPeer(10);
  // The flooder runs in a process of its own: it must not share the measured peer's event loop.
  const flooder = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      new URL("./_hostile_flooder.ts", import.meta.url).pathname,
      String(port),
      String(total),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const flooderLines = flooder.stdout.pipeThrough(new TextDecoderStream())
    .pipeThrough(new TextLineStream())[Symbol.asyncIterator]();
  await flooderLines.next(); // connected
  const floodStart = performance.now();
  const { written, pushedBack } = JSON.parse((await flooderLines.next()).value ?? "{}");
  const during = await ask("status");
  await sleep(1_000);
  const peak = await ask("status");
  const maxWait = good.maxWaitMs();
  const pongs = good.pongs();
  await flooder.stdin.close();
  await flooder.status;
  await good.stop();
  await sleep(500);
  const after = await ask("gc");
  const sortedWaits = good.waits().map((w) => w.ms).sort((a, b) => a - b);
  const p99 = sortedWaits[Math.floor(sortedWaits.length * 0.99)] ?? NaN;
  const slow = good.waits().filter((w) => w.ms > 50).map((w) =>
    `${w.ms.toFixed(0)} ms at +${((w.at - floodStart) / 1000).toFixed(2)} s`
  );
  report(`flood: ${total.toLocaleString("en")} pings, never reading`, before, peak, after, [
    pushedBack
      ? `pushed back after ${written.toLocaleString("en")} pings (the server stopped reading); ` +
        `its send queue ${mb(during.maxSendQueueBytes)}, paused peers ${during.sendPaused}`
      : `all ${written.toLocaleString("en")} pings written`,
    `second peer: ${pongs} pongs, p99 ${p99.toFixed(1)} ms, longest wait ${
      maxWait.toFixed(1)
    } ms (alone, before the flood: ${aloneWait.toFixed(1)} ms)`,
    `waits over 50 ms: ${slow.length === 0 ? "none" : slow.join(", ")}`,
    `the server: event loop's longest stall ${peak.maxLagMs.toFixed(1)} ms; longest gap ` +
    `between two of the second peer's pings reaching it ${peak.maxPingGapMs.toFixed(1)} ms ` +
    `(sent every 10 ms)`,
  ]);
}

async function segments(count: number): Promise<void> {
  const before = await ask("gc");
  await ask("reset");
  const attacker = await RawClient.connect(port);
  if (!await attacker.handshake()) throw new Error("The trickler's handshake failed");
  await attacker.write(headerOnly("block", 4_000_000));
  const one = new Uint8Array(1);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    one[0] = i & 0xff;
    if (!await attacker.write(one)) break;
  }
  await sleep(500);
  const peak = await ask("status");
  const seconds = (performance.now() - started) / 1000;
  attacker.close();
  await sleep(500);
  const after = await ask("gc");
  const arrived = peak.recvBufferBytes;
  const limit = 2 * arrived + 16 * 1024 * 1024;
  report(
    `segments: 4,000,000 bytes declared, ${count.toLocaleString("en")} sent a byte per segment`,
    before,
    peak,
    after,
    [
      `${arrived.toLocaleString("en")} bytes held for the block in progress; growth ` +
      `${mb(peak.peakRss - before.rss)} against the limit 2 x arrived + 16 MB = ${mb(limit)}` +
      ` (${seconds.toFixed(1)} s to send)`,
    ],
  );
}

async function silent(count: number): Promise<void> {
  const before = await ask("gc");
  await ask("reset");
  const sockets: Deno.TcpConn[] = [];
  for (let i = 0; i < count; i++) {
    try {
      sockets.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    } catch {
      break;
    }
  }
  await sleep(500);
  const during = await ask("status");
  const result = await newcomer();
  const peak = await ask("status");
  for (const s of sockets) {
    try {
      s.close();
    } catch {
      // The server closed it.
    }
  }
  await sleep(500);
  const after = await ask("gc");
  report(
    `silent: ${sockets.length.toLocaleString("en")} silent connections from 127.0.0.1`,
    before,
    peak,
    after,
    [
      `server holds ${during.pending} unfinished handshakes; newcomer from 127.0.0.2: ${result}`,
    ],
  );
}

async function handshakes(count: number): Promise<void> {
  const before = await ask("gc");
  await ask("reset");
  const clients: RawClient[] = [];
  let failed = 0;
  for (let i = 0; i < count; i++) {
    const c = await RawClient.connect(port);
    if (await c.handshake()) clients.push(c);
    else {
      failed++;
      c.close();
    }
  }
  await sleep(300);
  const during = await ask("status");
  const result = await newcomer();
  const peak = await ask("status");
  for (const c of clients) c.close();
  await sleep(500);
  const after = await ask("gc");
  report(`handshakes: ${count} completed handshakes from 127.0.0.1`, before, peak, after, [
    `${clients.length} completed (${failed} refused), server has ${during.peers} peers; ` +
    `newcomer from 127.0.0.2: ${result}`,
  ]);
}

console.log(
  `Server pid ${child.pid} on 127.0.0.1:${port}; ${Deno.build.os}, ${navigator.hardwareConcurrency} cores`,
);
if (only.has("flood")) await flood(Number(args.pings));
if (only.has("segments")) await segments(Number(args.segments));
if (only.has("silent")) await silent(Number(args.silent));
if (only.has("handshakes")) await handshakes(Number(args.handshakes));
await childIn.write(encoder.encode("quit\n"));
await childIn.close();
await child.status;

// Memory per idle connected peer. Opens TCP connections on 127.0.0.1 with a peer at each end,
// completes every handshake, lets them sit idle, and reads the process's resident memory after
// a memory-reducing collection:
//   - first, 40 peers are connected, handshaken and closed, so that loading and compiling the
//     library's code (a one-time cost of the process: about 4 MB here) is not counted per peer;
//   - bare sockets (no peer), for comparison;
//   - the first 1,000 peers (500 connections), averaged;
//   - 1,000 more: the cost of each further peer;
//   - then the same two steps over BIP 324's v2 transport, in the same process.
// Run: deno task bench:memory (add `-- --cold` to count the one-time costs in the first 1,000)
import { delay } from "@std/async/delay";
import { Peer, SentNonces } from "../peer/mod.ts";
import { tcpSockets } from "./_tcp.ts";

const STEP_PAIRS = 500;
// V8's gc() with a memory-reducing ("last-resort") full collection, so that RSS shows what
// is retained rather than how far the young generation grew while handshakes were running.
const gc = (globalThis as { gc?: (options?: object) => void }).gc;

interface Sample {
  rss: number;
  heapUsed: number;
  external: number;
}

async function settle(): Promise<Sample> {
  for (let i = 0; i < 5; i++) {
    gc?.({ type: "major", execution: "sync", flavor: "last-resort" });
    await delay(50);
  }
  const { rss, heapUsed, external } = Deno.memoryUsage();
  return { rss, heapUsed, external };
}

function perItem(from: Sample, to: Sample, n: number): string {
  const kib = (bytes: number) => (bytes / n / 1024).toFixed(1);
  return `${kib(to.rss - from.rss)} KiB RSS (JavaScript heap ${kib(to.heapUsed - from.heapUsed)}` +
    ` KiB, buffers ${kib(to.external - from.external)} KiB)`;
}

async function warmUp(pairs: number): Promise<void> {
  const warm: Peer[] = [];
  for (let i = 0; i < pairs; i++) {
    const [dialed, accepted] = await tcpSockets();
    // Both transports, so that neither's code loading is counted per peer.
    const transport = i % 2 === 0 ? "v1" : "v2";
    warm.push(new Peer(dialed, { network: "regtest", transport }));
    warm.push(
      new Peer(accepted, {
        network: "regtest",
        inbound: true,
        sentNonces: new SentNonces(),
        transport,
      }),
    );
  }
  await Promise.all(warm.map((p) => p.ready));
  for (const p of warm) p.disconnect();
  await Promise.all(warm.map((p) => p.closed));
}

if (!Deno.args.includes("--cold")) await warmUp(20);
const start = await settle();
const sockets: Deno.TcpConn[] = [];
for (let i = 0; i < STEP_PAIRS; i++) sockets.push(...await tcpSockets());
const withSockets = await settle();
for (const s of sockets) s.close();
const afterSockets = await settle();

const nonces = new SentNonces();
const peers: Peer[] = [];
async function addPeers(pairs: number, transport: "v1" | "v2"): Promise<void> {
  for (let i = 0; i < pairs; i++) {
    const [dialed, accepted] = await tcpSockets();
    peers.push(new Peer(dialed, { network: "regtest", address: `127.0.0.1:${i}`, transport }));
    peers.push(
      new Peer(accepted, { network: "regtest", inbound: true, sentNonces: nonces, transport }),
    );
  }
  const ready = await Promise.all(peers.map((p) => p.ready));
  if (ready.some((ok) => !ok)) throw new Error("a handshake failed");
}
const n = 2 * STEP_PAIRS;
console.log(`gc between samples: ${gc ? "yes" : "no (run with --v8-flags=--expose-gc)"}`);
console.log(`${n} bare sockets:                       ${perItem(start, withSockets, n)} each`);
let previous = afterSockets;
for (const transport of ["v1", "v2"] as const) {
  await addPeers(STEP_PAIRS, transport);
  const first = await settle();
  await addPeers(STEP_PAIRS, transport);
  const second = await settle();
  console.log(
    `first ${n} idle ${transport} peers, with sockets:  ${perItem(previous, first, n)} each`,
  );
  console.log(
    `next ${n} idle ${transport} peers, with sockets:   ${perItem(first, second, n)} each`,
  );
  previous = second;
}
for (const p of peers) p.disconnect();
await Promise.all(peers.map((p) => p.closed));

// Memory per idle connected peer: opens 500 TCP connections on 127.0.0.1 with a peer at each
// end (1,000 peers), completes every handshake, lets them sit idle, and reports the resident
// memory they added, per peer, beside the same number of bare sockets (no peer) measured
// first in the same process. Run: deno task bench:memory
import { Peer, SentNonces } from "../peer/mod.ts";
import { tcpSockets } from "./_tcp.ts";

const PAIRS = 500;
// V8's gc() with a memory-reducing ("last-resort") full collection, so that RSS shows what
// is retained rather than how far the young generation grew while handshakes were running.
const gc = (globalThis as { gc?: (options?: object) => void }).gc;

async function settle(): Promise<number> {
  for (let i = 0; i < 5; i++) {
    gc?.({ type: "major", execution: "sync", flavor: "last-resort" });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { rss, heapUsed, external } = Deno.memoryUsage();
  samples.push({ heapUsed, external });
  return rss;
}

const samples: { heapUsed: number; external: number }[] = [];
const start = await settle();
const sockets: Deno.TcpConn[] = [];
for (let i = 0; i < PAIRS; i++) sockets.push(...await tcpSockets());
const withSockets = await settle();
for (const s of sockets) s.close();
await settle();

const nonces = new SentNonces();
const peers: Peer[] = [];
for (let i = 0; i < PAIRS; i++) {
  const [dialed, accepted] = await tcpSockets();
  peers.push(new Peer(dialed, { network: "regtest", address: `127.0.0.1:${i}` }));
  peers.push(new Peer(accepted, { network: "regtest", inbound: true, sentNonces: nonces }));
}
const ready = await Promise.all(peers.map((p) => p.ready));
if (ready.some((ok) => !ok)) throw new Error("a handshake failed");
const withPeers = await settle();

const socketBytes = (withSockets - start) / (2 * PAIRS);
const peerBytes = (withPeers - start) / (2 * PAIRS);
console.log(`gc between samples: ${gc ? "yes" : "no (run with --v8-flags=--expose-gc)"}`);
console.log(`${2 * PAIRS} bare sockets:        ${(socketBytes / 1024).toFixed(1)} KiB each`);
console.log(`${2 * PAIRS} idle peers (socket + peer): ${(peerBytes / 1024).toFixed(1)} KiB each`);
console.log(`the peer alone:           ${((peerBytes - socketBytes) / 1024).toFixed(1)} KiB each`);
const first = samples[0];
const last = samples[samples.length - 1];
const perPeer = (n: number) => (n / (2 * PAIRS) / 1024).toFixed(1);
console.log(
  `of which JavaScript heap ${perPeer(last.heapUsed - first.heapUsed)} KiB, buffers ` +
    `${perPeer(last.external - first.external)} KiB per peer`,
);
for (const p of peers) p.disconnect();
await Promise.all(peers.map((p) => p.closed));

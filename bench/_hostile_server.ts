// The victim of `bench/hostile.ts`: a default Server on regtest, listening on 127.0.0.1 (an
// OS-chosen port), in a process of its own so that its memory is its own. It prints one JSON
// line when listening (`{"port":...}`), then answers commands on stdin, one JSON line each:
//   status  its memory now and at peak (sampled every 10 ms), its peers, and what they hold
//   reset   starts a new peak from now
//   gc      a memory-reducing collection first, then the status
// It logs nothing: the attacks would make it log a line per refused connection.
import { TextLineStream } from "@std/streams";
import { Server } from "../server/mod.ts";

const gc = (globalThis as { gc?: (options?: object) => void }).gc;

// When the pings of the peer from 127.0.0.2 (the bench's well-behaved one) reach the
// dispatcher: the longest gap between two shows how long its reads waited here.
let lastPingAt = 0;
let maxPingGapMs = 0;
const server = new Server({
  network: "regtest",
  listen: { hostname: "127.0.0.1", port: 0 },
  dnsSeed: false,
  listeners: {
    onPing: (peer) => {
      if (!peer.address.startsWith("127.0.0.2:")) return;
      const now = performance.now();
      if (lastPingAt > 0) maxPingGapMs = Math.max(maxPingGapMs, now - lastPingAt);
      lastPingAt = now;
    },
  },
});
await server.start();

let peakRss = Deno.memoryUsage().rss;
// Also the longest the event loop went without running this timer: how long every peer's
// messages, timers and writes could have waited.
let lastTick = performance.now();
let maxLagMs = 0;
const sampler = setInterval(() => {
  const now = performance.now();
  maxLagMs = Math.max(maxLagMs, now - lastTick - 10);
  lastTick = now;
  const { rss } = Deno.memoryUsage();
  if (rss > peakRss) peakRss = rss;
}, 10);

function status(): Record<string, unknown> {
  const { rss, heapUsed, external } = Deno.memoryUsage();
  if (rss > peakRss) peakRss = rss;
  const info = server.peerInfo();
  return {
    rss,
    heapUsed,
    external,
    peakRss,
    maxLagMs,
    maxPingGapMs,
    peers: info.length,
    pending: server.pendingPeers,
    recvBufferBytes: info.reduce((n, p) => n + p.recv_buffer_bytes, 0),
    maxSendQueueBytes: info.reduce((n, p) => Math.max(n, p.send_queue_bytes), 0),
    sendPaused: info.filter((p) => p.send_paused).length,
  };
}

const print = (value: unknown) => console.log(JSON.stringify(value));
print({ port: server.listenAddresses[0].port });

const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).pipeThrough(
  new TextLineStream(),
);
for await (const line of lines) {
  if (line === "status") {
    print(status());
  } else if (line === "reset") {
    peakRss = Deno.memoryUsage().rss;
    maxLagMs = 0;
    maxPingGapMs = 0;
    lastPingAt = 0;
    print(status());
  } else if (line === "gc") {
    for (let i = 0; i < 3; i++) {
      gc?.({ type: "major", execution: "sync", flavor: "last-resort" });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    print(status());
  } else if (line === "quit") {
    break;
  }
}
clearInterval(sampler);
await server.stop();

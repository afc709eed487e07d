// Backpressure both ways, as Bitcoin Core's pause-send and pause-receive: a remote that sends
// and never reads fills our send queue to its pause level, then we stop taking its messages,
// stop reading its socket, and its own writes block. It can never make us hold more than the
// pause level (plus one message), and it is dropped if it stays paused without reading.
import { assert, assertEquals, assertGreater, assertLessOrEqual } from "@std/assert";
import { QUEUE_ENTRY_OVERHEAD_BYTES } from "../../peer/outbound_mux.ts";
import { connectedPeer, settle } from "../_util/raw_remote.ts";

/** What one queued pong is charged: 24 free header bytes, the 8-byte nonce, the overhead. */
const PONG_COST = 24 + 8 + QUEUE_ENTRY_OVERHEAD_BYTES;

/**
 * Sends pings until the peer stops reading them: a write that stays pending through several
 * turns of the event loop. Returns how many were sent (the last one is still pending).
 */
async function floodUntilBlocked(
  remote: { send(m: { command: "ping"; nonce: bigint }): Promise<boolean> },
): Promise<{ sent: number; pending: Promise<boolean> }> {
  let sent = 0;
  for (;;) {
    const write = remote.send({ command: "ping", nonce: BigInt(++sent) });
    let done = false;
    write.then(() => (done = true));
    for (let i = 0; i < 20 && !done; i++) await settle();
    if (!done) return { sent, pending: write };
  }
}

Deno.test("a remote that never reads: send side pauses, receive side stops reading", async () => {
  const sendBufferBytes = 50 * PONG_COST;
  const { peer, remote, close } = await connectedPeer({
    inbound: true,
    sendBufferBytes,
    bufferBytes: 4096,
  });
  const { sent, pending } = await floodUntilBlocked(remote);
  assert(peer.sendPaused, "the send queue is paused");
  assertLessOrEqual(peer.sendQueueBytes, sendBufferBytes + PONG_COST, "at most one past the level");
  assertGreater(peer.sendQueueBytes, sendBufferBytes);
  // The remote's pings beyond what fits in the connection's buffers were never read.
  const answeredSoFar = Math.floor(peer.sendQueueBytes / PONG_COST);
  assertGreater(sent, answeredSoFar, "pings are waiting unread in the connection");
  assert(peer.connected);

  // The remote starts reading: we resume, read the rest, and answer every ping.
  const pongs: bigint[] = [];
  while (pongs.length < sent) {
    const m = await remote.next();
    assert(m !== undefined, "the connection ended");
    if (m.command === "pong") pongs.push(m.nonce);
  }
  assertEquals(await pending, true, "the blocked write went through");
  assertEquals(pongs, Array.from({ length: sent }, (_, i) => BigInt(i + 1)), "in order, none lost");
  assertEquals(peer.sendPaused, false);
  await close();
});

Deno.test("paused without a byte written for sendStallTimeoutMs: stalled", async () => {
  const { peer, remote, clock, close } = await connectedPeer({
    inbound: true,
    sendBufferBytes: 20 * PONG_COST,
    sendStallTimeoutMs: 60_000,
    bufferBytes: 2048,
    disableStallDetection: true,
  });
  await floodUntilBlocked(remote);
  assert(peer.sendPaused);
  await clock.tick(59_000);
  assert(peer.connected, "not yet");
  await clock.tick(1_000);
  const reason = await peer.closed;
  assertEquals(reason.code, "stalled");
  assert(reason.message.includes("not reading"), reason.message);
  await close();
});

Deno.test("a paused remote that reads a little keeps its deadline moving", async () => {
  const { peer, remote, clock, close } = await connectedPeer({
    inbound: true,
    sendBufferBytes: 20 * PONG_COST,
    sendStallTimeoutMs: 60_000,
    bufferBytes: 2048,
    disableStallDetection: true,
  });
  await floodUntilBlocked(remote);
  assert(peer.sendPaused);
  for (let minute = 0; minute < 3; minute++) {
    await clock.tick(50_000);
    // One read frees room for a write: progress.
    assert((await remote.next()) !== undefined);
    await settle();
    await clock.tick(0);
  }
  assert(peer.connected, "progress, however slow, is not a stall");
  await close();
});

Deno.test("fairness: a long run of buffered messages lets timers and other peers run", async () => {
  let pings = 0;
  let pingsWhenTimerRan = -1;
  const { remote, close } = await connectedPeer({
    inbound: true,
    bufferBytes: 1 << 20,
    listeners: { onPing: () => void pings++ },
  });
  const total = 20_000;
  const frames = new Uint8Array(32 * total);
  for (let i = 0; i < total; i++) {
    frames.set(remote.frame({ command: "ping", nonce: BigInt(i + 1) }), 32 * i);
  }
  // The whole flood arrives as one chunk: without a break, all of it would be handled in
  // promise callbacks before any timer.
  const timer = new Promise<void>((resolve) =>
    setTimeout(() => {
      pingsWhenTimerRan = pings;
      resolve();
    }, 0)
  );
  await remote.sendBytes(frames);
  await timer;
  assertGreater(pingsWhenTimerRan, -1);
  assertLessOrEqual(pingsWhenTimerRan, total - 1, "the timer ran before the flood was through");
  while (pings < total) await settle();
  await close();
});

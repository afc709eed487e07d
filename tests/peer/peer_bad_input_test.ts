// Bad input from the remote never throws out of the Peer: it ends in a reject where the
// protocol has one, a disconnect with a reason, and a log line. And a slow handler slows the
// remote down instead of buffering its flood.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertLess,
  assertLessOrEqual,
  assertMatch,
} from "@std/assert";
import type { LogRecord } from "@logtape/logtape";
import { MessageError, RejectCode } from "../../wire/mod.ts";
import type { DisconnectReason } from "../../peer/disconnect.ts";
import type { Peer } from "../../peer/peer.ts";
import { connectedPeer, rawFrame, remoteVersion, startPeer } from "../_util/raw_remote.ts";
import { withLogs } from "../_util/logs.ts";

/** The disconnect log line of `peer`, with its code. */
function disconnectLine(records: LogRecord[], peer: Peer): LogRecord | undefined {
  return records.find((r) =>
    r.rawMessage.toString().includes("disconnected") && r.properties.peer === String(peer)
  );
}

function assertProtocolError(reason: DisconnectReason, code: string): void {
  assertEquals(reason.code, "protocol-error");
  assertInstanceOf(reason.error, MessageError, `error: ${reason.error}`);
  assertEquals(reason.error.code, code);
}

Deno.test("bad input: garbage before version", async (t) => {
  await t.step("an HTTP request gets a disconnect and a log line, no reject (Core)", async () => {
    await withLogs(async (records) => {
      const { peer, remote, close } = startPeer({ inbound: true });
      await remote.sendBytes(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: example\r\n\r\n"));
      // Not our protocol: nothing is sent back (a v2 initiator would take a reply for a
      // v2 node's answer and not retry with v1).
      assertEquals(await remote.rest(), []);
      assertEquals(await peer.ready, false);
      const reason = await peer.closed;
      assertProtocolError(reason, "bad-magic");
      const line = disconnectLine(records, peer);
      assert(line !== undefined, "a log line names the peer");
      assertEquals(line.level, "info");
      assertEquals(line.properties.code, "protocol-error");
      await close();
    });
  });
  await t.step("another network's magic", async () => {
    const { peer, remote, close } = startPeer({ inbound: true });
    await remote.sendBytes(rawFrame("verack", new Uint8Array(0), { network: "mainnet" }));
    assertEquals(await remote.rest(), []);
    assertProtocolError(await peer.closed, "bad-magic");
    await close();
  });
  await t.step("a few bytes, then the connection closes", async () => {
    const { peer, remote, close } = startPeer({ inbound: true });
    await remote.sendBytes(new Uint8Array([0xfa, 0xbf, 0xb5]));
    await remote.close();
    assertEquals(await peer.ready, false);
    assertProtocolError(await peer.closed, "truncated");
    await close();
  });
});

Deno.test("bad input: after the handshake", async (t) => {
  await t.step("a bad checksum: reject malformed, then protocol-error", async () => {
    await withLogs(async (records) => {
      const { peer, remote, close } = await connectedPeer();
      const frame = remote.frame({ command: "ping", nonce: 1n });
      frame[20] ^= 0xff;
      await remote.sendBytes(frame);
      const rejected = await remote.expect("reject");
      assertEquals([rejected.message, rejected.code], ["ping", RejectCode.MALFORMED]);
      assertMatch(rejected.reason, /checksum/);
      assertEquals(await remote.rest(), []);
      const reason = await peer.closed;
      assertProtocolError(reason, "bad-checksum");
      assertEquals(peer.connected, false);
      assertEquals(disconnectLine(records, peer)?.properties.code, "protocol-error");
      await close();
    });
  });
  await t.step("a header over the network limit is refused before its payload", async () => {
    const { peer, remote, close } = await connectedPeer();
    await remote.sendBytes(
      rawFrame("block", new Uint8Array(0), { length: 4_000_001 }).slice(0, 24),
    );
    const rejected = await remote.expect("reject");
    assertEquals([rejected.message, rejected.code], ["block", RejectCode.MALFORMED]);
    assertProtocolError(await peer.closed, "payload-too-large");
    await close();
  });
  await t.step("a header over its command's limit (a 9-byte ping)", async () => {
    const { peer, remote, close } = await connectedPeer();
    await remote.sendBytes(rawFrame("ping", new Uint8Array(9)));
    assertEquals((await remote.expect("reject")).code, RejectCode.MALFORMED);
    assertProtocolError(await peer.closed, "payload-too-large");
    await close();
  });
  await t.step("a payload that does not decode (trailing bytes)", async () => {
    const { peer, remote, close } = await connectedPeer();
    // An empty inv, then one byte too many.
    await remote.sendBytes(rawFrame("inv", new Uint8Array([0, 1])));
    assertEquals((await remote.expect("reject")).code, RejectCode.MALFORMED);
    assertProtocolError(await peer.closed, "trailing-bytes");
    await close();
  });
  await t.step("a command that is not printable ASCII", async () => {
    const { peer, remote, close } = await connectedPeer();
    await remote.sendBytes(rawFrame("pi\x01g"));
    assertEquals((await remote.expect("reject")).code, RejectCode.MALFORMED);
    assertProtocolError(await peer.closed, "invalid-command");
    await close();
  });
  await t.step("a truncated message, then the remote closes", async () => {
    const { peer, remote, clock, close } = await connectedPeer();
    await remote.sendBytes(remote.frame({ command: "ping", nonce: 1n }).subarray(0, 28));
    await clock.tick(0);
    assertEquals(peer.connected, true, "waiting for the rest");
    await remote.close();
    assertProtocolError(await peer.closed, "truncated");
    await close();
  });
  await t.step("a header cut short by the remote closing", async () => {
    const { peer, remote, close } = await connectedPeer();
    await remote.sendBytes(remote.frame({ command: "getaddr" }).subarray(0, 10));
    await remote.close();
    assertProtocolError(await peer.closed, "truncated");
    await close();
  });
  await t.step("a version truncated during the handshake", async () => {
    const { peer, remote, close } = startPeer({ inbound: true });
    await remote.sendBytes(remote.frame(remoteVersion()).subarray(0, 50));
    await remote.close();
    assertEquals(await peer.ready, false);
    assertProtocolError(await peer.closed, "truncated");
    await close();
  });
  await t.step("onRead sees the error that ended reading", async () => {
    const errors: unknown[] = [];
    const { peer, remote, close } = await connectedPeer({
      listeners: {
        onRead: (_p, bytes, message, error) => {
          if (error !== undefined) errors.push([bytes, message, error]);
        },
      },
    });
    await remote.sendBytes(rawFrame("ping", new Uint8Array(8), { checksum: 0 }));
    await peer.closed;
    assertEquals(errors.length, 1);
    const [bytes, message, error] = errors[0] as [number, unknown, MessageError];
    assertEquals([bytes, message, error.code], [0, undefined, "bad-checksum"]);
    await close();
  });
  await t.step("a bad frame from a remote that stopped reading still ends the peer", async () => {
    const { peer, remote, clock, close } = await connectedPeer({ bufferBytes: 1024 });
    // Fill the connection towards the remote, which reads nothing from now on. Each inv is
    // larger than a batched write, so each goes out in a write of its own.
    const inventory = Array.from({ length: 2000 }, () => ({ type: 1, hash: new Uint8Array(32) }));
    const queued = Array.from(
      { length: 8 },
      () => peer.queueMessage({ command: "inv", inventory }),
    );
    await clock.tick(0);
    await remote.sendBytes(rawFrame("ping", new Uint8Array(8), { checksum: 0 }));
    await clock.tick(0);
    assertEquals(peer.connected, true, "the reject may wait a moment for the connection");
    // It waits at most 1 s: the remote would not read it anyway.
    await clock.tick(1_000);
    assertProtocolError(await peer.closed, "bad-checksum");
    const written = await Promise.all(queued);
    assertEquals(written[0], true);
    assertEquals(written.at(-1), false, "the last frame never went out");
    await close();
  });
});

Deno.test("bad input: a listener that throws ends the peer, never the process", async (t) => {
  await t.step("a throwing onInv", async () => {
    await withLogs(async (records) => {
      const { peer, remote, close } = await connectedPeer({
        listeners: {
          onInv: () => {
            throw new Error("boom");
          },
        },
      });
      await remote.send({ command: "inv", inventory: [] });
      const reason = await peer.closed;
      assertEquals(reason.code, "listener-error");
      assertMatch(reason.message, /"inv": boom/);
      assertEquals((reason.error as Error).message, "boom");
      assertEquals(disconnectLine(records, peer)?.properties.code, "listener-error");
      await close();
    });
  });
  await t.step("a rejecting async onTx-like listener (onHeaders)", async () => {
    const { peer, remote, close } = await connectedPeer({
      listeners: {
        onHeaders: async () => {
          await Promise.resolve();
          throw new TypeError("async boom");
        },
      },
    });
    await remote.send({ command: "headers", headers: [] });
    assertEquals((await peer.closed).code, "listener-error");
    await close();
  });
  await t.step("a throwing onVersion, during the handshake", async () => {
    const { peer, remote, close } = startPeer({
      inbound: true,
      listeners: {
        onVersion: () => {
          throw new Error("version boom");
        },
      },
    });
    await remote.send(remoteVersion());
    const reason = await peer.closed;
    assertEquals(reason.code, "listener-error");
    assertMatch(reason.message, /version boom/);
    assertEquals((reason.error as Error).message, "version boom");
    assertEquals(await peer.ready, false);
    await close();
  });
  await t.step("a throwing onVerAck, during the handshake", async () => {
    const { peer, remote, close } = startPeer({
      listeners: {
        onVerAck: () => {
          throw new Error("verack boom");
        },
      },
    });
    await remote.handshake().catch(() => {});
    assertEquals((await peer.closed).code, "listener-error");
    assertEquals(await peer.ready, false);
    await close();
  });
  await t.step("a throwing onWrite", async () => {
    const { peer, remote, close } = await connectedPeer({
      listeners: {
        onWrite: (_p, _bytes, message) => {
          if (message.command === "getaddr") throw new Error("write boom");
        },
      },
    });
    await peer.queueMessage({ command: "getaddr" });
    const reason = await peer.closed;
    assertEquals(reason.code, "listener-error");
    assertMatch(reason.message, /write boom/);
    await remote.rest();
    await close();
  });
  await t.step("a throwing onRead", async () => {
    const { peer, remote, close } = await connectedPeer({
      listeners: {
        onRead: (_p, _bytes, message) => {
          if (message?.command === "getaddr") throw new Error("read boom");
        },
      },
    });
    await remote.send({ command: "getaddr" });
    const reason = await peer.closed;
    assertEquals(reason.code, "listener-error");
    assertMatch(reason.message, /read boom/);
    await close();
  });
});

Deno.test("bad input: a slow handler pauses reading, so the remote's writes block", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const seen: number[] = [];
  const { peer, remote, clock, close } = await connectedPeer({
    bufferBytes: 4096,
    listeners: {
      onInv: async (_p, inv) => {
        seen.push(inv.inventory.length);
        await gate;
      },
    },
  });
  const received = peer.bytesReceived;
  // A flood of 200 invs of 1,000 bytes: far more than the connection's 4 KiB buffer.
  const inventory = Array.from({ length: 27 }, () => ({ type: 1, hash: new Uint8Array(32) }));
  const frame = remote.frame({ command: "inv", inventory });
  let done = 0;
  const sends = Array.from(
    { length: 200 },
    () => remote.sendBytes(frame).then((ok) => (done++, ok)),
  );
  await clock.tick(1000);
  assertEquals(seen, [27], "the first handler is still running");
  assertLess(done, 20, `only a bounded number of writes completed, not ${done}`);
  assertLess(
    peer.bytesReceived - received,
    20 * frame.length,
    `the peer decoded ${peer.bytesReceived - received} bytes, not the whole flood`,
  );
  assertLessOrEqual(remote.desiredSize, 0, "the remote's writer is held back");
  release();
  assertEquals(await Promise.all(sends), Array(200).fill(true));
  await clock.tick(0);
  assertEquals(seen.length, 200);
  assertEquals(peer.connected, true);
  await close();
});

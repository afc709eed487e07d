// MemoryNetwork: hosts dial each other's listeners like TCP: refused when nobody listens,
// ephemeral ports for dialers, listen ports from 20000, listeners that end when closed, and
// hosts that can be cut off.
import assert from "node:assert/strict";
import type { Connection } from "../../peer/connection.ts";
import { MemoryNetwork } from "../../server/memory_transport.ts";
import type { InboundConnection, TransportListener } from "../../server/transport.ts";

async function accept(listener: TransportListener): Promise<InboundConnection> {
  const { value, done } = await listener[Symbol.asyncIterator]().next();
  assert.ok(!done, "the listener ended");
  return value;
}

async function send(connection: Connection, bytes: number[]): Promise<void> {
  const writer = connection.writable.getWriter();
  await writer.write(new Uint8Array(bytes));
  writer.releaseLock();
}

async function receive(connection: Connection): Promise<number[] | undefined> {
  const reader = connection.readable.getReader();
  const { value, done } = await reader.read();
  reader.releaseLock();
  return done ? undefined : [...value];
}

Deno.test("MemoryNetwork connects hosts", async (t) => {
  await t.step("dial and accept, with the dialer's host and ephemeral port", async () => {
    const network = new MemoryNetwork();
    const listener = network.host("10.0.0.1").listen("10.0.0.1", 8333);
    assert.equal(listener.hostname, "10.0.0.1");
    assert.equal(listener.port, 8333);
    const client = network.host("10.0.0.2");
    const first = await client.dial("10.0.0.1", 8333);
    const second = await client.dial("10.0.0.1", 8333);
    const third = await network.host("10.0.0.3").dial("10.0.0.1", 8333);
    const a = await accept(listener);
    const b = await accept(listener);
    const c = await accept(listener);
    assert.deepEqual([a.remoteHost, a.remotePort], ["10.0.0.2", 49152]);
    assert.deepEqual([b.remoteHost, b.remotePort], ["10.0.0.2", 49153]);
    assert.deepEqual([c.remoteHost, c.remotePort], ["10.0.0.3", 49152]);

    await send(first, [1, 2, 3]);
    assert.deepEqual(await receive(a.connection), [1, 2, 3]);
    await send(a.connection, [4]);
    assert.deepEqual(await receive(first), [4]);
    await send(second, [5]);
    assert.deepEqual(await receive(b.connection), [5]);

    // TCP-like closing: either end closes both.
    a.connection.close();
    assert.equal(await receive(first), undefined);
    for (const conn of [second, third]) conn.close();
    assert.equal(await receive(b.connection), undefined);
    listener.close();
  });

  await t.step("port 0 assigns ports from 20000; a port in use is refused", () => {
    const network = new MemoryNetwork();
    const host = network.host("10.0.0.1");
    const a = host.listen("10.0.0.1", 0);
    const b = host.listen("0.0.0.0", 0);
    assert.deepEqual([a.port, b.port], [20000, 20001]);
    assert.equal(b.hostname, "0.0.0.0");
    assert.throws(() => host.listen("10.0.0.1", 20000), /address already in use/);
    assert.equal(network.host("10.0.0.2").listen("10.0.0.2", 0).port, 20000);
    a.close();
    // A closed listener's port is free again.
    host.listen("10.0.0.1", 20000).close();
    b.close();
  });

  await t.step("listening on another host's address or a bad port throws", () => {
    const host = new MemoryNetwork().host("10.0.0.1");
    assert.throws(() => host.listen("10.0.0.2", 8333), /address not available on host 10\.0\.0\.1/);
    assert.throws(() => host.listen("10.0.0.1", 65536), RangeError);
    assert.throws(() => host.listen("10.0.0.1", -1), RangeError);
  });

  await t.step("a dial nobody listens for is refused", async () => {
    const network = new MemoryNetwork();
    const listener = network.host("10.0.0.1").listen("10.0.0.1", 8333);
    const client = network.host("10.0.0.2");
    await assert.rejects(client.dial("10.0.0.1", 8334), {
      message: "Cannot connect to 10.0.0.1:8334: connection refused",
    });
    await assert.rejects(client.dial("10.0.0.9", 8333), /refused/);
    listener.close();
    await assert.rejects(client.dial("10.0.0.1", 8333), /refused/);
  });

  await t.step("IPv6 addresses, with or without brackets", async () => {
    const network = new MemoryNetwork();
    const listener = network.host("[2001:db8::1]").listen("::", 8333);
    const dialed = await network.host("2001:db8::2").dial("[2001:db8::1]", 8333);
    const inbound = await accept(listener);
    assert.equal(inbound.remoteHost, "2001:db8::2");
    await assert.rejects(network.host("2001:db8::2").dial("2001:db8::1", 1), {
      message: "Cannot connect to [2001:db8::1]:1: connection refused",
    });
    dialed.close();
    listener.close();
  });

  await t.step("separate networks do not see each other", async () => {
    const listener = new MemoryNetwork().host("10.0.0.1").listen("10.0.0.1", 8333);
    await assert.rejects(new MemoryNetwork().host("10.0.0.2").dial("10.0.0.1", 8333), /refused/);
    listener.close();
  });
});

Deno.test("MemoryNetwork listeners and dials end cleanly", async (t) => {
  await t.step("close() ends a waiting iteration and is idempotent", async () => {
    const listener = new MemoryNetwork().host("10.0.0.1").listen("10.0.0.1", 0);
    const loop = (async () => {
      for await (const _ of listener) assert.fail("nothing was dialed");
    })();
    await Promise.resolve();
    listener.close();
    listener.close();
    await loop;
  });

  await t.step("connections nobody accepted are closed with the listener", async () => {
    const network = new MemoryNetwork();
    const listener = network.host("10.0.0.1").listen("10.0.0.1", 8333);
    const dialed = await network.host("10.0.0.2").dial("10.0.0.1", 8333);
    listener.close();
    assert.equal(await receive(dialed), undefined);
    assert.deepEqual(await listener[Symbol.asyncIterator]().next(), {
      done: true,
      value: undefined,
    });
  });

  await t.step("an aborted signal fails the dial", async () => {
    const network = new MemoryNetwork();
    const listener = network.host("10.0.0.1").listen("10.0.0.1", 8333);
    const reason = new Error("stop");
    await assert.rejects(
      network.host("10.0.0.2").dial("10.0.0.1", 8333, { signal: AbortSignal.abort(reason) }),
      (e) => e instanceof Error && /aborted/.test(e.message) && e.cause === reason,
    );
    // Aborting while the dial settles fails it too.
    const controller = new AbortController();
    const dial = network.host("10.0.0.2").dial("10.0.0.1", 8333, { signal: controller.signal });
    controller.abort();
    await assert.rejects(dial, /aborted/);
    listener.close();
  });

  await t.step("the buffer size option bounds what a writer may queue", async () => {
    const network = new MemoryNetwork({ bufferBytes: 4 });
    const listener = network.host("10.0.0.1").listen("10.0.0.1", 8333);
    const dialed = await network.host("10.0.0.2").dial("10.0.0.1", 8333);
    const inbound = await accept(listener);
    const writer = dialed.writable.getWriter();
    await writer.write(new Uint8Array(4));
    let settled = false;
    const waiting = writer.write(new Uint8Array(4)).then(() => (settled = true));
    const third = writer.write(new Uint8Array(4));
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(settled, false, "the writer waits for the reader");
    assert.deepEqual(await receive(inbound.connection), [0, 0, 0, 0]);
    await waiting;
    writer.releaseLock();
    dialed.close();
    await third.catch(() => {});
    listener.close();
  });
});

Deno.test("MemoryNetwork.setReachable cuts a host off", async (t) => {
  await t.step("dials to and from it fail, its connections close, and it comes back", async () => {
    const network = new MemoryNetwork();
    const listener = network.host("10.0.0.1").listen("10.0.0.1", 8333);
    const other = network.host("10.0.0.3").listen("10.0.0.3", 8333);
    const dialed = await network.host("10.0.0.2").dial("10.0.0.1", 8333);
    const unaffected = await network.host("10.0.0.2").dial("10.0.0.3", 8333);
    const inbound = await accept(listener);
    const otherInbound = await accept(other);

    network.setReachable("10.0.0.1", false);
    assert.equal(await receive(dialed), undefined);
    assert.equal(await receive(inbound.connection), undefined);
    await assert.rejects(network.host("10.0.0.2").dial("10.0.0.1", 8333), {
      message: "Cannot connect to 10.0.0.1:8333: host unreachable",
    });
    await assert.rejects(
      network.host("10.0.0.1").dial("10.0.0.3", 8333),
      /network unreachable from 10\.0\.0\.1/,
    );
    // Connections between other hosts carry on.
    await send(unaffected, [7]);
    assert.deepEqual(await receive(otherInbound.connection), [7]);

    network.setReachable("10.0.0.1", true);
    const again = await network.host("10.0.0.2").dial("10.0.0.1", 8333);
    const back = await accept(listener);
    assert.equal(back.remotePort, 49154);
    again.close();
    unaffected.close();
    listener.close();
    other.close();
  });
});

// MemoryNetwork: hosts dial each other's listeners like TCP: refused when nobody listens,
// ephemeral ports for dialers, listen ports from 20000, listeners that end when closed, and
// hosts that can be cut off.
import {
  assertEquals,
  assertFalse,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
  fail,
} from "@std/assert";
import type { Connection } from "../../peer/connection.ts";
import { MemoryNetwork } from "../../server/memory_network.ts";
import type { InboundConnection, NetListener } from "../../server/net.ts";
import { delay } from "@std/async/delay";

async function accept(listener: NetListener): Promise<InboundConnection> {
  const { value, done } = await listener[Symbol.asyncIterator]().next();
  assertFalse(done, "the listener ended");
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
    assertEquals(listener.hostname, "10.0.0.1");
    assertEquals(listener.port, 8333);
    const client = network.host("10.0.0.2");
    const first = await client.dial("10.0.0.1", 8333);
    const second = await client.dial("10.0.0.1", 8333);
    const third = await network.host("10.0.0.3").dial("10.0.0.1", 8333);
    const a = await accept(listener);
    const b = await accept(listener);
    const c = await accept(listener);
    assertEquals([a.remoteHost, a.remotePort], ["10.0.0.2", 49152]);
    assertEquals([b.remoteHost, b.remotePort], ["10.0.0.2", 49153]);
    assertEquals([c.remoteHost, c.remotePort], ["10.0.0.3", 49152]);

    await send(first, [1, 2, 3]);
    assertEquals(await receive(a.connection), [1, 2, 3]);
    await send(a.connection, [4]);
    assertEquals(await receive(first), [4]);
    await send(second, [5]);
    assertEquals(await receive(b.connection), [5]);

    // TCP-like closing: either end closes both.
    a.connection.close();
    assertEquals(await receive(first), undefined);
    for (const conn of [second, third]) conn.close();
    assertEquals(await receive(b.connection), undefined);
    listener.close();
  });

  await t.step("port 0 assigns ports from 20000; a port in use is refused", () => {
    const network = new MemoryNetwork();
    const host = network.host("10.0.0.1");
    const a = host.listen("10.0.0.1", 0);
    const b = host.listen("0.0.0.0", 0);
    assertEquals([a.port, b.port], [20000, 20001]);
    assertEquals(b.hostname, "0.0.0.0");
    assertThrows(() => host.listen("10.0.0.1", 20000), Error, "address already in use");
    assertEquals(network.host("10.0.0.2").listen("10.0.0.2", 0).port, 20000);
    a.close();
    // A closed listener's port is free again.
    host.listen("10.0.0.1", 20000).close();
    b.close();
  });

  await t.step("listening on another host's address or a bad port throws", () => {
    const host = new MemoryNetwork().host("10.0.0.1");
    assertThrows(
      () => host.listen("10.0.0.2", 8333),
      Error,
      "address not available on host 10.0.0.1",
    );
    assertThrows(() => host.listen("10.0.0.1", 65536), RangeError);
    assertThrows(() => host.listen("10.0.0.1", -1), RangeError);
  });

  await t.step("a dial nobody listens for is refused", async () => {
    const network = new MemoryNetwork();
    const listener = network.host("10.0.0.1").listen("10.0.0.1", 8333);
    const client = network.host("10.0.0.2");
    const error = await assertRejects(() => client.dial("10.0.0.1", 8334), Error);
    assertEquals(error.message, "Cannot connect to 10.0.0.1:8334: connection refused");
    await assertRejects(() => client.dial("10.0.0.9", 8333), Error, "refused");
    listener.close();
    await assertRejects(() => client.dial("10.0.0.1", 8333), Error, "refused");
  });

  await t.step("IPv6 addresses, with or without brackets", async () => {
    const network = new MemoryNetwork();
    const listener = network.host("[2001:db8::1]").listen("::", 8333);
    const dialed = await network.host("2001:db8::2").dial("[2001:db8::1]", 8333);
    const inbound = await accept(listener);
    assertEquals(inbound.remoteHost, "2001:db8::2");
    const error = await assertRejects(
      () => network.host("2001:db8::2").dial("2001:db8::1", 1),
      Error,
    );
    assertEquals(error.message, "Cannot connect to [2001:db8::1]:1: connection refused");
    dialed.close();
    listener.close();
  });

  await t.step("separate networks do not see each other", async () => {
    const listener = new MemoryNetwork().host("10.0.0.1").listen("10.0.0.1", 8333);
    await assertRejects(
      () => new MemoryNetwork().host("10.0.0.2").dial("10.0.0.1", 8333),
      Error,
      "refused",
    );
    listener.close();
  });
});

Deno.test("MemoryNetwork listeners and dials end cleanly", async (t) => {
  await t.step("close() ends a waiting iteration and is idempotent", async () => {
    const listener = new MemoryNetwork().host("10.0.0.1").listen("10.0.0.1", 0);
    const loop = (async () => {
      for await (const _ of listener) fail("nothing was dialed");
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
    assertEquals(await receive(dialed), undefined);
    assertEquals(await listener[Symbol.asyncIterator]().next(), {
      done: true,
      value: undefined,
    });
  });

  await t.step("an aborted signal fails the dial", async () => {
    const network = new MemoryNetwork();
    const listener = network.host("10.0.0.1").listen("10.0.0.1", 8333);
    const reason = new Error("stop");
    const error = await assertRejects(
      () => network.host("10.0.0.2").dial("10.0.0.1", 8333, { signal: AbortSignal.abort(reason) }),
      Error,
    );
    assertMatch(error.message, /aborted/);
    assertStrictEquals(error.cause, reason);
    // Aborting while the dial settles fails it too.
    const controller = new AbortController();
    const dial = network.host("10.0.0.2").dial("10.0.0.1", 8333, { signal: controller.signal });
    controller.abort();
    await assertRejects(() => dial, Error, "aborted");
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
    await delay(0);
    assertEquals(settled, false, "the writer waits for the reader");
    assertEquals(await receive(inbound.connection), [0, 0, 0, 0]);
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
    assertEquals(await receive(dialed), undefined);
    assertEquals(await receive(inbound.connection), undefined);
    const error = await assertRejects(() => network.host("10.0.0.2").dial("10.0.0.1", 8333), Error);
    assertEquals(error.message, "Cannot connect to 10.0.0.1:8333: host unreachable");
    await assertRejects(
      () => network.host("10.0.0.1").dial("10.0.0.3", 8333),
      Error,
      "network unreachable from 10.0.0.1",
    );
    // Connections between other hosts carry on.
    await send(unaffected, [7]);
    assertEquals(await receive(otherInbound.connection), [7]);

    network.setReachable("10.0.0.1", true);
    const again = await network.host("10.0.0.2").dial("10.0.0.1", 8333);
    const back = await accept(listener);
    assertEquals(back.remotePort, 49154);
    again.close();
    unaffected.close();
    listener.close();
    other.close();
  });
});

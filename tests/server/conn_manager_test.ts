import { assert, assertEquals, assertFalse } from "@std/assert";
import { assertSpyCalls, spy } from "@std/testing/mock";
import { FakeClock } from "../../peer/fake_clock.ts";
import { memoryConnectionPair } from "../../peer/connection.ts";
import type { Connection } from "../../peer/connection.ts";
import {
  ConnManager,
  type ConnManagerOptions,
  type ConnRequest,
  type DialTarget,
  MAX_FAILED_ATTEMPTS,
} from "../../server/conn_manager.ts";

/** A manager on a fake clock whose dials succeed or fail as `ok` says, recording each. */
function harness(
  options: Partial<ConnManagerOptions> & { ok?: (target: DialTarget) => boolean } = {},
) {
  const clock = new FakeClock();
  const dials: { at: number; host: string }[] = [];
  const connections: { request: ConnRequest; connection: Connection }[] = [];
  const manager = new ConnManager({
    clock,
    dial: (target) => {
      dials.push({ at: clock.now() - start, host: target.host });
      if (options.ok?.(target) ?? true) return Promise.resolve(memoryConnectionPair()[0]);
      return Promise.reject(new Error("refused"));
    },
    onConnection: (request, connection) => void connections.push({ request, connection }),
    ...options,
  });
  const start = clock.now();
  return { clock, dials, connections, manager };
}

Deno.test("ConnManager: a permanent peer is retried after retries × 5 s, at most the cap", async () => {
  const { clock, dials, manager } = harness({ ok: () => false, maxRetryDurationMs: 12_000 });
  manager.connect({ host: "10.0.0.1", port: 8333 });
  assertEquals(dials.length, 0, "waits for start");
  manager.start();
  await clock.tick(0);
  for (let i = 0; i < 5; i++) await clock.tick(12_000);
  assertEquals(dials.map((d) => d.at).slice(0, 5), [0, 5_000, 15_000, 27_000, 39_000]);
  manager.stop();
  assertEquals(clock.pendingTimers, 0);
});

Deno.test("ConnManager: keeps the target of automatic connections, replacing ended ones", async () => {
  let n = 0;
  const { clock, connections, manager } = harness({
    targetOutbound: 3,
    newAddress: () => ({ host: `10.0.0.${++n}`, port: 8333 }),
  });
  manager.start();
  await clock.tick(0);
  assertEquals(connections.length, 3);
  assertEquals(manager.connectedCount, 3);
  assert(manager.has({ host: "10.0.0.2", port: 8333 }));
  manager.disconnected(connections[1].request);
  await clock.tick(0);
  assertEquals(connections.length, 4);
  assertEquals(connections[3].request.host, "10.0.0.4");
  assertFalse(manager.has({ host: "10.0.0.2", port: 8333 }));
  manager.stop();
  for (const c of connections) c.connection.close();
  assertEquals(clock.pendingTimers, 0);
});

Deno.test("ConnManager: with no address, or after 25 failures in a row, it pauses", async (t) => {
  await t.step("no address: look again after retryDurationMs", async () => {
    const newAddress = spy(() => undefined);
    const { clock, manager } = harness({ targetOutbound: 1, newAddress });
    manager.start();
    await clock.tick(0);
    assertSpyCalls(newAddress, 1);
    await clock.tick(4_999);
    assertSpyCalls(newAddress, 1);
    await clock.tick(1);
    assertSpyCalls(newAddress, 2);
    manager.stop();
    assertEquals(clock.pendingTimers, 0);
  });
  await t.step("failures: immediate retries, then a pause", async () => {
    const { clock, dials, manager } = harness({
      targetOutbound: 1,
      ok: () => false,
      newAddress: () => ({ host: "10.0.0.9", port: 8333 }),
    });
    manager.start();
    for (let i = 0; i < 40; i++) await clock.tick(0);
    assertEquals(dials.length, MAX_FAILED_ATTEMPTS);
    assert(dials.every((d) => d.at === 0));
    await clock.tick(5_000);
    for (let i = 0; i < 5; i++) await clock.tick(0);
    assertEquals(dials.length, MAX_FAILED_ATTEMPTS + 1);
    assertEquals(dials.at(-1)?.at, 5_000);
    manager.stop();
    assertEquals(clock.pendingTimers, 0);
  });
});

Deno.test("ConnManager: a one-try request is not retried, nor replaced", async () => {
  const { clock, dials, manager } = harness({ ok: () => false, targetOutbound: 0 });
  manager.start();
  manager.connect({ host: "10.0.0.1", port: 8333 }, { permanent: false });
  for (let i = 0; i < 5; i++) await clock.tick(60_000);
  assertEquals(dials.length, 1);
  assertEquals(manager.requests.length, 0);
  manager.stop();
});

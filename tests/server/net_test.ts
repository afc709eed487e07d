// tcpNet on 127.0.0.1 (OS-chosen ports): dial and listen, refused and abandoned dials,
// timeouts that close the half-open socket, dialing through a SOCKS5 proxy written here (with
// Tor-style isolation), and an accept loop that survives transient errors.
import {
  assert,
  assertEquals,
  assertGreater,
  assertInstanceOf,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
  fail,
} from "@std/assert";
import { stub } from "@std/testing/mock";
import { ipToString } from "../../wire/mod.ts";
import { Socks5Error } from "../../server/socks5.ts";
import { tcpNet } from "../../server/net.ts";
import { echoServer, pump, readExact, serve, writeAll } from "../_util/tcp_serve.ts";
import { withLogs } from "../_util/logs.ts";
import { delay } from "@std/async/delay";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads until the end of the stream; true if it ended (rather than failed). */
async function readsToEnd(conn: Deno.Conn): Promise<boolean> {
  const buffer = new Uint8Array(256);
  try {
    while (await conn.read(buffer) !== null) { /* drain */ }
    return true;
  } catch {
    return false;
  }
}

interface ProxyLog {
  requests: { host: string; port: number; username?: string; password?: string }[];
  /** Resolves, per connection that went silent, with whether the client closed it. */
  silentEnds: Promise<boolean>[];
}

/**
 * A minimal SOCKS5 proxy forwarding to `echoPort`: no authentication unless credentials are
 * offered (then it takes any), replying `reply`, or never answering the greeting when `silent`.
 */
function socksProxy(echoPort: number, mode: { silent?: boolean; reply?: number } = {}) {
  const log: ProxyLog = { requests: [], silentEnds: [] };
  const server = serve(async (conn) => {
    const [, count] = await readExact(conn, 2);
    const methods = [...await readExact(conn, count)];
    if (mode.silent) {
      const end = readsToEnd(conn);
      log.silentEnds.push(end);
      await end;
      return;
    }
    let username: string | undefined;
    let password: string | undefined;
    if (methods.includes(2)) {
      await writeAll(conn, Uint8Array.of(5, 2));
      const [, userLength] = await readExact(conn, 2);
      username = decoder.decode(await readExact(conn, userLength));
      password = decoder.decode(await readExact(conn, (await readExact(conn, 1))[0]));
      await writeAll(conn, Uint8Array.of(1, 0));
    } else {
      await writeAll(conn, Uint8Array.of(5, 0));
    }
    const [, , , type] = await readExact(conn, 4);
    const host = type === 1
      ? [...await readExact(conn, 4)].join(".")
      : type === 4
      ? ipToString(await readExact(conn, 16))
      : decoder.decode(await readExact(conn, (await readExact(conn, 1))[0]));
    const [hi, lo] = await readExact(conn, 2);
    log.requests.push({ host, port: (hi << 8) | lo, username, password });
    if (mode.reply) {
      return await writeAll(conn, Uint8Array.of(5, mode.reply, 0, 1, 0, 0, 0, 0, 0, 0));
    }
    const upstream = await Deno.connect({ hostname: "127.0.0.1", port: echoPort });
    await writeAll(conn, Uint8Array.of(5, 0, 0, 1, 127, 0, 0, 1, 0, 0));
    await Promise.all([pump(conn, upstream), pump(upstream, conn)]);
  });
  return { ...log, port: server.port, close: () => server.close() };
}

/** Whether `c` is Deno's own TCP connection object, not a wrapper around one. */
function isTcpConn(c: unknown): c is Deno.TcpConn {
  return Object.getPrototypeOf(c)?.constructor?.name === "TcpConn";
}

/** A port nothing listens on (just released by the OS). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

Deno.test("tcpNet dials and listens on 127.0.0.1", async (t) => {
  const net = tcpNet();

  await t.step(
    "a dial returns the Deno.TcpConn itself; the listener yields the remote",
    async () => {
      const listener = net.listen("127.0.0.1", 0);
      assertEquals(listener.hostname, "127.0.0.1");
      assertGreater(listener.port, 0);
      const dialed = await net.dial("127.0.0.1", listener.port) as Deno.TcpConn;
      assert(isTcpConn(dialed), "not wrapped");
      const iterator = listener[Symbol.asyncIterator]();
      const { value: inbound } = await iterator.next();
      assert(isTcpConn(inbound.connection));
      assertEquals(inbound.remoteHost, "127.0.0.1");
      assertEquals(inbound.remotePort, (dialed.localAddr as Deno.NetAddr).port);
      const accepted = inbound.connection as Deno.TcpConn;
      await writeAll(dialed, encoder.encode("version"));
      assertEquals(decoder.decode(await readExact(accepted, 7)), "version");
      await writeAll(accepted, encoder.encode("verack"));
      assertEquals(decoder.decode(await readExact(dialed, 6)), "verack");
      dialed.close();
      accepted.close();
      listener.close();
      assertEquals(await iterator.next(), { done: true, value: undefined });
    },
  );

  await t.step("close() ends a waiting iteration, is idempotent, and refuses dials", async () => {
    const listener = net.listen("127.0.0.1", 0);
    const yielded: unknown[] = [];
    const loop = (async () => {
      for await (const inbound of listener) yielded.push(inbound);
    })();
    await delay(0);
    listener.close();
    listener.close();
    await loop;
    assertEquals(yielded.length, 0);
    await assertRejects(
      () => net.dial("127.0.0.1", listener.port),
      Deno.errors.ConnectionRefused,
    );
  });

  await t.step("a dial to a port nobody listens on is refused", async () => {
    await assertRejects(
      () => net.dial("127.0.0.1", closedPort()),
      Deno.errors.ConnectionRefused,
    );
  });

  await t.step("an aborted signal fails the dial at once", async () => {
    const reason = new Error("shutting down");
    const port = closedPort();
    const error = await assertRejects(
      () => net.dial("127.0.0.1", port, { signal: AbortSignal.abort(reason) }),
      Error,
    );
    assertEquals(error.message, `Cannot connect to 127.0.0.1:${port}: aborted`);
    assertStrictEquals(error.cause, reason);
  });

  await t.step("bad timeouts are refused", () => {
    assertThrows(() => tcpNet({ connectTimeoutMs: -1 }), RangeError);
    assertThrows(() => tcpNet({ connectTimeoutMs: NaN }), RangeError);
  });
});

Deno.test("tcpNet through a SOCKS5 proxy", async (t) => {
  const echo = echoServer();
  try {
    await t.step("the dial returns the proxy socket, carrying the remote's bytes", async () => {
      const proxy = socksProxy(echo.port);
      const net = tcpNet({ proxy: { host: "127.0.0.1", port: proxy.port } });
      const conn = await net.dial("127.0.0.1", echo.port) as Deno.TcpConn;
      assert(isTcpConn(conn));
      await writeAll(conn, encoder.encode("through"));
      assertEquals(decoder.decode(await readExact(conn, 7)), "through");
      conn.close();
      await proxy.close();
      assertEquals(proxy.requests, [
        { host: "127.0.0.1", port: echo.port, username: undefined, password: undefined },
      ]);
    });

    await t.step("names and IPv6 literals (brackets dropped) go to the proxy", async () => {
      const proxy = socksProxy(echo.port);
      const net = tcpNet({ proxy: { host: "[127.0.0.1]", port: proxy.port } });
      for (const host of ["[2001:db8::1]", "2001:db8::1", "seed.bitcoin.sipa.be"]) {
        (await net.dial(host, 8333)).close();
      }
      await proxy.close();
      assertEquals(proxy.requests.map((r) => r.host), [
        "2001:db8::1",
        "2001:db8::1",
        "seed.bitcoin.sipa.be",
      ]);
    });

    await t.step("fixed credentials, and random ones per connection when isolating", async () => {
      const proxy = socksProxy(echo.port);
      const fixed = tcpNet({
        proxy: { host: "127.0.0.1", port: proxy.port, username: "btcd", password: "pw" },
      });
      (await fixed.dial("127.0.0.1", 1)).close();
      const isolated = tcpNet({
        proxy: { host: "127.0.0.1", port: proxy.port, username: "btcd", isolate: true },
      });
      (await isolated.dial("127.0.0.1", 1)).close();
      (await isolated.dial("127.0.0.1", 1)).close();
      await proxy.close();
      const [first, second, third] = proxy.requests;
      assertEquals(first.username, "btcd");
      assertEquals(first.password, "pw");
      for (const r of [second, third]) {
        assertMatch(r.username!, /^[0-9a-f]{32}$/);
        assertMatch(r.password!, /^[0-9a-f]{32}$/);
      }
      assertNotEquals(second.username, third.username);
    });

    await t.step("a refusal from the proxy is a Socks5Error", async () => {
      const proxy = socksProxy(echo.port, { reply: 5 });
      const net = tcpNet({ proxy: { host: "127.0.0.1", port: proxy.port } });
      const error = await assertRejects(() => net.dial("127.0.0.1", 8333), Socks5Error);
      assertEquals(error.code, 5);
      await proxy.close();
    });

    await t.step("a proxy nobody runs: the error names the proxy", async () => {
      const port = closedPort();
      const net = tcpNet({ proxy: { host: "127.0.0.1", port } });
      const error = await assertRejects(() => net.dial("seed.bitcoin.sipa.be", 8333), Error);
      assert(error.message.startsWith(`Cannot connect to SOCKS5 proxy 127.0.0.1:${port}: `));
      assertInstanceOf(error.cause, Deno.errors.ConnectionRefused);
    });

    await t.step("a timeout during the handshake closes the half-open socket", async () => {
      const proxy = socksProxy(echo.port, { silent: true });
      const net = tcpNet({
        proxy: { host: "127.0.0.1", port: proxy.port },
        connectTimeoutMs: 50,
      });
      const error = await assertRejects(() => net.dial("127.0.0.1", 8333), Error);
      assertEquals(error.message, "Cannot connect to 127.0.0.1:8333: timed out after 50 ms");
      assertEquals(await proxy.silentEnds[0], true, "the proxy saw the socket closed");
      await proxy.close();
    });

    await t.step("an abort during the handshake closes the half-open socket", async () => {
      const proxy = socksProxy(echo.port, { silent: true });
      const net = tcpNet({ proxy: { host: "127.0.0.1", port: proxy.port } });
      const controller = new AbortController();
      const dial = net.dial("[::1]", 8333, { signal: controller.signal, timeoutMs: 60_000 });
      while (proxy.silentEnds.length === 0) await delay(1);
      controller.abort();
      const error = await assertRejects(() => dial, Error);
      assertEquals(error.message, "Cannot connect to [::1]:8333: aborted");
      assertEquals(await proxy.silentEnds[0], true, "the proxy saw the socket closed");
      await proxy.close();
    });
  } finally {
    await echo.close();
  }
});

/** Stubs `Deno.listen` with one whose listeners fail `accept` as `failAccept` says. */
async function withFlakyAccept(
  failAccept: () => boolean,
  fn: () => Promise<void>,
): Promise<void> {
  const realListen = Deno.listen;
  const flakyListen = (options: Deno.TcpListenOptions) =>
    new Proxy(realListen(options), {
      get(target, property) {
        if (property === "accept") {
          return () =>
            failAccept()
              ? Promise.reject(new Error("Too many open files (os error 24)"))
              : target.accept();
        }
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  using _listen = stub(Deno, "listen", flakyListen as typeof Deno.listen);
  await fn();
}

Deno.test("tcpNet listeners survive transient accept errors", async (t) => {
  await t.step("logged as warnings and retried, then the connection comes", async () => {
    let failures = 2;
    await withLogs(async (records) => {
      await withFlakyAccept(() => failures-- > 0, async () => {
        const net = tcpNet();
        const listener = net.listen("127.0.0.1", 0);
        const dialed = await net.dial("127.0.0.1", listener.port) as Deno.TcpConn;
        for await (const inbound of listener) {
          assertEquals(inbound.remotePort, (dialed.localAddr as Deno.NetAddr).port);
          inbound.connection.close();
          break;
        }
        dialed.close();
        listener.close();
      });
      const warnings = records.filter((r) =>
        r.level === "warning" && r.category.join(".") === "btcstream.server.net"
      );
      assertEquals(warnings.length, 2);
      assertEquals(warnings.map((r) => r.properties.delayMs), [5, 10]);
      assertMatch(String(warnings[0].properties.error), /Too many open files/);
    });
  });

  await t.step("closing during the retry delay ends the iteration at once", async () => {
    await withFlakyAccept(() => true, async () => {
      const listener = tcpNet().listen("127.0.0.1", 0);
      const loop = (async () => {
        for await (const _ of listener) fail("nothing was accepted");
      })();
      await delay(20);
      listener.close();
      await loop;
    });
  });
});

// The SOCKS5 client against a tiny SOCKS5 server written here (127.0.0.1, OS-chosen port) that
// forwards every CONNECT to a local echo server and records what it was asked; and against
// scripted byte streams for the exact bytes and every truncation.
import { assert, assertEquals, assertRejects } from "@std/assert";
import { ipToString } from "../../wire/mod.ts";
import { socks5Connect, Socks5Error, Socks5ReplyCode } from "../../server/socks5.ts";
import { echoServer, pump, readExact, serve, type Server, writeAll } from "../_util/tcp_serve.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ONION = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";

// --- A tiny SOCKS5 server -------------------------------------------------------------------

interface ProxyRequest {
  readonly addressType: number;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
}

interface ProxyConfig {
  /** Require these credentials (method 2); otherwise method 0. */
  auth?: { username: string; password: string };
  /** Sent instead of the method selection, then the connection is closed. */
  rawMethodSelection?: Uint8Array;
  /** Sent instead of the CONNECT reply, then the connection is closed. */
  rawReply?: Uint8Array;
  /** The reply code (default 0). */
  reply?: number;
  /** The bound address type of a successful reply (default 1). */
  boundAddressType?: 1 | 3 | 4;
  /** Sent with the successful reply in the same write, as the remote's first bytes. */
  firstBytes?: Uint8Array;
}

function socksServer(
  echoPort: number,
): Server & { config: ProxyConfig; requests: ProxyRequest[] } {
  const requests: ProxyRequest[] = [];
  const state = { config: {} as ProxyConfig, requests };
  const server = serve(async (conn) => {
    const config = state.config;
    const [, count] = await readExact(conn, 2);
    const methods = [...await readExact(conn, count)];
    if (config.rawMethodSelection !== undefined) {
      await writeAll(conn, config.rawMethodSelection);
      return;
    }
    let username: string | undefined;
    let password: string | undefined;
    if (config.auth !== undefined) {
      if (!methods.includes(2)) return await writeAll(conn, Uint8Array.of(5, 0xff));
      await writeAll(conn, Uint8Array.of(5, 2));
      const [, userLength] = await readExact(conn, 2);
      username = decoder.decode(await readExact(conn, userLength));
      const [passLength] = await readExact(conn, 1);
      password = decoder.decode(await readExact(conn, passLength));
      const ok = username === config.auth.username && password === config.auth.password;
      await writeAll(conn, Uint8Array.of(1, ok ? 0 : 1));
      if (!ok) return;
    } else {
      await writeAll(conn, Uint8Array.of(5, 0));
    }
    const [, , , addressType] = await readExact(conn, 4);
    let host: string;
    if (addressType === 1) host = [...await readExact(conn, 4)].join(".");
    else if (addressType === 4) host = ipToString(await readExact(conn, 16));
    else host = decoder.decode(await readExact(conn, (await readExact(conn, 1))[0]));
    const portBytes = await readExact(conn, 2);
    requests.push({
      addressType,
      host,
      port: (portBytes[0] << 8) | portBytes[1],
      username,
      password,
    });
    if (config.rawReply !== undefined) return await writeAll(conn, config.rawReply);
    if ((config.reply ?? 0) !== 0) {
      return await writeAll(conn, Uint8Array.of(5, config.reply!, 0, 1, 0, 0, 0, 0, 0, 0));
    }
    const upstream = await Deno.connect({ hostname: "127.0.0.1", port: echoPort });
    const bound = config.boundAddressType === 4
      ? [4, ...new Uint8Array(15), 1]
      : config.boundAddressType === 3
      ? [3, 9, ...encoder.encode("localhost")]
      : [1, 127, 0, 0, 1];
    await writeAll(
      conn,
      Uint8Array.of(5, 0, 0, ...bound, 0x1f, 0x90, ...(config.firstBytes ?? [])),
    );
    await Promise.all([pump(conn, upstream), pump(upstream, conn)]);
  });
  return Object.assign(state, { port: server.port, close: () => server.close() });
}

/** Dials the proxy and runs the handshake; the connection on success. */
async function viaProxy(
  proxyPort: number,
  host: string,
  port: number,
  options: { username?: string; password?: string } = {},
): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxyPort });
  try {
    await socks5Connect(conn, { host, port }, options);
    return conn;
  } catch (error) {
    conn.close();
    throw error;
  }
}

async function assertEchoes(conn: Deno.Conn, text: string): Promise<void> {
  await writeAll(conn, encoder.encode(text));
  assertEquals(decoder.decode(await readExact(conn, text.length)), text);
}

async function withProxy(
  fn: (proxy: ReturnType<typeof socksServer>, echoPort: number) => Promise<void>,
): Promise<void> {
  const echo = echoServer();
  const proxy = socksServer(echo.port);
  try {
    await fn(proxy, echo.port);
  } finally {
    await proxy.close();
    await echo.close();
  }
}

Deno.test("socks5Connect through a SOCKS5 server on 127.0.0.1", async (t) => {
  await withProxy(async (proxy, echoPort) => {
    await t.step("no authentication: an IPv4 destination, then the remote's bytes", async () => {
      proxy.config = {};
      const conn = await viaProxy(proxy.port, "127.0.0.1", echoPort);
      await assertEchoes(conn, "ping");
      conn.close();
      assertEquals(proxy.requests.at(-1), {
        addressType: 1,
        host: "127.0.0.1",
        port: echoPort,
        username: undefined,
        password: undefined,
      });
    });

    await t.step("username and password accepted", async () => {
      proxy.config = { auth: { username: "alice", password: "s3cret" } };
      const conn = await viaProxy(proxy.port, "127.0.0.1", echoPort, {
        username: "alice",
        password: "s3cret",
      });
      await assertEchoes(conn, "authenticated");
      conn.close();
      assertEquals(proxy.requests.at(-1)?.username, "alice");
      assertEquals(proxy.requests.at(-1)?.password, "s3cret");
    });

    await t.step("username and password refused", async () => {
      proxy.config = { auth: { username: "alice", password: "s3cret" } };
      const error = await assertRejects(
        () => viaProxy(proxy.port, "127.0.0.1", echoPort, { username: "alice", password: "wrong" }),
        Socks5Error,
      );
      assertEquals(error.code, "auth-failed");
      assertEquals(error.message, "SOCKS5 proxy rejected the username and password (status 1)");
    });

    await t.step("a proxy that wants credentials, offered none", async () => {
      proxy.config = { auth: { username: "alice", password: "s3cret" } };
      const error = await assertRejects(
        () => viaProxy(proxy.port, "127.0.0.1", echoPort),
        Socks5Error,
      );
      assertEquals(error.code, "no-acceptable-method");
    });

    await t.step("credentials offered to a proxy without authentication", async () => {
      proxy.config = {};
      const conn = await viaProxy(proxy.port, "127.0.0.1", echoPort, { username: "bob" });
      await assertEchoes(conn, "fine");
      conn.close();
    });

    await t.step("each reply code is a Socks5Error with that code", async () => {
      const codes = [...Object.values(Socks5ReplyCode), 0x09, 0xff];
      for (const code of codes) {
        proxy.config = { reply: code };
        const error = await assertRejects(
          () => viaProxy(proxy.port, "127.0.0.1", echoPort),
          Socks5Error,
        );
        assertEquals(error.code, code);
        assert(error.message.endsWith(`(${code})`), error.message);
      }
      proxy.config = { reply: Socks5ReplyCode.HOST_UNREACHABLE };
      let error = await assertRejects(() => viaProxy(proxy.port, "127.0.0.1", echoPort), Error);
      assertEquals(error.name, "Socks5Error");
      assertEquals(error.message, "SOCKS5 proxy refused: host unreachable (4)");
      proxy.config = { reply: 0x09 };
      error = await assertRejects(() => viaProxy(proxy.port, "127.0.0.1", echoPort), Error);
      assertEquals(error.message, "SOCKS5 proxy refused: unknown reply code (9)");
      proxy.config = { reply: Socks5ReplyCode.ONION_DESCRIPTOR_NOT_FOUND };
      error = await assertRejects(() => viaProxy(proxy.port, ONION, 8333), Error);
      assertEquals(error.message, "SOCKS5 proxy refused: onion service descriptor not found (240)");
    });

    await t.step("domain names, .onion included, go to the proxy to resolve", async () => {
      proxy.config = {};
      for (const name of ["seed.bitcoin.sipa.be", ONION]) {
        const conn = await viaProxy(proxy.port, name, 8333);
        await assertEchoes(conn, name);
        conn.close();
        assertEquals(
          { ...proxy.requests.at(-1) },
          { addressType: 3, host: name, port: 8333, username: undefined, password: undefined },
        );
      }
    });

    await t.step("IPv6 literals, with or without brackets, go as addresses", async () => {
      proxy.config = {};
      for (const host of ["2001:db8::1", "[2001:db8::1]", "::ffff:1.2.3.4"]) {
        const conn = await viaProxy(proxy.port, host, 18333);
        conn.close();
        const request = proxy.requests.at(-1)!;
        assertEquals(request.addressType, 4);
        assertEquals(request.port, 18333);
      }
      assertEquals(proxy.requests.at(-2)?.host, "2001:db8::1");
    });

    await t.step(
      "bytes sent with the reply reach the caller, for each bound address type",
      async () => {
        for (const boundAddressType of [1, 3, 4] as const) {
          proxy.config = { boundAddressType, firstBytes: encoder.encode("hello") };
          const conn = await viaProxy(proxy.port, "127.0.0.1", echoPort);
          assertEquals(decoder.decode(await readExact(conn, 5)), "hello");
          await assertEchoes(conn, "and the rest");
          conn.close();
        }
      },
    );

    await t.step("a truncated or garbage reply from the proxy", async () => {
      const cases: [ProxyConfig, string][] = [
        [{ rawMethodSelection: Uint8Array.of(5) }, "truncated"],
        [{ rawMethodSelection: new Uint8Array(0) }, "truncated"],
        [{ rawMethodSelection: Uint8Array.of(4, 0) }, "bad-version"],
        [{ rawMethodSelection: encoder.encode("HTTP/1.1 400") }, "bad-version"],
        [{ rawMethodSelection: Uint8Array.of(5, 2) }, "unexpected-method"],
        [{ rawReply: Uint8Array.of(5, 0, 0) }, "truncated"],
        [{ rawReply: Uint8Array.of(5, 0, 0, 1, 127, 0) }, "truncated"],
        [{ rawReply: Uint8Array.of(5, 0, 0, 3, 20, 0x61) }, "truncated"],
        [{ rawReply: Uint8Array.of(5, 0, 0, 9, 0, 0, 0, 0, 0, 0) }, "bad-address-type"],
        [{ rawReply: Uint8Array.of(1, 0, 0, 1, 0, 0, 0, 0, 0, 0) }, "bad-version"],
      ];
      for (const [config, code] of cases) {
        proxy.config = config;
        const error = await assertRejects(
          () => viaProxy(proxy.port, "127.0.0.1", echoPort),
          Socks5Error,
          undefined,
          `${JSON.stringify(config)} should fail with ${code}`,
        );
        assertEquals<unknown>(
          error.code,
          code,
          `${JSON.stringify(config)} should fail with ${code}`,
        );
      }
    });
  });
});

// --- Scripted streams -----------------------------------------------------------------------

/** A stream that reads from `incoming` and records what was written and asked for. */
function scripted(incoming: Uint8Array) {
  let offset = 0;
  const written: number[] = [];
  const asked: number[] = [];
  return {
    written,
    asked,
    get remaining(): number {
      return incoming.length - offset;
    },
    read(p: Uint8Array): Promise<number | null> {
      asked.push(p.length);
      const n = Math.min(p.length, incoming.length - offset);
      p.set(incoming.subarray(offset, offset + n));
      offset += n;
      return Promise.resolve(n === 0 ? null : n);
    },
    write(p: Uint8Array): Promise<number> {
      // Short writes: at most 3 bytes at a time.
      const n = Math.min(p.length, 3);
      written.push(...p.subarray(0, n));
      return Promise.resolve(n);
    },
  };
}

Deno.test("socks5Connect on scripted bytes", async (t) => {
  await t.step("the exact bytes of a username/password handshake to a domain name", async () => {
    const reply = [5, 0, 0, 3, 4, ...encoder.encode("host"), 0x20, 0x8d];
    const stream = scripted(Uint8Array.of(5, 2, 1, 0, ...reply, 0xf9, 0xbe, 0xb4, 0xd9));
    await socks5Connect(stream, { host: "example.com", port: 8333 }, {
      username: "alice",
      password: "pw",
    });
    assertEquals(stream.written, [
      ...[5, 2, 0, 2], // greeting: no authentication, username/password
      ...[1, 5, ...encoder.encode("alice"), 2, ...encoder.encode("pw")], // RFC 1929
      ...[5, 1, 0, 3, 11, ...encoder.encode("example.com"), 0x20, 0x8d], // CONNECT
    ]);
    assertEquals(stream.remaining, 4, "the remote's first bytes stay unread");
  });

  await t.step("the exact bytes of an IPv4 and an IPv6 CONNECT", async () => {
    const ok = [5, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    const v4 = scripted(Uint8Array.of(5, 0, ...ok));
    await socks5Connect(v4, { host: "203.0.113.9", port: 65535 });
    assertEquals(v4.written, [5, 1, 0, 5, 1, 0, 1, 203, 0, 113, 9, 0xff, 0xff]);
    const v6 = scripted(Uint8Array.of(5, 0, ...ok));
    await socks5Connect(v6, { host: "[2001:db8::2]", port: 1 });
    assertEquals(v6.written, [
      ...[5, 1, 0, 5, 1, 0, 4],
      ...[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
      ...[0, 1],
    ]);
  });

  await t.step("never asks for more bytes than the reply still owes", async () => {
    for (const bound of [[1, 1, 2, 3, 4], [4, ...new Uint8Array(16)], [3, 2, 0x61, 0x62]]) {
      const trailer = [0xf9, 0xbe, 0xb4, 0xd9, 1, 2, 3];
      const stream = scripted(Uint8Array.of(5, 0, 5, 0, 0, ...bound, 0, 80, ...trailer));
      await socks5Connect(stream, { host: "127.0.0.1", port: 80 });
      assertEquals(stream.remaining, trailer.length);
      assert(stream.asked.every((n) => n <= 18), `asked ${stream.asked}`);
    }
  });

  await t.step("a reply cut at any byte is truncated", async () => {
    const full = Uint8Array.of(5, 2, 1, 0, 5, 0, 0, 3, 3, 0x61, 0x62, 0x63, 0, 80);
    for (let cut = 0; cut < full.length; cut++) {
      const error = await assertRejects(
        () =>
          socks5Connect(scripted(full.subarray(0, cut)), { host: "a.example", port: 80 }, {
            username: "u",
          }),
        Socks5Error,
        undefined,
        `cut at ${cut}`,
      );
      assertEquals(error.code, "truncated", `cut at ${cut}`);
    }
    await socks5Connect(scripted(full), { host: "a.example", port: 80 }, { username: "u" });
  });

  await t.step("an error reply is reported before its address is read", async () => {
    const stream = scripted(Uint8Array.of(5, 0, 5, 5));
    const error = await assertRejects(
      () => socks5Connect(stream, { host: "127.0.0.1", port: 80 }),
      Error,
    );
    assertEquals(error.message, "SOCKS5 proxy refused: connection refused (5)");
  });

  await t.step("bad arguments fail before anything is written", async () => {
    const cases: [string, number, { username?: string; password?: string }][] = [
      ["a".repeat(256), 80, {}],
      ["", 80, {}],
      ["127.0.0.1", 65536, {}],
      ["127.0.0.1", 1.5, {}],
      ["127.0.0.1", 80, { username: "" }],
      ["127.0.0.1", 80, { username: "u".repeat(256) }],
      ["127.0.0.1", 80, { username: "u", password: "p".repeat(256) }],
    ];
    for (const [host, port, options] of cases) {
      const stream = scripted(new Uint8Array(0));
      await assertRejects(() => socks5Connect(stream, { host, port }, options), RangeError);
      assertEquals(stream.written.length, 0);
    }
    // 255 bytes is the longest name.
    const stream = scripted(Uint8Array.of(5, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0, 0));
    await socks5Connect(stream, { host: "a".repeat(255), port: 80 });
    assertEquals(stream.written[7], 255);
  });

  await t.step("Socks5Error messages", () => {
    assertEquals(new Socks5Error(3).message, "SOCKS5 proxy refused: network unreachable (3)");
    assertEquals(new Socks5Error("truncated").message, "SOCKS5 handshake failed: truncated");
    assertEquals(new Socks5Error(1).name, "Socks5Error");
  });
});

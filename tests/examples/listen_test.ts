// examples/listen.ts as a subprocess: read the port from its first line, connect a peer, send
// it a ping and an inv, disconnect, and read what it logged.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { Peer, SentNonces } from "../../peer/mod.ts";
import { Server } from "../../server/mod.ts";
import { InvType, netAddressV2FromString, ServiceFlag } from "../../wire/mod.ts";

const example = new URL("../../examples/listen.ts", import.meta.url).pathname;

/** The example running, its stdout as lines as they come, and its stderr when it ends. */
function start(args: string[]): {
  child: Deno.ChildProcess;
  lines: AsyncIterator<string>;
  stderr: Promise<string>;
} {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net=127.0.0.1", example, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return {
    child,
    lines: readLines(child.stdout)[Symbol.asyncIterator](),
    stderr: new Response(child.stderr).text(),
  };
}

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let end;
    while ((end = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
    }
  }
  if (buffered !== "") yield buffered;
}

async function rest(lines: AsyncIterator<string>): Promise<string[]> {
  const out: string[] = [];
  for (let r = await lines.next(); !r.done; r = await lines.next()) out.push(r.value);
  return out;
}

/** The port from the first line, which must be "listening on 127.0.0.1:PORT". */
async function listeningPort(lines: AsyncIterator<string>): Promise<number> {
  const first = await lines.next();
  const match = /^listening on 127\.0\.0\.1:(\d+)$/.exec(first.value ?? "");
  assert(match, `first line: ${first.value}`);
  return Number(match[1]);
}

Deno.test("examples/listen.ts logs a peer's handshake and messages, exits after one", async () => {
  const { child, lines, stderr } = start([
    "--network",
    "regtest",
    "--port",
    "0",
    "--exit-after",
    "1",
  ]);
  const port = await listeningPort(lines);

  const pong = Promise.withResolvers<bigint>();
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  const local = `127.0.0.1:${(connection.localAddr as Deno.NetAddr).port}`;
  const peer = new Peer(connection, {
    network: "regtest",
    address: `127.0.0.1:${port}`,
    userAgentName: "probe",
    userAgentVersion: "7.7",
    newestBlock: () => ({ hash: new Uint8Array(32), height: 42 }),
    sentNonces: new SentNonces(),
    listeners: { onPong: (_peer, message) => pong.resolve(message.nonce) },
  });
  assertEquals(await peer.ready, true);
  assertMatch(peer.userAgent, /^\/btcstream:0\.1\.0\/listen:0\.1\.0\/$/);
  await peer.queueMessage({ command: "ping", nonce: 4242n });
  assertEquals(await pong.promise, 4242n);
  const hash = (n: number) => new Uint8Array(32).fill(n);
  const sent = await peer.queueMessage({
    command: "inv",
    inventory: [
      { type: InvType.TX, hash: hash(1) },
      { type: InvType.TX, hash: hash(2) },
      { type: InvType.BLOCK, hash: hash(3) },
      { type: InvType.WTX, hash: hash(4) },
    ],
  });
  assertEquals(sent, true);
  peer.disconnect("probe done");
  await peer.closed;

  const out = await rest(lines);
  const { code } = await child.status;
  assertEquals(code, 0, await stderr);
  const at = (pattern: RegExp) => {
    const i = out.findIndex((line) => pattern.test(line));
    assert(i >= 0, `no line matches ${pattern}:\n${out.join("\n")}`);
    return i;
  };
  const p = `^\\[${local.replaceAll(".", "\\.")}\\] `;
  const version = at(
    new RegExp(
      `${p}version \\(\\d+ B\\): /btcstream:0\\.1\\.0/probe:7\\.7/, version 70016, height 42, ` +
        "services 0x0000000000000008 WITNESS, relay true$",
    ),
  );
  const ready = at(
    new RegExp(
      `${p}handshake complete: /btcstream:0\\.1\\.0/probe:7\\.7/, version 70016, ` +
        "addrv2 true, wtxidrelay true, transport v1$",
    ),
  );
  const ping = at(new RegExp(`${p}ping \\(32 B\\): nonce 4242$`));
  const inv = at(new RegExp(`${p}inv \\(\\d+ B\\): 4 entries: 2 tx, 1 block, 1 wtx$`));
  const closed = at(new RegExp(`${p}disconnected \\(remote-closed\\): `));
  // In the order the peer sent them. (The server reports the peer ready once its `ready`
  // promise settled, by which time messages right behind the verack may have been read.)
  assert(version < ping && ping < inv && inv < closed, out.join("\n"));
  assert(version < ready && ready < closed, out.join("\n"));
  assertEquals(out.at(-1), "stopped (1 peer disconnected)");
});

Deno.test("examples/listen.ts stops cleanly on Ctrl-C and SIGTERM", async (t) => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    await t.step(signal, async () => {
      const { child, lines, stderr } = start(["--network", "regtest", "--port", "0"]);
      await listeningPort(lines);
      child.kill(signal);
      assertEquals(await rest(lines), [`stopped (${signal})`]);
      assertEquals((await child.status).code, 0);
      assertEquals(await stderr, "");
    });
  }
});

Deno.test("examples/listen.ts: a port in use, --help, bad options", async (t) => {
  await t.step("a port in use is exit 1", async () => {
    const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const { child, lines, stderr } = start(["--port", String(taken.addr.port)]);
      assertEquals(await rest(lines), []);
      assertEquals((await child.status).code, 1);
      assertMatch(
        await stderr,
        new RegExp(`^listen: Cannot listen on 127\\.0\\.0\\.1:${taken.addr.port}: .+\\n$`),
      );
    } finally {
      taken.close();
    }
  });
  const cases: [string[], number, RegExp][] = [
    [["--help"], 0, /^Usage: deno run --allow-net examples\/listen\.ts/m],
    [["--port", "70000"], 2, /--port must be an integer from 0 to 65535/],
    [["--max-peers", "none"], 2, /--max-peers must be an integer/],
    [["--exit-after", "0"], 2, /--exit-after must be an integer from 1/],
    [["--network", "moonnet"], 2, /Unknown network "moonnet"/],
    [["--verbose"], 2, /Unknown option --verbose/],
    [["--help"], 0, /serves no blocks.*\n.*NETWORK promises the whole chain/],
    [
      ["--services", "NETWORK,FOO"],
      2,
      /Unknown service "FOO" in --services: expected names from NETWORK, /,
    ],
    [
      ["--services", "0x1ffffffffffffffff"],
      2,
      /--services 0x1ffffffffffffffff does not fit in 64 bits/,
    ],
  ];
  for (const [args, expected, message] of cases) {
    await t.step(args.join(" "), async () => {
      const { child, lines, stderr } = start(args);
      const out = (await rest(lines)).join("\n");
      assertEquals((await child.status).code, expected);
      assertMatch(expected === 0 ? out : await stderr, message);
    });
  }
});

/** A node that dials automatically and requires NETWORK and WITNESS (the default), as btcd. */
function dialer(port: number): Server {
  const server = new Server({
    network: "regtest",
    targetOutbound: 1,
    dnsSeed: false,
    retryDurationMs: 50,
  });
  const na = netAddressV2FromString("127.0.0.1", port, {
    timestamp: Math.floor(Date.now() / 1000),
  });
  server.addrManager.addAddress(na, na);
  return server;
}

Deno.test("examples/listen.ts --services: a node that requires NETWORK accepts it", async (t) => {
  await t.step("--services network,WITNESS: accepted", async () => {
    const { child, lines, stderr } = start([
      ...["--network", "regtest", "--port", "0", "--exit-after", "1"],
      ...["--services", "network,WITNESS"],
    ]);
    const server = dialer(await listeningPort(lines));
    await server.start();
    const peer = await server.nextPeer();
    // And NODE_P2P_V2: the listener accepts v2 by default.
    assertEquals(peer.services, ServiceFlag.NETWORK | ServiceFlag.WITNESS | ServiceFlag.P2P_V2);
    await server.stop();
    await rest(lines);
    assertEquals((await child.status).code, 0, await stderr);
  });
  await t.step("the default, WITNESS only: refused, as btcd and Core refuse it", async () => {
    const { child, lines, stderr } = start(["--network", "regtest", "--port", "0"]);
    const server = dialer(await listeningPort(lines));
    await server.start();
    // The handshake never completes: the dialer says why and leaves (and would try again).
    let refused = "";
    for (let r = await lines.next(); !r.done && refused === ""; r = await lines.next()) {
      if (/ reject /.test(r.value)) refused = r.value;
    }
    await server.stop();
    child.kill("SIGTERM");
    await rest(lines);
    assertEquals((await child.status).code, 0, await stderr);
    assertMatch(refused, /reject \(\d+ B\): version code 64: required services 0x9 not offered$/);
  });
});

Deno.test("examples/listen.ts: a v2 peer's transport and session id are logged", async () => {
  const { child, lines, stderr } = start([
    "--network",
    "regtest",
    "--port",
    "0",
    "--exit-after",
    "1",
  ]);
  const port = await listeningPort(lines);
  const peer = new Peer(await Deno.connect({ hostname: "127.0.0.1", port }), {
    network: "regtest",
    address: `127.0.0.1:${port}`,
    transport: "v2",
    sentNonces: new SentNonces(),
  });
  assertEquals(await peer.ready, true);
  const session = peer.sessionId;
  peer.disconnect();
  await peer.closed;
  const out = await rest(lines);
  assertEquals((await child.status).code, 0, await stderr);
  assert(
    out.some((line) => line.endsWith(`transport v2 (session id ${session})`)),
    out.join("\n"),
  );
});

Deno.test("examples/listen.ts --no-v2: a failed handshake is one line", async () => {
  const { child, lines, stderr } = start(["--network", "regtest", "--port", "0", "--no-v2"]);
  const port = await listeningPort(lines);
  // A ping before the version, from a raw socket.
  const socket = await Deno.connect({ hostname: "127.0.0.1", port });
  const ping = new Uint8Array(32);
  const view = new DataView(ping.buffer);
  view.setUint32(0, 0xdab5bffa, true);
  ping.set(new TextEncoder().encode("ping"), 4);
  view.setUint32(16, 8, true);
  ping.set([0x7e, 0xf0, 0xca, 0x62], 20); // dSHA256 of eight zero bytes, first four
  await socket.write(ping);
  // The ping itself is logged first (every frame read is), then the connection's end.
  let line = await lines.next();
  while (!line.done && !line.value.includes("connection ended")) line = await lines.next();
  socket.close();
  assertMatch(
    line.value ?? "",
    /^\[127\.0\.0\.1:\d+\] inbound connection ended \(handshake-failed\): Received "ping" before "version"$/,
  );
  child.kill("SIGTERM");
  await rest(lines);
  assertEquals((await child.status).code, 0, await stderr);
});

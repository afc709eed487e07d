// examples/handshake.ts against nodes started here on 127.0.0.1: a Server with distinctive
// settings, a refused port, a node that rejects us, and one that never speaks.
import { assertEquals, assertMatch, assertNotMatch } from "@std/assert";
import { Peer, SentNonces, SYSTEM_CLOCK } from "../../peer/mod.ts";
import { Server } from "../../server/mod.ts";
import { RejectCode, ServiceFlag } from "../../wire/mod.ts";

const example = new URL("../../examples/handshake.ts", import.meta.url).pathname;

async function run(
  args: string[],
  net = "127.0.0.1",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", `--allow-net=${net}`, example, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** A port nothing listens on (one the OS just gave out and took back). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  return listener.addr.port;
}

Deno.test("examples/handshake.ts prints what a node announces, and its ping RTT", async () => {
  const seen = Promise.withResolvers<string>();
  const server = new Server({
    network: "regtest",
    listen: { hostname: "127.0.0.1", port: 0 },
    requiredServices: 0n,
    dnsSeed: false,
    targetOutbound: 0,
    userAgentName: "hs-test",
    userAgentVersion: "9.9",
    services: ServiceFlag.NETWORK | ServiceFlag.WITNESS | ServiceFlag.NETWORK_LIMITED,
    newestBlock: () => ({ hash: new Uint8Array(32), height: 123 }),
    disableRelayTx: true,
    // An hour ahead, so the time offset is one that could not happen by accident.
    clock: { ...SYSTEM_CLOCK, now: () => Date.now() + 3_600_000 },
    onPeerReady: (peer) => seen.resolve(peer.userAgent),
  });
  await server.start();
  try {
    const port = server.listenAddresses[0].port;
    const { code, stdout, stderr } = await run([`127.0.0.1:${port}`, "--network", "regtest"]);
    assertEquals(code, 0, stderr);
    assertMatch(stdout, new RegExp(`^connected to 127\\.0\\.0\\.1:${port} \\(regtest\\)`));
    assertMatch(stdout, /^version: +70016 \(negotiated 70016\)$/m);
    // The server adds NODE_P2P_V2: v2 is on by default.
    assertMatch(
      stdout,
      /^services: +0x0000000000000c09 NETWORK\|WITNESS\|NETWORK_LIMITED\|P2P_V2$/m,
    );
    assertMatch(stdout, /^user agent: +\/btcstream:0\.1\.0\/hs-test:9\.9\/$/m);
    assertMatch(stdout, /^start height: +123$/m);
    assertMatch(stdout, /^time offset: +(3599|3600|3601) s$/m);
    assertMatch(stdout, /^relay: +false$/m);
    assertMatch(stdout, /^addrv2: +yes$/m);
    assertMatch(stdout, /^wtxidrelay: +yes$/m);
    assertMatch(stdout, /^sees us as: +127\.0\.0\.1:\d+$/m);
    assertMatch(stdout, /^transport: +v1$/m);
    assertMatch(stdout, /^ping RTT: +\d+\.\d\d ms$/m);
    assertMatch(stdout, /^disconnected: +Handshake example finished$/m);
    assertEquals(await seen.promise, "/btcstream:0.1.0/handshake:0.1.0/");
  } finally {
    await server.stop();
  }
});

Deno.test("examples/handshake.ts --v2: v2 with a node that speaks it, v1 after a v1 node refuses", async (t) => {
  for (const v2Transport of [true, false]) {
    await t.step(v2Transport ? "a v2 node" : "a v1-only node", async () => {
      const sessions: string[] = [];
      const server = new Server({
        network: "regtest",
        listen: { hostname: "127.0.0.1", port: 0 },
        dnsSeed: false,
        targetOutbound: 0,
        v2Transport,
        onPeerReady: (peer) => void sessions.push(peer.sessionId),
      });
      await server.start();
      try {
        const port = server.listenAddresses[0].port;
        const { code, stdout, stderr } = await run([
          `127.0.0.1:${port}`,
          "--network",
          "regtest",
          "--v2",
        ]);
        assertEquals(code, 0, stderr);
        if (v2Transport) {
          assertMatch(stdout, /^transport: +v2 \(session id [0-9a-f]{64}\)$/m);
          assertEquals(stdout.match(/session id ([0-9a-f]{64})/)?.[1], sessions[0]);
        } else {
          assertMatch(stdout, /before answering our v2 key: trying v1$/m);
          assertMatch(stdout, /^transport: +v1$/m);
        }
      } finally {
        await server.stop();
      }
    });
  }
});

Deno.test("examples/handshake.ts: a refused connection is one line and exit 1", async (t) => {
  await t.step("IPv4", async () => {
    const port = closedPort();
    const { code, stdout, stderr } = await run([`127.0.0.1:${port}`, "--network", "regtest"]);
    assertEquals(code, 1);
    assertEquals(stdout, "");
    assertMatch(
      stderr,
      new RegExp(`^handshake: Cannot connect to 127\\.0\\.0\\.1:${port}: .+\\n$`),
    );
  });
  await t.step("IPv6 in brackets", async () => {
    // Refused, or unreachable where there is no IPv6: either way the address is parsed.
    const { code, stderr } = await run(["[::1]:1"], "[::1]");
    assertEquals(code, 1);
    assertMatch(stderr, /^handshake: Cannot connect to \[::1\]:1: .+\n$/);
  });
});

Deno.test("examples/handshake.ts: a node that rejects us, and one that never answers", async (t) => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${listener.addr.port}`;
  try {
    await t.step("rejected: the node's reason is shown", async () => {
      const node = listener.accept().then((connection) =>
        new Peer(connection, {
          network: "regtest",
          inbound: true,
          sentNonces: new SentNonces(),
          listeners: {
            onVersion: () => ({
              command: "reject",
              message: "version",
              code: RejectCode.NONSTANDARD,
              reason: "not today",
            }),
          },
        })
      );
      const { code, stdout, stderr } = await run([address, "--network", "regtest"]);
      assertEquals(code, 1);
      assertNotMatch(stdout, /^version:/m);
      assertEquals(
        stderr,
        `handshake: ${address} rejected the handshake: version nonstandard: not today\n`,
      );
      assertEquals((await (await node).closed).code, "rejected");
    });

    await t.step("silent: the handshake times out", async () => {
      const accepted = listener.accept();
      const { code, stderr } = await run([address, "--network", "regtest", "--timeout", "0.3"]);
      (await accepted).close();
      assertEquals(code, 1);
      assertEquals(
        stderr,
        `handshake: Handshake with ${address} failed (negotiation-timeout): ` +
          "Handshake not complete after 0.3 s\n",
      );
    });
  } finally {
    listener.close();
  }
});

Deno.test("examples/handshake.ts --help and bad command lines", async (t) => {
  await t.step("--help", async () => {
    const { code, stdout } = await run(["--help"]);
    assertEquals(code, 0);
    assertMatch(stdout, /^Usage: deno run --allow-net examples\/handshake\.ts host\[:port\]/m);
  });
  const bad: [string[], RegExp][] = [
    [[], /Expected one node address/],
    [["127.0.0.1:8333", "--bogus"], /Unknown option --bogus/],
    [["127.0.0.1:8333", "--network", "moonnet"], /Unknown network "moonnet"/],
    [["127.0.0.1:8333", "--timeout", "soon"], /--timeout must be a number of seconds/],
    [["127.0.0.1:99999"], /Invalid address "127\.0\.0\.1:99999"/],
    [["127.0.0.1:8333", "--network"], /--network needs a value/],
  ];
  for (const [args, message] of bad) {
    await t.step(args.join(" ") || "(nothing)", async () => {
      const { code, stdout, stderr } = await run(args);
      assertEquals(code, 2);
      assertEquals(stdout, "");
      assertMatch(stderr, message);
      assertMatch(stderr, /^handshake: .* \(see --help\)\n$/);
    });
  }
});

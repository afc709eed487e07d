// examples/crawl.ts over three regtest Servers on 127.0.0.1 that know each other: seeded with
// one, the crawl finds the other two through getaddr and reaches all three.
import { assert, assertEquals, assertMatch, assertNotMatch } from "@std/assert";
import type { Peer } from "../../peer/mod.ts";
import { Server } from "../../server/mod.ts";
import {
  type NetAddressV2,
  netAddressV2FromString,
  netAddressV2ToLegacy,
  ServiceFlag,
} from "../../wire/mod.ts";

const example = new URL("../../examples/crawl.ts", import.meta.url).pathname;
const text = new TextDecoder();

/** One node's settings: what the crawl should report for it. */
const NODES = [
  { agent: "alpha:1.0", height: 100, protocolVersion: 70015, services: ServiceFlag.NETWORK },
  { agent: "beta:2.0", height: 200, protocolVersion: 70016, services: ServiceFlag.WITNESS },
  { agent: "beta:2.0", height: 300, protocolVersion: 70016, services: ServiceFlag.WITNESS },
];

/**
 * Three regtest servers, each knowing the other two: in its address book, and in its answer
 * to getaddr. (The server answers from its book with a random 23% of it, as Bitcoin Core: from
 * a book of two, that is none; so each node also answers with the other two itself.)
 */
async function startNodes(): Promise<{ servers: Server[]; ports: number[] }> {
  let book: NetAddressV2[] = [];
  const answer = (i: number) => (peer: Peer) => {
    const others = book.filter((_, j) => j !== i);
    if (peer.wantsAddrV2) peer.pushAddrV2Msg(others);
    else peer.pushAddrMsg(others.map((na) => netAddressV2ToLegacy(na)!));
  };
  const servers = NODES.map((node, i) =>
    new Server({
      network: "regtest",
      listen: { hostname: "127.0.0.1", port: 0 },
      requiredServices: 0n,
      dnsSeed: false,
      targetOutbound: 0,
      userAgentName: node.agent.split(":")[0],
      userAgentVersion: node.agent.split(":")[1],
      protocolVersion: node.protocolVersion,
      services: node.services,
      newestBlock: () => ({ hash: new Uint8Array(32), height: node.height }),
      listeners: { onGetAddr: answer(i) },
    })
  );
  for (const server of servers) await server.start();
  const ports = servers.map((s) => s.listenAddresses[0].port);
  const now = Math.floor(Date.now() / 1000);
  book = ports.map((port, i) =>
    netAddressV2FromString("127.0.0.1", port, { timestamp: now, services: NODES[i].services })
  );
  servers.forEach((server, i) => {
    server.addrManager.addAddresses(book.filter((_, j) => j !== i), book[i]);
  });
  return { servers, ports };
}

async function stopAll(servers: Server[]): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()));
}

async function crawl(
  dir: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net=127.0.0.1", `--allow-write=${dir}`, example, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** A port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  return listener.addr.port;
}

Deno.test("examples/crawl.ts reaches all three nodes from one seed", async () => {
  const { servers, ports } = await startNodes();
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/crawl.jsonl`;
    const refused = `127.0.0.1:${closedPort()}`;
    const { code, stdout, stderr } = await crawl(dir, [
      "--network=regtest",
      "--seeds",
      `127.0.0.1:${ports[0]},${refused}`,
      "--concurrency",
      "2",
      "--out",
      out,
    ]);
    assertEquals(code, 0, stderr);

    const lines = (await Deno.readTextFile(out)).trimEnd().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.length, 4);
    const byAddr = new Map(lines.map((l) => [l.addr, l]));
    assertEquals(byAddr.get(refused), {
      addr: refused,
      ok: false,
      error: byAddr.get(refused).error,
      version: null,
      services: null,
      userAgent: null,
      startHeight: null,
      addrsLearned: 0,
      addrsNew: 0,
      rttMs: null,
    });
    assertMatch(byAddr.get(refused).error, /refused/i);
    NODES.forEach((node, i) => {
      const line = byAddr.get(`127.0.0.1:${ports[i]}`);
      assert(line, `no line for node ${i}`);
      const { rttMs, addrsNew, ...rest } = line;
      assertEquals(rest, {
        addr: `127.0.0.1:${ports[i]}`,
        ok: true,
        version: node.protocolVersion,
        // The nodes are Servers: NODE_P2P_V2 on top of their services (v2 is on by default).
        services: (node.services | ServiceFlag.P2P_V2).toString(16).padStart(16, "0"),
        userAgent: `/btcstream:0.1.0/${node.agent}/`,
        startHeight: node.height,
        addrsLearned: 2,
      });
      assertEquals(typeof rttMs, "number");
      assert(rttMs > 0);
      // The seed taught us the other two; they only told us what we knew.
      assertEquals(addrsNew, i === 0 ? 2 : 0);
    });

    assertMatch(stdout, /^crawl: 4 tried, 3 reachable, 1 failed, 0 left in the queue$/m);
    assertMatch(stdout, new RegExp(`^results in ${out.replaceAll(".", "\\.")}$`, "m"));
    assertMatch(
      stdout,
      /^by user agent:\n +2 {2}\/btcstream:0\.1\.0\/beta:2\.0\/\n +1 {2}\/btcstream:0\.1\.0\/alpha:1\.0\/$/m,
    );
    assertMatch(stdout, /^by protocol version:\n +2 {2}70016\n +1 {2}70015$/m);
    assertMatch(
      stdout,
      /^by services:\n +2 {2}0x0000000000000808 WITNESS\|P2P_V2\n +1 {2}0x0000000000000801 NETWORK\|P2P_V2$/m,
    );
    // Not a terminal: plain progress lines, the last one final.
    assertMatch(stderr, /tried 4 \/ reachable 3 \/ queued 0 \/ in flight 0\n$/);
    assertNotMatch(stderr, /\r/);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await stopAll(servers);
  }
});

Deno.test("examples/crawl.ts --max 1 --out -: JSON on stdout, the summary on stderr", async () => {
  const { servers, ports } = await startNodes();
  const dir = await Deno.makeTempDir();
  try {
    const args = ["--network", "regtest", "--seeds", `127.0.0.1:${ports[1]}`, "--max", "1"];
    const { code, stdout, stderr } = await crawl(dir, [...args, "--out", "-"]);
    assertEquals(code, 0, stderr);
    const lines = stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.length, 1);
    assertEquals(lines[0].addr, `127.0.0.1:${ports[1]}`);
    assertEquals(lines[0].startHeight, 200);
    assertEquals(lines[0].addrsNew, 2);
    assertMatch(
      stderr,
      /^crawl: 1 tried, 1 reachable, 0 failed, 2 left in the queue \(--max reached\)$/m,
    );
    assertNotMatch(stderr, /results in/);
    assertEquals(await Array.fromAsync(Deno.readDir(dir)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await stopAll(servers);
  }
});

Deno.test("examples/crawl.ts: a crawl that reached nobody exits 1 and says so", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/crawl.jsonl`;
    const seeds = [closedPort(), closedPort()].map((port) => `127.0.0.1:${port}`);
    const { code, stdout, stderr } = await crawl(dir, [
      ...["--network", "regtest", "--seeds", seeds.join(","), "--out", out],
    ]);
    assertEquals(code, 1, stderr);
    assertMatch(stdout, /^crawl: 2 tried, 0 reachable, 2 failed, 0 left in the queue$/m);
    assertMatch(stderr, /^crawl: no node could be reached \(2 tried\)$/m);
    const lines = (await Deno.readTextFile(out)).trimEnd().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.map((l) => l.ok), [false, false]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples/crawl.ts: Ctrl-C stops the crawl and still prints the summary", async () => {
  // A node that accepts and never speaks: the crawl waits in the handshake.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept().catch(() => undefined);
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/crawl.jsonl`;
    const seed = `127.0.0.1:${listener.addr.port}`;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-net=127.0.0.1",
        `--allow-write=${dir}`,
        example,
        ...["--network", "regtest", "--seeds", seed, "--out", out],
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stdout = new Response(child.stdout).text();
    // Ctrl-C once the progress line shows the node in flight.
    let stderr = "";
    let interrupted = false;
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr += chunk;
      if (!interrupted && stderr.includes("in flight 1\n")) {
        child.kill("SIGINT");
        interrupted = true;
      }
    }
    const { code } = await child.status;
    assertEquals(code, 130, stderr);
    assertMatch(
      await stdout,
      /^crawl: 1 tried, 0 reachable, 1 failed, 0 left in the queue \(interrupted\)$/m,
    );
    const [line, ...rest] = (await Deno.readTextFile(out)).trimEnd().split("\n");
    assertEquals(rest.length, 0);
    const result = JSON.parse(line);
    assertEquals(result.addr, seed);
    assertEquals(result.ok, false);
    // Interrupted in the handshake, or still dialing.
    assertMatch(result.error, /Crawl interrupted|aborted/);
  } finally {
    listener.close();
    (await accepted)?.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples/crawl.ts --help and bad command lines", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await t.step("--help", async () => {
      const { code, stdout } = await crawl(dir, ["--help"]);
      assertEquals(code, 0);
      assertMatch(stdout, /^Usage: deno run --allow-net --allow-write examples\/crawl\.ts/m);
    });
    const bad: [string[], RegExp][] = [
      [["--network", "regtest"], /regtest has no DNS seeds: give --seeds/],
      [["--concurrency", "0"], /--concurrency must be an integer from 1 to 1000/],
      [["--max", "-3"], /--max must be an integer from 1/],
      [["--seeds", "127.0.0.1:x"], /Invalid address "127\.0\.0\.1:x"/],
      [["--wait", "0"], /--wait must be a number of seconds above 0/],
      [["--verbose"], /Unknown option --verbose/],
      [["somewhere"], /Unexpected somewhere/],
    ];
    for (const [args, message] of bad) {
      await t.step(args.join(" "), async () => {
        const { code, stdout, stderr } = await crawl(dir, args);
        assertEquals(code, 2);
        assertEquals(stdout, "");
        assertMatch(stderr, message);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

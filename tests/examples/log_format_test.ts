// Every example with `--log-format json`: each line it writes is one JSON object (LogTape's
// JSON Lines: @timestamp, level, message, logger, properties), the messages are the lines of
// the text format, and the values are there as properties for a log collector.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { Peer, SentNonces } from "../../peer/mod.ts";
import { Server } from "../../server/mod.ts";

interface Record {
  "@timestamp": string;
  level: string;
  message: string;
  logger: string;
  properties: { [key: string]: unknown };
}

const text = new TextDecoder();

function example(name: string): string {
  return new URL(`../../examples/${name}.ts`, import.meta.url).pathname;
}

async function run(
  name: string,
  args: string[],
  permissions = ["--allow-net=127.0.0.1"],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...permissions, example(name), ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** Every line as a record; fails on a line that is not one. */
function records(output: string): Record[] {
  return output.split("\n").filter((line) => line !== "").map((line) => {
    const record = JSON.parse(line) as Record;
    assertMatch(record["@timestamp"], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, line);
    assertMatch(record.level, /^(DEBUG|INFO|WARN|ERROR)$/, line);
    assertEquals(typeof record.message, "string", line);
    assertEquals(typeof record.properties, "object", line);
    return record;
  });
}

function find(list: Record[], property: string, value?: unknown): Record {
  const found = list.find((r) =>
    property in r.properties && (value === undefined || r.properties[property] === value)
  );
  assert(found, `no record with ${property}${value === undefined ? "" : ` = ${value}`}`);
  return found;
}

Deno.test("--log-format json: wire_demo's lines, as records", async () => {
  const json = await run("wire_demo", ["--seed", "5", "--log-format", "json"], []);
  const plain = await run("wire_demo", ["--seed", "5"], []);
  assertEquals(json.code, 0, json.stderr);
  const list = records(json.stdout);
  assert(list.every((r) => r.logger === "wire_demo" && r.level === "INFO"));
  // The same lines as the text format, in the same order.
  assertEquals(list.map((r) => `${r.message}\n`).join(""), plain.stdout);
  assertEquals(find(list, "command", "version").properties.bytes, 133);
  assertEquals(find(list, "code").properties.code, "bad-checksum");
});

Deno.test("--log-format json: peer_demo's lines and the library's", async () => {
  const { code, stdout, stderr } = await run("peer_demo", [
    ...["--txs", "1", "--trickle", "50", "--log-format", "json"],
  ]);
  assertEquals(code, 0, stderr);
  const list = records(stdout);
  assertEquals(find(list, "txs").properties.txs, 1);
  const library = list.filter((r) => r.logger.startsWith("btcstream."));
  assert(library.some((r) => r.logger === "btcstream.alice" && r.level === "DEBUG"));
  // Rendered messages, with the values as properties.
  assert(library.some((r) => /^Peer "127\.0\.0\.1:\d+ \(outbound\)" disconnected/.test(r.message)));
});

Deno.test("--log-format json: the demo, without progress lines", async () => {
  const { code, stdout, stderr } = await run("local_network", [
    ...["--nodes", "3", "--outbound", "2", "--linger", "0.2", "--log-format", "json"],
  ]);
  assertEquals(code, 0, stderr);
  assertEquals(stderr, "");
  const list = records(stdout);
  const done = list.at(-1)!;
  assertMatch(done.message, /^time to full address propagation: \d+\.\d\d s$/);
  assertEquals(typeof done.properties.seconds, "number");
  assertEquals(find(list, "node", "node2").properties.known, 2);
});

Deno.test("--log-format json: handshake's answers, and a failure on stderr", async () => {
  const server = new Server({
    network: "regtest",
    listen: { hostname: "127.0.0.1", port: 0 },
    dnsSeed: false,
    targetOutbound: 0,
    userAgentName: "json-test",
    userAgentVersion: "1",
  });
  await server.start();
  try {
    const port = server.listenAddresses[0].port;
    const ok = await run("handshake", [
      `127.0.0.1:${port}`,
      "--network",
      "regtest",
      "--log-format",
      "json",
    ]);
    assertEquals(ok.code, 0, ok.stderr);
    const list = records(ok.stdout);
    assertEquals(find(list, "userAgent").properties.userAgent, "/btcstream:0.1.0/json-test:1/");
    assertEquals(typeof find(list, "rttMs").properties.rttMs, "number");
  } finally {
    await server.stop();
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  const address = `127.0.0.1:${listener.addr.port}`;
  const failed = await run("handshake", [address, "--log-format", "json"]);
  assertEquals(failed.code, 1);
  assertEquals(failed.stdout, "");
  const [error] = records(failed.stderr);
  assertEquals(error.level, "ERROR");
  assertMatch(error.message, new RegExp(`^Cannot connect to ${address}: `));
  assertEquals(error.properties, { address, step: "connect" });
});

Deno.test("--log-format json: crawl's summary", async () => {
  const dir = await Deno.makeTempDir();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  try {
    const { code, stdout, stderr } = await run("crawl", [
      ...["--network", "regtest", "--seeds", `127.0.0.1:${listener.addr.port}`],
      ...["--out", `${dir}/crawl.jsonl`, "--log-format", "json"],
    ], ["--allow-net=127.0.0.1", `--allow-write=${dir}`]);
    assertEquals(code, 1);
    assertEquals(find(records(stdout), "tried").properties, {
      tried: 1,
      reachable: 0,
      failed: 1,
      queued: 0,
    });
    assertEquals(records(stderr).map((r) => r.message), ["no node could be reached (1 tried)"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--log-format json: listen's peers and messages", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "--quiet", "--allow-net=127.0.0.1", example("listen")],
      ...["--network", "regtest", "--port", "0", "--exit-after", "1", "--log-format", "json"],
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = child.stdout.pipeThrough(new TextDecoderStream());
  const reader = stdout.getReader();
  let buffered = "";
  while (!buffered.includes("\n")) buffered += (await reader.read()).value ?? "";
  const first = records(buffered.slice(0, buffered.indexOf("\n")))[0];
  const port = first.properties.port as number;
  assertEquals(first.message, `listening on 127.0.0.1:${port}`);

  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  const peer = new Peer(connection, {
    network: "regtest",
    address: `127.0.0.1:${port}`,
    sentNonces: new SentNonces(),
  });
  assert(await peer.ready);
  await peer.queueMessage({ command: "ping", nonce: 99n });
  peer.disconnect("done");
  await peer.closed;
  for (let r = await reader.read(); !r.done; r = await reader.read()) buffered += r.value;
  assertEquals((await child.status).code, 0);
  assertEquals(await new Response(child.stderr).text(), "");
  const list = records(buffered);
  const ping = find(list, "command", "ping");
  assertEquals(ping.properties.bytes, 32);
  assertEquals(ping.properties.summary, "nonce 99");
  assertMatch(ping.properties.peer as string, /^127\.0\.0\.1:\d+$/);
  assertEquals(find(list, "event", "closed").properties.code, "remote-closed");
});

Deno.test("--log-format: an unknown format is named, with the choices", async () => {
  const { code, stderr } = await run("handshake", ["127.0.0.1:1", "--log-format", "xml"]);
  assertEquals(code, 2);
  assertEquals(
    stderr,
    'handshake: Unknown log-format "xml": expected one of text, json (see --help)\n',
  );
});

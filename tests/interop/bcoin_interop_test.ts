// Our Peer against bcoin 1.0.2, a node nobody here wrote: both handshakes, ping, headers,
// blocks and addresses. bcoin is installed from npm (tests/interop/bcoin) and runs with the
// session that talks to it in a network namespace that has only loopback (README.md says
// why); the session prints a JSON report that the steps below assert on.
import {
  assert,
  assertEquals,
  assertFalse,
  assertGreater,
  assertGreaterOrEqual,
  assertMatch,
  assertNotEquals,
  fail,
} from "@std/assert";
import { LIBRARY_USER_AGENT } from "../../peer/mod.ts";
import {
  blockHash,
  bytesToHex,
  decodeBlockHeader,
  hashToHex,
  hexToBytes,
  ServiceFlag,
  sha256,
} from "../../wire/mod.ts";
import {
  BLOCKS_MINED,
  HEADER_SYNC_BLOCKS,
  type InteropReport,
  MINING_SCRIPT_HEX,
  REGTEST_GENESIS_HASH,
  type ReportedAddress,
} from "./_report.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const INSTALL_DIR = new URL("./bcoin/", import.meta.url).pathname;
const SESSION = new URL("./_bcoin_session.ts", import.meta.url).pathname;
/** A stuck bcoin fails the test in this time; the session's own budget is 80 s. */
const SESSION_TIMEOUT_MS = 120_000;
/** `npm ci` from a cold cache downloads about 100 packages. */
const INSTALL_TIMEOUT_MS = 300_000;
const BCOIN_USER_AGENT = "/bcoin:v1.0.2/";
const BCOIN_PROTOCOL_VERSION = 70015;
const OUR_USER_AGENT = `/${LIBRARY_USER_AGENT.name}:${LIBRARY_USER_AGENT.version}/interop:0.1/`;
/** A PID namespace too: when `unshare` dies, so does everything in it (bcoin included). */
const UNSHARE_ARGS = ["--net", "--pid", "--fork", "--kill-child"];

/** What the run saw, here and in the session's stderr: printed only when the test fails. */
const transcript: string[] = [];

function log(message: string): void {
  transcript.push(`[interop] ${message}`);
}

/** The `unshare` flags that make a namespace here, or why none can be made. */
async function namespaceSupport(): Promise<{ args: string[] } | { why: string }> {
  if (Deno.build.os !== "linux") {
    return { why: `network namespaces need Linux, not ${Deno.build.os}` };
  }
  let why = "";
  // As root the plain flags; otherwise a user namespace, where unprivileged ones are allowed.
  for (const extra of [[], ["--map-root-user"]]) {
    const args = [...extra, ...UNSHARE_ARGS];
    try {
      const { success, stderr } = await new Deno.Command("unshare", {
        args: [...args, "--", "sh", "-c", "ip link set lo up"],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      if (success) return { args };
      why = new TextDecoder().decode(stderr).trim();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return { why: "no unshare command" };
      if (error instanceof Deno.errors.NotCapable) return { why: "needs --allow-run" };
      throw error;
    }
  }
  return { why: `cannot make a network namespace (${why})` };
}

/** Runs a command with a deadline; returns its output, throws with it on failure. */
async function run(
  command: string,
  args: string[],
  options: { cwd: string; timeoutMs: number },
): Promise<string> {
  const child = new Deno.Command(command, {
    args,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
  try {
    const { success, code, signal, stdout, stderr } = await child.output();
    const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    if (!success) {
      const why = signal === "SIGKILL" ? `killed after ${options.timeoutMs} ms` : `exit ${code}`;
      throw new Error(`${command} ${args.join(" ")} failed (${why}):\n${text}`);
    }
    return text;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Installs bcoin from package-lock.json unless already done for this lockfile. Install
 * scripts are skipped: bcoin then runs on its pure-JS backends (NODE_BACKEND=js), so no
 * compiler and no Node headers are needed, and leveldown 5.6.0 (an override: bcoin's
 * leveldown 4.0.1 does not build on Node 20) loads its bundled prebuilt binary.
 */
async function installBcoin(): Promise<void> {
  const stamp = bytesToHex(sha256(await Deno.readFile(`${INSTALL_DIR}package-lock.json`)));
  const stampPath = `${INSTALL_DIR}node_modules/.btcstream-installed`;
  const installed = await Deno.readTextFile(stampPath).catch(() => "");
  if (installed === stamp) {
    log("bcoin 1.0.2 already installed in tests/interop/bcoin");
    return;
  }
  log("installing bcoin 1.0.2: npm ci --ignore-scripts in tests/interop/bcoin");
  const started = performance.now();
  const output = await run("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd: INSTALL_DIR,
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
  const summary = output.split("\n").find((line) => line.startsWith("added")) ?? "";
  log(`npm ci: ${summary} (${Math.round(performance.now() - started)} ms)`);
  await Deno.writeTextFile(stampPath, stamp);
}

/**
 * Runs the session in a fresh namespace; its stderr goes to the transcript, its stdout is the
 * report.
 */
async function runSession(unshareArgs: string[], prefix: string): Promise<InteropReport> {
  const args = [
    ...unshareArgs,
    "--",
    "sh",
    "-c",
    'ip link set lo up && exec "$0" "$@"',
    Deno.execPath(),
    "run",
    "--config",
    `${ROOT}deno.json`,
    "--allow-net=127.0.0.1",
    "--allow-run=node",
    SESSION,
    prefix,
  ];
  log(`unshare ${args.join(" ")}`);
  const child = new Deno.Command("unshare", {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, SESSION_TIMEOUT_MS);
  let output: Deno.CommandOutput;
  try {
    output = await child.output();
  } finally {
    clearTimeout(timer);
  }
  transcript.push(...new TextDecoder().decode(output.stderr).trimEnd().split("\n"));
  if (timedOut) throw new Error(`The bcoin session did not end within ${SESSION_TIMEOUT_MS} ms`);
  const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
  let report: InteropReport;
  try {
    report = JSON.parse(lines.at(-1) ?? "");
  } catch {
    throw new Error(`The bcoin session (exit ${output.code}) printed no report:\n${lines}`);
  }
  // Only a failed session sends bcoin's last log lines.
  for (const line of report.bcoinLogTail ?? []) log(`bcoin: ${line}`);
  return report;
}

/** A section of the report, or a failure that says where the session stopped. */
function section<K extends keyof InteropReport>(
  report: InteropReport,
  key: K,
): NonNullable<InteropReport[K]> {
  const value = report[key];
  if (value === undefined || value === null) {
    const why = report.error === undefined
      ? "it is missing"
      : `the session failed at "${report.error.step}": ${report.error.message}`;
    fail(`No "${key}" in the report: ${why}`);
  }
  return value as NonNullable<InteropReport[K]>;
}

function endpoint(a: ReportedAddress): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

function endpoints(addresses: readonly ReportedAddress[]): string[] {
  return addresses.map(endpoint).sort();
}

function sorted(addresses: readonly ReportedAddress[]): ReportedAddress[] {
  return [...addresses].sort((a, b) => endpoint(a) < endpoint(b) ? -1 : 1);
}

function hasServices(services: string, wanted: bigint): boolean {
  return (BigInt(services) & wanted) === wanted;
}

const namespace = await namespaceSupport();

Deno.test({
  name: "args" in namespace
    ? "bcoin 1.0.2 interop: handshakes both ways, ping, headers, blocks, addr"
    : `bcoin 1.0.2 interop (skipped: ${namespace.why})`,
  ignore: !("args" in namespace),
  async fn(t) {
    if (!("args" in namespace)) return;
    let passed = false;
    try {
      passed = await interop(t, namespace.args);
    } finally {
      if (!passed) console.error(transcript.join("\n"));
    }
  },
});

/** Runs the session and checks its report step by step; false if a step failed. */
async function interop(t: Deno.TestContext, unshareArgs: string[]): Promise<boolean> {
  let passed = true;
  const step = async (name: string, fn: () => void) => {
    passed = (await t.step(name, fn)) && passed;
  };
  await installBcoin();
  const prefix = await Deno.makeTempDir({ prefix: "btcstream-bcoin-" });
  let report: InteropReport;
  try {
    report = await runSession(unshareArgs, prefix);
  } finally {
    await Deno.remove(prefix, { recursive: true });
  }

  await step("bcoin started on regtest and mined blocks to our address", () => {
    const bcoin = section(report, "bcoin");
    const mined = section(report, "mined");
    assertEquals(bcoin.subversion, BCOIN_USER_AGENT);
    assertEquals(bcoin.protocolVersion, BCOIN_PROTOCOL_VERSION);
    assertEquals(mined.hashes.length, BLOCKS_MINED);
    assertEquals(mined.blockCount, BLOCKS_MINED);
    assertEquals(mined.bestBlockHash, mined.hashes.at(-1));
    log(`${bcoin.subversion} mined ${mined.blockCount}, tip ${mined.bestBlockHash}`);
  });

  await step("1. our outbound handshake with bcoin completes", () => {
    const h = section(report, "handshake");
    assertEquals(h.ready, true);
    assertEquals(h.userAgent, BCOIN_USER_AGENT);
    assertEquals(h.remoteProtocolVersion, BCOIN_PROTOCOL_VERSION);
    // min(ours 70016, bcoin's 70015)
    assertEquals(h.negotiatedProtocolVersion, BCOIN_PROTOCOL_VERSION);
    assert(
      hasServices(h.services, ServiceFlag.NETWORK | ServiceFlag.WITNESS),
      `services ${h.services}`,
    );
    assertEquals(h.startingHeight, BLOCKS_MINED);
    // Nothing else before verack: no feature negotiation on either side at 70015.
    assertEquals(h.commandsDuringHandshake, ["version", "verack"]);
    log(
      `outbound: ${h.userAgent} protocol ${h.negotiatedProtocolVersion} height ${h.startingHeight}`,
    );
  });

  await step("2. bcoin answers our ping with a pong carrying its nonce", () => {
    const ping = section(report, "ping");
    assertEquals(ping.pongNonce, ping.nonce);
    assertNotEquals(ping.nonce, "0");
    assert(ping.rttMs > 0 && ping.rttMs < 10_000, `RTT ${ping.rttMs} ms`);
    // The peer's own keepalive matched the pong to the ping it saw go out.
    assertGreater(ping.lastPingMicros, 0, `lastPingMicros ${ping.lastPingMicros}`);
    log(`pong ${ping.pongNonce} after ${ping.rttMs.toFixed(2)} ms (${ping.lastPingMicros} µs)`);
  });

  await step("3. getheaders from genesis returns the mined chain", () => {
    const headers = section(report, "headers");
    const mined = section(report, "mined");
    assertEquals(headers.count, BLOCKS_MINED);
    const decoded = headers.rawHex.map((hex) => decodeBlockHeader(hexToBytes(hex)));
    let previous = REGTEST_GENESIS_HASH;
    for (const [i, header] of decoded.entries()) {
      assertEquals(hashToHex(header.prevBlock), previous, `header ${i + 1}'s prevBlock`);
      previous = hashToHex(blockHash(header));
      assertEquals(previous, headers.hashes[i]);
    }
    assertEquals(headers.hashes, mined.hashes);
    assertEquals(headers.hashes.at(-1), mined.bestBlockHash, "tip vs getbestblockhash");
    log(`${headers.count} headers chained from genesis to ${headers.hashes.at(-1)}`);
  });

  await step("4. getdata (witness blocks) returns each block, merkle roots valid", () => {
    const blocks = section(report, "blocks");
    const headers = section(report, "headers");
    assertEquals(blocks.length, BLOCKS_MINED);
    for (const [i, block] of blocks.entries()) {
      assertEquals(block.requested, headers.hashes[i]);
      assertEquals(block.hash, block.requested, `block ${i + 1}'s hash`);
      assertEquals(block.merkleRootComputed, block.merkleRootInHeader, `block ${i + 1}`);
      assertEquals(block.merkleRootOk, true);
      assertEquals(block.txCount, 1);
      assert(block.coinbaseScripts.includes(MINING_SCRIPT_HEX), `${block.coinbaseScripts}`);
    }
    log(
      `${blocks.length} blocks, merkle roots ${
        blocks.map((b) => b.merkleRootComputed.slice(0, 8))
      }`,
    );
  });

  await step("5. addr to bcoin, getaddr back: routable addresses, once", () => {
    const addr = section(report, "addr");
    // A fresh connection gets exactly the addresses bcoin kept, as sent (services and
    // timestamps unchanged); non-routable, port-0 and no-NODE_NETWORK ones are dropped.
    assert(addr.replyToOther !== null, "no addr answered our getaddr");
    assertEquals(sorted(addr.replyToOther), sorted(addr.sent));
    for (const unfit of endpoints(addr.sentUnfit)) {
      assertFalse(endpoints(addr.replyToOther).includes(unfit), `${unfit} kept`);
    }
    // bcoin does not send a peer the addresses it learned from that peer: it has no others.
    assertEquals(addr.replyToSender, null);
    // One answer per connection.
    assertEquals(addr.secondReplyToOther, null);
    // It answers on connections it made too (bcoin 1.0.2 does not check the direction).
    assert(addr.replyOnBcoinsOutbound !== null, "no addr on bcoin's own connection");
    assertEquals(sorted(addr.replyOnBcoinsOutbound), sorted(addr.sent));
    // And it asks every peer, in both directions.
    assertEquals(addr.getaddrFromBcoin, { outbound: true, second: true, inbound: true });
    log(`getaddr answer: ${endpoints(addr.replyToOther).join(" ")}`);
  });

  await step("6. bcoin's outbound connection to our listener completes the handshake", () => {
    const inbound = section(report, "inbound");
    assertEquals(inbound.ready, true);
    assertMatch(inbound.userAgent, /^\/bcoin:v?1\.0\.2\/$/);
    assertEquals(inbound.protocolVersion, BCOIN_PROTOCOL_VERSION);
    assert(
      hasServices(inbound.services, ServiceFlag.NETWORK | ServiceFlag.WITNESS),
      `services ${inbound.services}`,
    );
    assertEquals(inbound.startingHeight, BLOCKS_MINED);
    assertMatch(inbound.remoteAddress, /^127\.0\.0\.1:\d+$/);
    // It syncs from a peer it dialed: getblocks, as bcoin 1.0.2 does from a full node.
    assert(inbound.commands.includes("getblocks"), `${inbound.commands}`);
    log(`inbound from ${inbound.remoteAddress}: ${inbound.userAgent} ${inbound.commands}`);
  });

  await step("bcoin lists our three peers with our user agent", () => {
    const peers = section(report, "peerInfo");
    assertEquals(peers.length, 3, JSON.stringify(peers));
    for (const p of peers) {
      assertEquals(p.subver, OUR_USER_AGENT);
      assertEquals(p.version, 70016);
    }
    assertEquals(peers.filter((p) => p.inbound).length, 2);
  });

  await step(
    "7. our HeaderSync takes bcoin's chain of a few hundred blocks into a HeaderChain",
    () => {
      const sync = section(report, "headerSync");
      assert(sync.synced);
      assertEquals(sync.blockCount, BLOCKS_MINED + HEADER_SYNC_BLOCKS);
      assertEquals(sync.height, sync.blockCount);
      assertEquals(sync.tipHash, sync.bestBlockHash);
      assertEquals(sync.streamed, sync.height);
    },
  );

  await step(
    "8. our Server and bcoin: connections both ways, bcoin's addresses in its book",
    () => {
      const server = section(report, "server");
      const subvers = server.peers.map((p) => p.subver);
      assertEquals(server.peers.length, 2, JSON.stringify(server.peers));
      assert(subvers.every((s) => /^\/bcoin:v?1\.0\.2\/$/.test(s)), `${subvers}`);
      assert(server.peers.every((p) => p.version === BCOIN_PROTOCOL_VERSION));
      const outbound = server.peers.find((p) => !p.inbound);
      assertEquals(outbound?.type, "manual");
      assertEquals(server.peers.find((p) => p.inbound)?.type, "inbound");
      // The server asked bcoin for addresses after the handshake and kept what it was given:
      // the routable addresses bcoin had from step 5.
      const sent = section(report, "addr").sent.map((a) => `${a.host}:${a.port}`);
      assertEquals(server.book.toSorted(), sent.toSorted());
      assertGreaterOrEqual(
        server.addrProcessed,
        sent.length,
        `processed ${server.addrProcessed}`,
      );
    },
  );

  await step("the session ended without error", () => {
    assertEquals(report.error, undefined, JSON.stringify(report.error));
  });
  return passed;
}

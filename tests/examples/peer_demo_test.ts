// The peer demo is what `deno task demo:peer` runs: it must keep working and show what it claims.
import { assertEquals, assertMatch, assertNotMatch } from "@std/assert";
import { dataTest, SHARED_DATA } from "../_util/shared_data.ts";

const demo = new URL("../../examples/peer_demo.ts", import.meta.url);

async function run(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net=127.0.0.1", "--allow-read", demo.pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout);
}

Deno.test("examples/peer_demo.ts: handshake, ping, trickled inv, getdata, stats", async () => {
  const out = await run("--txs", "7", "--trickle", "50");
  assertMatch(out, /alice sees \/btcstream:0\.1\.0\/bob:2\.0\/, protocol 70016/);
  assertMatch(out, /bob sees \/btcstream:0\.1\.0\/alice:1\.0\/, protocol 70016/);
  assertMatch(out, /height 850000, addrv2 true, wtxidrelay true/);
  assertMatch(out, /ping round trip: \d+ µs/);
  // Seven announcements and their repeats go out as one trickled inv of seven.
  assertMatch(out, /alice: inv of 7 from bob/);
  assertEquals(out.match(/^alice: tx /gm)?.length, 7);
  assertMatch(out, /received: version 1\/\d+ B, .*tx 7\/\d+ B/);
  assertMatch(
    out,
    /Peer "127\.0\.0\.1:\d+ \(outbound\)" disconnected \("local"\): "demo finished"/,
  );
  assertMatch(out, /closed: alice local \(demo finished\), bob remote-closed/);
});

Deno.test(dataTest("examples/peer_demo.ts --block serves a real block", async () => {
  const block = new URL(
    "block-0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2.blk",
    SHARED_DATA,
  );
  const out = await run("--txs", "0", "--quiet-logs", "--block", block.pathname);
  assertMatch(
    out,
    /alice: block 0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2, 3315 txs/,
  );
  assertNotMatch(out, /DBG/);
}));

Deno.test("examples/peer_demo.ts --help and a bad option", async () => {
  assertMatch(await run("--help"), /Usage: deno run --allow-net=127.0.0.1/);
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net=127.0.0.1", demo.pathname, "--txs", "-1"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(code, 1);
  assertMatch(new TextDecoder().decode(stderr), /--txs must be an integer/);
});

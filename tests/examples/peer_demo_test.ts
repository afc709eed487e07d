// The peer demo is what `deno task demo` runs: it must keep working and show what it claims.
import assert from "node:assert/strict";
import { dataTest, SHARED_DATA } from "../_util/shared_data.ts";

const demo = new URL("../../examples/peer_demo.ts", import.meta.url);

async function run(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net=127.0.0.1", "--allow-read", demo.pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout);
}

Deno.test("examples/peer_demo.ts: handshake, ping, trickled inv, getdata, stats", async () => {
  const out = await run("--txs", "7", "--trickle", "50");
  assert.match(out, /alice sees \/btcstream:0\.1\.0\/bob:2\.0\/, protocol 70016/);
  assert.match(out, /bob sees \/btcstream:0\.1\.0\/alice:1\.0\/, protocol 70016/);
  assert.match(out, /height 850000, addrv2 true, wtxidrelay true/);
  assert.match(out, /ping round trip: \d+ µs/);
  // Seven announcements and their repeats go out as one trickled inv of seven.
  assert.match(out, /alice: inv of 7 from bob/);
  assert.equal(out.match(/^alice: tx /gm)?.length, 7);
  assert.match(out, /received: version 1\/\d+ B, .*tx 7\/\d+ B/);
  assert.match(
    out,
    /Peer "127\.0\.0\.1:\d+ \(outbound\)" disconnected \("local"\): "demo finished"/,
  );
  assert.match(out, /closed: alice local \(demo finished\), bob remote-closed/);
});

Deno.test(dataTest("examples/peer_demo.ts --block serves a real block", async () => {
  const block = new URL(
    "block-0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2.blk",
    SHARED_DATA,
  );
  const out = await run("--txs", "0", "--quiet-logs", "--block", block.pathname);
  assert.match(
    out,
    /alice: block 0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2, 3315 txs/,
  );
  assert.doesNotMatch(out, /DBG/);
}));

Deno.test("examples/peer_demo.ts --help and a bad option", async () => {
  assert.match(await run("--help"), /Usage: deno run --allow-net=127.0.0.1/);
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net=127.0.0.1", demo.pathname, "--txs", "-1"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 1);
  assert.match(new TextDecoder().decode(stderr), /--txs must be an integer/);
});

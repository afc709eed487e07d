// The local network is what `deno task demo` runs: it must keep working and show what it
// claims.
import { assertEquals, assertMatch } from "@std/assert";

const demo = new URL("../../examples/local_network.ts", import.meta.url);

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net=127.0.0.1", demo.pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, out: decoder.decode(stdout), err: decoder.decode(stderr) };
}

Deno.test("examples/local_network.ts: nodes that know only the seed find each other", async () => {
  const { code, out, err } = await run("--nodes", "6", "--outbound", "3", "--linger", "1.5");
  assertEquals(code, 0, err);
  assertMatch(
    out,
    /^6 nodes on 127\.0\.0\.1 \(ports \d+, \d+, \d+, \d+, \d+, \d+\); the seed is node0/m,
  );
  assertMatch(out, /full address propagation: every node knows all 5 others/);
  assertMatch(out, /time to full address propagation: \d+\.\d\d s/);
  // Handshakes as they happen.
  assertMatch(out, /^\d+\.\d\d s {2}node\d ⇄ node\d$/m);
  // The summary: one row per node, each with 3 outbound peers, every connection on BIP 324's
  // v2, 5 known addresses, and a ping time (the demo pings every second and lingers 1.5 s).
  const rows = out.split("\n").filter((l) => /^node\d /.test(l));
  assertEquals(rows.length, 6, out);
  for (const row of rows) {
    const [, , outbound, inbound, v2, known, ping] = row.split(/\s{2,}/);
    assertEquals(outbound, "3", row);
    const peers = Number(outbound) + Number(inbound);
    assertEquals(v2, `${peers}/${peers}`, row);
    assertEquals(known, "5", row);
    assertMatch(ping, /^\d+\.\d\d ms$/, row);
  }
});

Deno.test("examples/local_network.ts --help and bad options", async () => {
  const help = await run("--help");
  assertEquals(help.code, 0);
  assertMatch(help.out, /Usage: deno run --allow-net=127\.0\.0\.1 examples\/local_network\.ts/);
  for (const bad of [["--nodes", "1"], ["--nodes", "x"], ["--wat", "1"], ["extra"]]) {
    const { code, err } = await run(...bad);
    assertEquals(code, 2, `${bad}: ${err}`);
    assertMatch(err, /^local_network: .* \(see --help\)/);
  }
});

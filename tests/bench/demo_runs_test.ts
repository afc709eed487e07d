// bench/demo_runs.ts (`deno task bench:demo`) at a small scale, so that it keeps working: the
// distribution of a few runs, and failed runs counted and shown.
import { assertEquals, assertMatch } from "@std/assert";

const script = new URL("../../bench/demo_runs.ts", import.meta.url).pathname;

async function bench(args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-run", "--allow-read", script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout) + text.decode(stderr) };
}

Deno.test("bench/demo_runs.ts prints the distribution of the demo's runs", async () => {
  const { code, out } = await bench(["--runs", "2", "--nodes", "3", "--outbound", "2"]);
  assertEquals(code, 0, out);
  assertMatch(out, /^run 1\/2: \d+(\.\d+)? s$/m);
  assertMatch(out, /^run 2\/2: \d+(\.\d+)? s$/m);
  assertMatch(out, /^2 runs of examples\/local_network\.ts --nodes 3 --outbound 2$/m);
  assertMatch(
    out,
    /^full propagation: min \d+\.\d\d s, median \d+\.\d\d s, p90 \d+\.\d\d s, p99 \d+\.\d\d s, max \d+\.\d\d s$/m,
  );
  assertMatch(out, /^slower than 5 s: [0-2]$/m);
  assertMatch(out, /^failures: 0$/m);
});

Deno.test("bench/demo_runs.ts counts and shows the runs that failed", async () => {
  // A millisecond is too short for any network to form.
  const { code, out } = await bench(["--runs", "1", "--timeout", "0.001"]);
  assertEquals(code, 1, out);
  assertMatch(out, /^failures: 1$/m);
  // With which node lacked which address.
  assertMatch(
    out,
    /^ {2}run 1: exit 1: node\d+ lacks .+; addresses did not reach every node within 0\.001 s$/m,
  );
});

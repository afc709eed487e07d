// The demo, run again and again: `examples/local_network.ts` in a fresh process each time, as
// `deno task demo` runs it, and the distribution of its time to full address propagation (every
// node knows every other node's address). A run that exits non-zero or never reports full
// propagation is a failure, listed with its last line.
//
// Run: deno task bench:demo [--runs 100] [--nodes 12] [--outbound 8] [--timeout 60 (s)]
//      [--over 5 (s): also count the runs slower than this]
import { parseArgs } from "@std/cli/parse-args";

const HELP = `bench:demo: run the demo N times and show how long full propagation took

Usage: deno task bench:demo [options]

Options:
  --runs N       runs, one process each (default 100)
  --nodes N      nodes per run (default: the demo's, 12)
  --outbound N   outbound peers per node (default: the demo's, 8)
  --timeout S    a run that takes longer fails (default: the demo's, 60)
  --over S       also count the runs slower than this (default 5)
  --help         show this text`;

const demo = new URL("../examples/local_network.ts", import.meta.url).pathname;

/** The value at quantile `q` of sorted `values` (nearest rank). */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** One run: the propagation time in seconds, or why it failed. */
async function runOnce(extra: readonly string[]): Promise<number | string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net=127.0.0.1", demo, "--linger", "0.1", ...extra],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  const match = /^time to full address propagation: (\d+(?:\.\d+)?) s$/m.exec(out);
  if (code === 0 && match) return Number(match[1]);
  // What the demo said last (on stdout; its progress and errors go to stderr), and which
  // node lacked which address when it gave up.
  const said = out.trim() === "" ? new TextDecoder().decode(stderr) : out;
  const lines = said.trimEnd().split("\n");
  const why = [...lines.filter((line) => / lacks /.test(line)), lines.at(-1) || "no output"];
  return `exit ${code}: ${why.join("; ")}`;
}

async function main(): Promise<number> {
  const args = parseArgs(Deno.args, {
    string: ["runs", "nodes", "outbound", "timeout", "over"],
    boolean: ["help"],
    default: { runs: "100", over: "5" },
  });
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const runs = Number(args.runs);
  const overS = Number(args.over);
  if (!Number.isInteger(runs) || runs < 1 || !(overS > 0)) {
    console.error("bench:demo: --runs must be a positive integer and --over a positive number");
    return 2;
  }
  const extra: string[] = [];
  for (const name of ["nodes", "outbound", "timeout"] as const) {
    if (args[name] !== undefined) extra.push(`--${name}`, args[name]);
  }

  const times: number[] = [];
  const failures: string[] = [];
  for (let i = 1; i <= runs; i++) {
    const result = await runOnce(extra);
    if (typeof result === "number") times.push(result);
    else failures.push(`run ${i}: ${result}`);
    console.log(`run ${i}/${runs}: ${typeof result === "number" ? `${result} s` : result}`);
  }

  const sorted = times.toSorted((a, b) => a - b);
  const s = (q: number) => `${quantile(sorted, q).toFixed(2)} s`;
  console.log(`\n${runs} runs of ${["examples/local_network.ts", ...extra].join(" ")}`);
  if (sorted.length > 0) {
    console.log(
      `full propagation: min ${s(0)}, median ${s(0.5)}, p90 ${s(0.9)}, p99 ${s(0.99)}, ` +
        `max ${s(1)}`,
    );
  }
  console.log(`slower than ${overS} s: ${times.filter((t) => t > overS).length}`);
  console.log(`failures: ${failures.length}`);
  for (const failure of failures) console.log(`  ${failure}`);
  return failures.length === 0 ? 0 : 1;
}

Deno.exit(await main());

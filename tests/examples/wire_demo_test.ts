// examples/wire_demo.ts as a user runs it: the tour, a repeatable run, bad options, and
// `--block` with and without read permission, with a missing file and a file that is not a
// block (one line and exit 1, never a stack trace).
import { assertEquals, assertMatch, assertNotMatch } from "@std/assert";
import { dataStep, dataTest, SHARED_DATA } from "../_util/shared_data.ts";

const demo = new URL("../../examples/wire_demo.ts", import.meta.url).pathname;
const root = new URL("../../", import.meta.url).pathname;
const BLOCK = new URL(
  "block-0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2.blk",
  SHARED_DATA,
).pathname;

async function run(
  args: string[],
  permissions: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...permissions, demo, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

Deno.test("examples/wire_demo.ts runs and round-trips every message", async () => {
  const { code, stdout: out, stderr } = await run(["--seed", "42", "--network", "signet"]);
  assertEquals(code, 0, stderr);
  for (
    const command of [
      "version",
      "wtxidrelay",
      "sendaddrv2",
      "verack",
      "sendheaders",
      "ping",
      "addrv2",
      "inv",
      "getheaders",
      "tx",
    ]
  ) {
    assertMatch(out, new RegExp(`^  ${command} +\\d+ B`, "m"), `no ${command} line`);
  }
  assertMatch(out, /magic 0x40cf030a/);
  assertMatch(out, /pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd\.onion:8333/);
  assertMatch(out, /MessageError bad-checksum/);
});

Deno.test("examples/wire_demo.ts --seed repeats the whole run, byte for byte", async () => {
  const first = await run(["--seed", "7"]);
  const second = await run(["--seed", "7"]);
  assertEquals(first.code, 0, first.stderr);
  // The same segmentation, hashes and timestamps: the same bytes on the wire, the same lines.
  assertEquals(second.stdout, first.stdout);
  assertMatch(first.stdout, /^\d+ bytes on the wire \(SHA-256 [0-9a-f]{16}…\)/m);
  const other = await run(["--seed", "8"]);
  assertNotMatch(other.stdout, new RegExp(/SHA-256 ([0-9a-f]{16})/.exec(first.stdout)![1]));
});

Deno.test("examples/wire_demo.ts: a bad value is named, with the choices", async (t) => {
  const cases: [string[], string][] = [
    [
      ["--network", "foonet"],
      'wire_demo: Unknown network "foonet": expected one of mainnet, testnet3, testnet4, ' +
      "regtest, signet, simnet (see --help)\n",
    ],
    [
      ["--seed", "abc"],
      'wire_demo: --seed must be an integer from 0 to 4294967295, got "abc" (see --help)\n',
    ],
    [["--seed"], "wire_demo: --seed needs a value (see --help)\n"],
    [["--verbose"], "wire_demo: Unknown option --verbose (see --help)\n"],
  ];
  for (const [args, expected] of cases) {
    await t.step(args.join(" "), async () => {
      const { code, stdout, stderr } = await run(args);
      assertEquals(code, 2);
      assertEquals(stdout, "");
      assertEquals(stderr, expected);
    });
  }
});

Deno.test("examples/wire_demo.ts --block: one line and exit 1 when it cannot", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await t.step(dataStep("without --allow-read", async () => {
      const { code, stdout, stderr } = await run(["--block", BLOCK]);
      assertEquals(code, 1);
      assertEquals(stdout, "");
      assertEquals(
        stderr,
        `wire_demo: Cannot read ${BLOCK}: Requires read access to "${BLOCK}", ` +
          "run again with the --allow-read flag\n",
      );
    }));
    await t.step("a missing file", async () => {
      const missing = `${dir}/missing.blk`;
      const { code, stdout, stderr } = await run(["--block", missing], ["--allow-read"]);
      assertEquals(code, 1);
      assertEquals(stdout, "");
      assertMatch(stderr, new RegExp(`^wire_demo: Cannot read ${missing}: .*No such file.*\\n$`));
    });
    await t.step("a file that is not a block", async () => {
      const junk = `${dir}/junk.blk`;
      await Deno.writeFile(junk, new Uint8Array(200).fill(7));
      const { code, stdout, stderr } = await run(["--block", junk], ["--allow-read"]);
      assertEquals(code, 1);
      assertEquals(stdout, "");
      assertMatch(
        stderr,
        new RegExp(`^wire_demo: ${junk} is not a block: Cannot decode "block": .+\\n$`),
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(dataTest("deno task demo:wire --block and demo:peer --block read the file", async () => {
  for (const [task, expected] of [["demo:wire", /3315 transactions/], ["demo:peer", /3315 txs/]]) {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", task as string, "--block", BLOCK],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    assertEquals(code, 0, `${task}: ${text.decode(stderr)}`);
    assertMatch(text.decode(stdout), expected as RegExp);
  }
}));

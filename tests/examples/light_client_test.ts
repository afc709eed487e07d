// examples/light_client.ts as a subprocess against a node in this process: a Server on
// 127.0.0.1 serving a regtest chain the test mines (headers, filters, filter headers, blocks),
// with payments to a bech32 address, a base58 address and a script given in hex, and a spend.
import { assertEquals, assertMatch } from "@std/assert";
import { TextLineStream } from "@std/streams/text-line-stream";
import { bech32, createBase58check } from "@scure/base";
import { sha256 } from "@noble/hashes/sha2.js";
import { tcpNet } from "../../server/mod.ts";
import { bytesToHex, hashToHex, txid } from "../../wire/mod.ts";
import { type Coin, p2wpkh, TestChain } from "../sync/_chain.ts";
import { TestNode } from "../sync/_node.ts";

const example = new URL("../../examples/light_client.ts", import.meta.url).pathname;

const segwit = p2wpkh("light client");
const segwitAddress = bech32.encode("bcrt", [0, ...bech32.toWords(segwit.subarray(2))]);
const keyHash = sha256(new TextEncoder().encode("legacy")).subarray(0, 20);
const legacy = Uint8Array.of(0x76, 0xa9, 0x14, ...keyHash, 0x88, 0xac);
const legacyAddress = createBase58check(sha256).encode(Uint8Array.of(0x6f, ...keyHash));
const taproot = Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(0xab));

/** 180 blocks: the segwit address paid at 20, the legacy one at 60, the script at 100. */
function chainWithPayments(): { chain: TestChain; coin: Coin } {
  const chain = TestChain.genesis().extend(150, {
    payTo: (h) => (h === 20 ? [segwit] : h === 60 ? [legacy] : h === 100 ? [taproot] : undefined),
  });
  const coin = chain.coin(20, 1);
  chain.extend(30, { spend: (h) => (h === 160 ? [coin] : undefined) });
  return { chain, coin };
}

function expectedLine(chain: TestChain, height: number, tx: number): string {
  const b = chain.blocks[height];
  return `match height ${height} block ${hashToHex(b.hash)} tx ${
    hashToHex(txid(b.block.transactions[tx]))
  }`;
}

function start(args: string[], permissions: string[] = []): {
  child: Deno.ChildProcess;
  lines: AsyncIterator<string>;
  stderr: Promise<string>;
} {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net=127.0.0.1", ...permissions, example, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return {
    child,
    lines: child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(new TextLineStream())
      .values(),
    stderr: new Response(child.stderr).text(),
  };
}

async function rest(lines: AsyncIterator<string>): Promise<string[]> {
  const out: string[] = [];
  for (let r = await lines.next(); !r.done; r = await lines.next()) out.push(r.value);
  return out;
}

async function servedNode(chain: TestChain): Promise<{ node: TestNode; port: number }> {
  const node = new TestNode(tcpNet(), "127.0.0.1", chain, {
    listen: { hostname: "127.0.0.1", port: 0 },
  });
  await node.start();
  return { node, port: node.server.listenAddresses[0].port };
}

const WATCH = [
  "--watch",
  segwitAddress,
  "--watch",
  legacyAddress,
  "--watch",
  bytesToHex(taproot),
];

Deno.test("examples/light_client.ts: the watched addresses' and script's transactions, then exit at the tip", async () => {
  const { chain } = chainWithPayments();
  const { node, port } = await servedNode(chain);
  try {
    const { child, lines, stderr } = start([
      "--network",
      "regtest",
      "--connect",
      `127.0.0.1:${port}`,
      ...WATCH,
      "--exit-at-tip",
    ]);
    const out = await rest(lines);
    const { code } = await child.status;
    const err = await stderr;
    assertEquals(code, 0, err);
    assertEquals(out, [
      expectedLine(chain, 20, 0),
      expectedLine(chain, 60, 0),
      expectedLine(chain, 100, 0),
      expectedLine(chain, 160, 1), // spends the coin from block 20
    ], err);
    assertMatch(err, /headers at the tip, height 180/);
    assertMatch(err, /filters at the tip, height 180/);
  } finally {
    await node.stop();
  }
});

Deno.test("examples/light_client.ts: --headers keeps the chain in a file, read again by the next run", async () => {
  const { chain } = chainWithPayments();
  const { node, port } = await servedNode(chain);
  const dir = await Deno.makeTempDir();
  try {
    const args = [
      "--network=regtest",
      `--connect=127.0.0.1:${port}`,
      `--headers=${dir}/headers.dat`,
      "--exit-at-tip",
    ];
    for (const _run of [1, 2]) {
      const { child, lines, stderr } = start(args, [`--allow-read=${dir}`, `--allow-write=${dir}`]);
      assertEquals(await rest(lines), []);
      assertEquals((await child.status).code, 0, await stderr);
    }
    // 96 bytes of file header, then 80 bytes for each of the 181 headers from genesis.
    assertEquals((await Deno.stat(`${dir}/headers.dat`)).size, 96 + 181 * 80);
    // The second run asked for headers from the stored tip, and got none.
    const asked = node.received.filter((c) => c === "getheaders").length;
    assertEquals(asked, 2);
  } finally {
    await node.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples/light_client.ts: --from skips earlier blocks; new blocks are followed until Ctrl-C", async () => {
  const { chain } = chainWithPayments();
  const { node, port } = await servedNode(chain);
  try {
    const { child, lines, stderr } = start([
      "--network=regtest",
      `--connect=127.0.0.1:${port}`,
      ...WATCH,
      "--from",
      "50",
    ]);
    const first = [await lines.next(), await lines.next()].map((r) => r.value);
    assertEquals(first, [expectedLine(chain, 60, 0), expectedLine(chain, 100, 0)]);
    // The spend at 160 pays no watched script and its coin was paid before --from: no line.
    // A new block pays the segwit address: announced with headers, then found by its filter.
    chain.extend(1, { payTo: () => [segwit] });
    node.announce(180);
    assertEquals((await lines.next()).value, expectedLine(chain, 181, 0));
    child.kill("SIGINT");
    assertEquals(await rest(lines), []);
    assertEquals((await child.status).code, 0);
    assertMatch(await stderr, /stopped \(SIGINT\)/);
  } finally {
    await node.stop();
  }
});

Deno.test("examples/light_client.ts: --help and bad options", async (t) => {
  const cases: [string[], number, RegExp][] = [
    [["--help"], 0, /^Usage: deno run --allow-net examples\/light_client\.ts/m],
    [["--network", "regtest"], 2, /regtest has no DNS seeds: give --connect/],
    [["--network", "moonnet"], 2, /Unknown network "moonnet"/],
    [["--network", "regtest", "--connect", "127.0.0.1:99999"], 2, /Invalid address/],
    [
      ["--network", "regtest", "--connect", "127.0.0.1", "--watch", "bc1qnotanaddress"],
      2,
      /not an address of regtest/,
    ],
    [
      [
        "--network",
        "regtest",
        "--connect",
        "127.0.0.1",
        "--watch",
        legacyAddress.slice(0, -1) + "x",
      ],
      2,
      /--watch/,
    ],
    [["--network", "mainnet", "--watch", legacyAddress], 2, /another network than mainnet/],
    [["--from", "tip", "--connect", "127.0.0.1"], 2, /--from must be an integer/],
    [["--verbose"], 2, /Unknown option --verbose/],
  ];
  for (const [args, code, pattern] of cases) {
    await t.step(args.join(" "), async () => {
      const { child, lines, stderr } = start(args);
      const out = await rest(lines);
      assertEquals((await child.status).code, code);
      assertMatch(code === 0 ? out.join("\n") : await stderr, pattern);
      if (code === 0) await stderr;
    });
  }
});

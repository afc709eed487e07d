// The chain's file: round trips in memory and on disk, appends, reorganizations that rewrite
// (and shorten) the tail, and recovery from truncated, corrupt, half-written and foreign files.
import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  type ChainParams,
  FileHeaderStorage,
  HeaderChain,
  type HeaderChainOptions,
  type HeaderStorage,
  MemoryHeaderStorage,
} from "../../headers/mod.ts";
import { BLOCK_HEADER_SIZE, blockHash, encodeBlockHeader } from "../../wire/mod.ts";
import { withLogs as captureLogs } from "../_util/logs.ts";
import {
  FAR_FUTURE_MS,
  genesisOf,
  headersOf,
  mine,
  mineChain,
  type Mined,
  REGTEST,
  retargetParams,
} from "./_mine.ts";

const HEADER = 96;
const G = genesisOf(REGTEST);
const options: HeaderChainOptions = { network: "regtest", adjustedTime: FAR_FUTURE_MS };

/** Runs `fn` with logs captured; returns its result and the records, rendered. */
async function withLogs<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; logs: { level: string; message: string }[] }> {
  let result: T | undefined;
  let logs: { level: string; message: string }[] = [];
  await captureLogs(async (records) => {
    result = await fn();
    logs = records.map((r) => ({ level: r.level, message: r.message.map(String).join("") }));
  });
  return { result: result as T, logs };
}

function open(storage: HeaderStorage, extra: HeaderChainOptions = {}): Promise<HeaderChain> {
  return HeaderChain.open(storage, { ...options, ...extra });
}

/** A stored chain of `n` mined headers. */
async function stored(n: number): Promise<{ storage: MemoryHeaderStorage; blocks: Mined[] }> {
  const storage = new MemoryHeaderStorage();
  const chain = await open(storage);
  const blocks = mineChain(REGTEST, G, n);
  for (let i = 0; i < n; i += 2000) chain.connect(headersOf(blocks.slice(i, i + 2000)));
  await chain.close();
  return { storage, blocks };
}

function assertChainIs(chain: HeaderChain, blocks: readonly Mined[]): void {
  assertEquals(chain.height, blocks.length);
  for (let h = 1; h <= blocks.length; h++) {
    assertEquals(chain.hashAt(h), blocks[h - 1].hash, `height ${h}`);
  }
  assertEquals(chain.tipWork, 2n * BigInt(blocks.length + 1));
}

Deno.test("round trip: what is stored is what is loaded", async () => {
  const { storage, blocks } = await stored(2500);
  const data = storage.data!;
  assertEquals(data.length, HEADER + 2501 * BLOCK_HEADER_SIZE);
  assertEquals(new TextDecoder().decode(data.subarray(0, 8)), "btcshdrs");
  // Record h is the header's 80 bytes, at 96 + 80 h.
  assertEquals(data.subarray(HEADER, HEADER + 80), encodeBlockHeader(REGTEST.genesis));
  const at = (h: number) => data.subarray(HEADER + 80 * h, HEADER + 80 * (h + 1));
  assertEquals(at(1234), encodeBlockHeader(blocks[1233].header));
  const chain = await open(storage);
  assertChainIs(chain, blocks);
  const writes = storage.writes;
  await chain.close();
  assertEquals(storage.writes, writes, "a clean file is not rewritten on open");
});

Deno.test("appends as the chain grows, in the background; flush waits for them", async () => {
  const storage = new MemoryHeaderStorage();
  const chain = await open(storage);
  const blocks = mineChain(REGTEST, G, 30);
  chain.connect(headersOf(blocks.slice(0, 10)));
  chain.connect(headersOf(blocks.slice(10, 20)));
  await chain.flush();
  assertEquals(storage.data!.length, HEADER + 21 * 80);
  chain.connect(headersOf(blocks.slice(20)));
  await chain.close();
  assertEquals(storage.data!.length, HEADER + 31 * 80);
  assertChainIs(await open(storage), blocks);
});

Deno.test("a reorganization rewrites the tail", async () => {
  const storage = new MemoryHeaderStorage();
  const chain = await open(storage);
  const common = mineChain(REGTEST, G, 20);
  const a = mineChain(REGTEST, common[19], 10, { salt: 1 });
  const b = mineChain(REGTEST, common[19], 12, { salt: 2 });
  chain.connect(headersOf([...common, ...a]));
  await chain.flush();
  chain.connect(headersOf(b));
  assertEquals(chain.tip.hash, b[11].hash);
  await chain.close();
  const again = await open(storage);
  assertChainIs(again, [...common, ...b]);
  assertEquals(again.sideHeaders, 0, "side branches are not stored");
  await again.close();
});

Deno.test("a reorganization to a shorter, heavier branch cuts the file", async () => {
  // Testnet's rule: min-difficulty blocks prove little, a real-difficulty one much more.
  const genesis = { ...REGTEST.genesis, bits: 0x2000ffff };
  const params: ChainParams = {
    ...retargetParams(2016, { allowMinDifficultyBlocks: true }),
    genesis,
    genesisHash: blockHash(genesis),
  };
  const storage = new MemoryHeaderStorage();
  const chain = await HeaderChain.open(storage, { network: params, adjustedTime: FAR_FUTURE_MS });
  const g = genesisOf(params);
  const light = mineChain(params, g, 10, { spacing: 1201, bits: 0x207fffff });
  const heavy = [mine(params, g, { bits: 0x2000ffff })];
  heavy.push(mine(params, heavy[0], { bits: 0x2000ffff }));
  chain.connect(headersOf(light));
  await chain.flush();
  assertEquals(storage.data!.length, HEADER + 11 * 80);
  assertEquals(chain.connect(headersOf(heavy)).tipChanged, true);
  assertEquals(chain.height, 2);
  await chain.close();
  assertEquals(storage.data!.length, HEADER + 3 * 80);
  const again = await HeaderChain.open(storage, { network: params, adjustedTime: FAR_FUTURE_MS });
  assertEquals(again.tip.hash, heavy[1].hash);
  await again.close();
});

Deno.test("recovery: the valid prefix is kept and the file repaired", async (t) => {
  const N = 300;
  const { storage: pristine, blocks } = await stored(N);
  const copy = () => new MemoryHeaderStorage(pristine.data!.slice());
  const record = (h: number) => HEADER + 80 * h;

  async function reopen(storage: MemoryHeaderStorage, expectedHeight: number) {
    const { result: chain, logs } = await withLogs(() => open(storage));
    assertEquals(chain.height, expectedHeight);
    assertChainIs(chain, blocks.slice(0, expectedHeight));
    await chain.close();
    // Repaired: the file now holds exactly the kept chain, and opens cleanly.
    assertEquals(storage.data!.length, record(expectedHeight + 1));
    const { logs: quiet } = await withLogs(async () => await (await open(storage)).close());
    assertEquals(quiet.filter((l) => l.level === "warning").length, 0);
    return logs;
  }

  await t.step("a partial last record (a torn append)", async () => {
    const storage = copy();
    storage.data = storage.data!.slice(0, record(N + 1) - 30);
    const logs = await reopen(storage, N - 1);
    assert(
      logs.some((l) => l.level === "warning" && /kept 300 of 300/.test(l.message)),
      JSON.stringify(logs.map((l) => l.message)),
    );
  });
  await t.step(
    "cut in the middle of the file: the last whole record is vouched by nothing",
    async () => {
      const storage = copy();
      // Record 120 is cut before its prevBlock: nothing vouches for record 119 (its proof of
      // work alone passes a flipped bit half the time on regtest), so it goes too.
      storage.data = storage.data!.slice(0, record(120) + 7);
      await reopen(storage, 118);
    },
  );
  await t.step("cut after the next record's prevBlock: the record it links to stays", async () => {
    const storage = copy();
    storage.data = storage.data!.slice(0, record(120) + 36);
    await reopen(storage, 119);
  });
  await t.step("a damaged byte in a record: it and the one it follows go", async () => {
    const storage = copy();
    // Record 200's merkle root: its proof of work fails, or the next record's link does.
    storage.data![record(200) + 40] ^= 0x01;
    await reopen(storage, 199);
  });
  await t.step("a damaged prevBlock link", async () => {
    const storage = copy();
    storage.data![record(150) + 10] ^= 0x80;
    await reopen(storage, 148);
  });
  await t.step("a header with the wrong bits", async () => {
    const storage = copy();
    // Rewrite record 250 with other bits and a valid proof of work for them: rules catch it.
    const bad = mine(REGTEST, blocks[248], { bits: 0x2000ffff });
    storage.data!.set(encodeBlockHeader(bad.header), record(250));
    await reopen(storage, 249);
  });
  await t.step(
    "a damaged file header: every valid record but the unvouched last is kept",
    async () => {
      const storage = copy();
      storage.data![50] ^= 0xff; // inside the committed count / tip hash
      await reopen(storage, N - 1);
    },
  );
  await t.step("a damaged genesis record: only genesis is kept", async () => {
    const storage = copy();
    storage.data![record(0) + 70] ^= 0x01;
    await reopen(storage, 0);
  });
  await t.step("records written after the committed tip (a crash before the header)", async () => {
    const storage = copy();
    const extra = mineChain(REGTEST, blocks[N - 1], 5);
    const data = new Uint8Array(record(N + 6));
    data.set(storage.data!);
    extra.forEach((m, i) => data.set(encodeBlockHeader(m.header), record(N + 1 + i)));
    storage.data = data;
    await reopen(storage, N);
  });
  await t.step("a rewritten tail whose header was not updated: the valid records win", async () => {
    // The file as a reorg left it, with the header of before the reorg.
    const storage = copy();
    const oldHeader = storage.data!.slice(0, HEADER);
    const chain = await open(storage);
    const branch = mineChain(REGTEST, blocks[N - 11], 12, { salt: 7 });
    chain.connect(headersOf(branch));
    await chain.close();
    storage.data!.set(oldHeader, 0);
    const { result: back } = await withLogs(() => open(storage));
    // The old header vouches for none of it: the new tip goes, its parent stays (linked).
    assertEquals(back.height, N + 1);
    assertEquals(back.tip.hash, branch[10].hash);
    await back.close();
  });
});

Deno.test("another network's file, or not a header file, is refused", async () => {
  const { storage } = await stored(3);
  await assertRejects(
    () => HeaderChain.open(new MemoryHeaderStorage(storage.data!.slice()), { network: "signet" }),
    Error,
    "another network",
  );
  const junk = new MemoryHeaderStorage(new TextEncoder().encode('{"not":"headers"}'.repeat(10)));
  await assertRejects(() => open(junk), Error, "something else");
});

Deno.test("FileHeaderStorage: on disk, created atomically, appended, reopened", async () => {
  const dir = await Deno.makeTempDir({ prefix: "btcstream-headers-" });
  try {
    const path = `${dir}/headers.dat`;
    const chain = await open(new FileHeaderStorage(path));
    assertEquals((await Deno.stat(path)).size, HEADER + 80);
    const blocks = mineChain(REGTEST, G, 2100);
    chain.connect(headersOf(blocks.slice(0, 2000)));
    chain.connect(headersOf(blocks.slice(2000)));
    await chain.close();
    assertEquals((await Deno.stat(path)).size, HEADER + 2101 * 80);
    const entries = [...Deno.readDirSync(dir)].map((e) => e.name);
    assertEquals(entries, ["headers.dat"], "no temporary file left behind");
    const again = await open(new FileHeaderStorage(path));
    assertChainIs(again, blocks);
    // Damage on disk is repaired in place.
    await again.close();
    await Deno.truncate(path, HEADER + 2000 * 80 + 3);
    const { result: repaired } = await withLogs(() => open(new FileHeaderStorage(path)));
    // Record 2000 is cut before its prevBlock, so record 1999 is vouched by nothing and goes.
    assertEquals(repaired.height, 1998);
    await repaired.close();
    assertEquals((await Deno.stat(path)).size, HEADER + 1999 * 80);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Properties, with fast-check: a random tree of valid regtest headers, fed in any order the
// tree allows and cut into random batches, always ends on the most-work leaf (the first seen
// among equals), and the events replay to exactly the chain; and a stored chain with random
// bytes damaged always opens, to a prefix of what was stored.
import { assert, assertEquals } from "@std/assert";
import fc from "fast-check";
import { type ChainEvent, HeaderChain, MemoryHeaderStorage } from "../../headers/mod.ts";
import { bytesToHex } from "../../wire/mod.ts";
import { withLogs } from "../_util/logs.ts";
import { FAR_FUTURE_MS, genesisOf, mine, mineChain, type Mined, REGTEST } from "./_mine.ts";

const G = genesisOf(REGTEST);

/** A tree: node i (from 1) hangs under `parents[i - 1]` (0 is genesis, j < i another node). */
const treeArb = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.record({
    parents: fc.tuple(...Array.from({ length: n }, (_, i) => fc.integer({ min: 0, max: i }))),
    // Random draws for the feeding order and the batch cuts.
    picks: fc.array(fc.nat(), { minLength: n, maxLength: n }),
    cuts: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
  })
);

Deno.test("property: the tip is the most-work leaf, first seen on ties; events replay to the chain", async () => {
  await fc.assert(
    fc.asyncProperty(treeArb, async ({ parents, picks, cuts }) => {
      const n = parents.length;
      // Mine the tree: node i at depth(parent) + 1.
      const nodes: Mined[] = [G];
      const depth = [0];
      for (let i = 1; i <= n; i++) {
        const p = parents[i - 1];
        nodes.push(mine(REGTEST, nodes[p], { salt: i }));
        depth.push(depth[p] + 1);
      }
      // A random order in which every node comes after its parent.
      const order: number[] = [];
      const ready = parents.flatMap((p, i) => (p === 0 ? [i + 1] : []));
      for (let k = 0; k < n; k++) {
        const [node] = ready.splice(picks[k] % ready.length, 1);
        order.push(node);
        parents.forEach((p, i) => {
          if (p === node) ready.push(i + 1);
        });
      }
      // Batches: runs of parent-child pairs, cut at random.
      const batches: number[][] = [];
      for (let k = 0; k < n; k++) {
        const node = order[k];
        const last = batches.at(-1)?.at(-1);
        if (last !== undefined && parents[node - 1] === last && !cuts[k]) {
          batches.at(-1)!.push(node);
        } else batches.push([node]);
      }

      const chain = new HeaderChain({ network: "regtest", adjustedTime: FAR_FUTURE_MS });
      const events = chain.events();
      for (const batch of batches) {
        const r = chain.connect(batch.map((i) => nodes[i].header));
        assertEquals(r.error, undefined);
        assertEquals(r.accepted, batch.length);
      }
      // Regtest blocks all prove the same work: the most work is the greatest depth.
      const best = Math.max(...depth);
      const expected = order.find((i) => depth[i] === best)!;
      assertEquals(chain.height, best);
      assertEquals(bytesToHex(chain.tip.hash), bytesToHex(nodes[expected].hash));
      assertEquals(chain.sideHeaders, n - best);

      // Replay the events onto a list holding only genesis.
      await chain.close();
      const replay = [bytesToHex(G.hash)];
      for (const event of await Array.fromAsync<ChainEvent>(events)) {
        if (event.type === "reorg") {
          assertEquals(event.fork.height, replay.length - 1 - event.removed.length);
          const undone = replay.splice(event.fork.height + 1);
          assertEquals(undone, event.removed.map((e) => bytesToHex(e.hash)));
        }
        assertEquals(event.added[0].height, replay.length);
        replay.push(...event.added.map((e) => bytesToHex(e.hash)));
        assertEquals(bytesToHex(event.tip.hash), replay.at(-1));
      }
      const main = Array.from({ length: chain.height + 1 }, (_, h) => bytesToHex(chain.hashAt(h)!));
      assertEquals(replay, main);
    }),
    { numRuns: 60 },
  );
});

Deno.test("property: a stored chain with damaged bytes opens to a prefix of it", async () => {
  const storage = new MemoryHeaderStorage();
  const original = await HeaderChain.open(storage, {
    network: "regtest",
    adjustedTime: FAR_FUTURE_MS,
  });
  const blocks = mineChain(REGTEST, G, 120);
  original.connect(blocks.map((m) => m.header));
  await original.close();
  const pristine = storage.data!;
  await withLogs(async () => {
    await fc.assert(
      fc.asyncProperty(
        // Past the magic and format version, which say whose file this is.
        fc.array(
          fc.record({
            at: fc.integer({ min: 12, max: pristine.length - 1 }),
            xor: fc.integer({ min: 1, max: 255 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.integer({ min: 0, max: pristine.length }),
        async (flips, cut) => {
          const data = pristine.slice(0, Math.max(cut, 12));
          for (const { at, xor } of flips) if (at < data.length) data[at] ^= xor;
          const damaged = new MemoryHeaderStorage(data);
          const chain = await HeaderChain.open(damaged, {
            network: "regtest",
            adjustedTime: FAR_FUTURE_MS,
          });
          assert(chain.height <= 120);
          for (let h = 1; h <= chain.height; h++) {
            assertEquals(bytesToHex(chain.hashAt(h)!), bytesToHex(blocks[h - 1].hash));
          }
          await chain.close();
          // What was repaired opens cleanly to the same chain.
          const again = await HeaderChain.open(damaged, {
            network: "regtest",
            adjustedTime: FAR_FUTURE_MS,
          });
          assertEquals(again.height, chain.height);
          await again.close();
        },
      ),
      { numRuns: 150 },
    );
  });
});

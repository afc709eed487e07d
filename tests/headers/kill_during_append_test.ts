// A real process killed (SIGKILL) while it appends to its header file, again and again,
// sometimes in the middle of a reorganization that rewrites the file's tail: whenever it dies,
// the file opens, every header in it is valid, and what the child last flushed is kept, up to
// the fork of a reorganization that was being written (a rewrite in place destroys the old
// branch's tail before the new one is whole; both are prefixes of a chain the node held). Each round's child continues from the file the last one left. The child's disk is
// made slow (writes in 1 KB pieces) so that kills land inside appends, not between them.
import { assert, assertEquals } from "@std/assert";
import { HeaderChain } from "../../headers/mod.ts";
import { FileHeaderStorage } from "../../headers/storage.ts";
import { withLogs } from "../_util/logs.ts";

const MODULE = new URL("../../headers/mod.ts", import.meta.url).href;
const MINE = new URL("./_mine.ts", import.meta.url).href;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const FAR_FUTURE_MS = 4_000_000_000_000;

const CHILD = `
import { FileHeaderStorage, HeaderChain } from ${JSON.stringify(MODULE)};
import { mineChain, REGTEST } from ${JSON.stringify(MINE)};
// A slow disk: appends go out 1 KB at a time, so that most kills land in the middle of one.
class SlowFile extends FileHeaderStorage {
  async write(offset, data, options = {}) {
    for (let at = 0; at < data.length; at += 1024) {
      const piece = data.subarray(at, Math.min(at + 1024, data.length));
      const last = at + 1024 >= data.length;
      await super.write(offset + at, piece, { truncate: last && options.truncate });
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    if (data.length === 0) await super.write(offset, data, options);
  }
}
const chain = await HeaderChain.open(new SlowFile(Deno.args[0]), {
  network: "regtest",
  adjustedTime: ${FAR_FUTURE_MS},
});
for (let round = 0; ; round++) {
  // Every third batch is a heavier branch from 20 below the tip: a reorg that cuts the file.
  const from = round % 3 === 2 ? chain.height - 20 : chain.height;
  const entry = chain.entryAt(from);
  const batch = mineChain(REGTEST, { header: entry.header, hash: entry.hash }, round % 3 === 2 ? 25 : 300, {
    salt: round + 1,
  });
  const r = chain.connect(batch.map((m) => m.header));
  if (r.error !== undefined) throw r.error;
  await chain.flush();
  // What any later crash must leave: this height, less a reorg's depth, and the header there.
  const keep = chain.height - 20;
  console.log("saved " + chain.height + " " + keep + " " + chain.hashAt(keep).toHex());
}
`;

Deno.test({
  name: "a process killed while appending leaves a file whose valid prefix holds every flush",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "btcstream-headers-kill-" });
    try {
      const script = `${dir}/child.ts`;
      await Deno.writeTextFile(script, CHILD);
      const path = `${dir}/headers.dat`;
      for (let round = 0; round < 10; round++) {
        const child = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--quiet",
            `--config=${CONFIG}`,
            "--allow-read",
            `--allow-write=${dir}`,
            "--allow-env",
            script,
            path,
          ],
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        // Wait for two flushes, then kill at a varying moment of the appends after them.
        const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        while ((text.match(/saved \d+ \d+ [0-9a-f]{64}\n/g) ?? []).length < 2) {
          const { done, value } = await reader.read();
          if (done) break;
          text += value;
        }
        await new Promise((resolve) => setTimeout(resolve, round * 7));
        child.kill("SIGKILL");
        // Everything the child printed before it died was flushed before it printed.
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          text += value;
        }
        const status = await child.status;
        const stderr = await new Response(child.stderr).text();
        assertEquals(status.success, false, `the child was killed, not finished: ${stderr}`);
        const saved = [...text.matchAll(/saved (\d+) (\d+) ([0-9a-f]{64})/g)];
        assert(saved.length >= 2, `the child saved: ${text} ${stderr}`);
        const last = saved[saved.length - 1];
        const [flushed, keep, keepHash] = [Number(last[1]), Number(last[2]), last[3]];

        let height = -1;
        await withLogs(async () => {
          const chain = await HeaderChain.open(new FileHeaderStorage(path), {
            network: "regtest",
            adjustedTime: FAR_FUTURE_MS,
          });
          height = chain.height;
          assertEquals(chain.hashAt(keep)?.toHex(), keepHash, `round ${round}: height ${keep}`);
          await chain.close();
        });
        assert(height >= keep, `round ${round}: height ${height} < ${keep} (flushed ${flushed})`);
        // Repaired: a second open finds nothing to recover.
        await withLogs(async (records) => {
          const chain = await HeaderChain.open(new FileHeaderStorage(path), {
            network: "regtest",
            adjustedTime: FAR_FUTURE_MS,
          });
          assertEquals(chain.height, height);
          await chain.close();
          assertEquals(records.filter((r) => r.level === "warning").length, 0);
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

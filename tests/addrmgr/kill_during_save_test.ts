// A real process killed (SIGKILL) while it saves its address book, again and again: whenever it
// dies, the file on disk is one complete save, never a torn one. The child saves large books
// in a loop through FileStorage; the parent kills it at varying points after its first save.
import { assert, assertEquals } from "@std/assert";
import { delay } from "@std/async/delay";
import { TextLineStream } from "@std/streams/text-line-stream";

const STORAGE = new URL("../../addrmgr/storage.ts", import.meta.url).href;

const CHILD = `
import { FileStorage } from ${JSON.stringify(STORAGE)};
const storage = new FileStorage(Deno.args[0]);
const pad = "x".repeat(16_000_000);
for (let i = 0; ; i++) {
  await storage.save(JSON.stringify({ i, pad, end: i }));
  console.log("saved " + i);
}
`;

Deno.test({
  name: "a process killed during a save leaves the previous book intact",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "btcstream-kill-" });
    try {
      const script = `${dir}/child.ts`;
      await Deno.writeTextFile(script, CHILD);
      const book = `${dir}/peers.json`;
      const lastSeen: number[] = [];
      for (let round = 0; round < 10; round++) {
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", "--quiet", `--allow-read=${dir}`, `--allow-write=${dir}`, script, book],
          stdout: "piped",
          stderr: "null",
        }).spawn();
        // Wait for the first complete save, then kill at a varying moment of the saves after it.
        const reader = child.stdout.pipeThrough(new TextDecoderStream())
          .pipeThrough(new TextLineStream()).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done || /saved \d+$/.test(value)) break;
        }
        await delay(round * 7);
        child.kill("SIGKILL");
        await reader.cancel();
        const status = await child.status;
        assertEquals(status.success, false, "the child was killed, not finished");
        // Whatever moment it died at, the book is one whole save.
        const stored = JSON.parse(await Deno.readTextFile(book));
        assertEquals(stored.i, stored.end);
        assertEquals(stored.pad.length, 16_000_000);
        lastSeen.push(stored.i);
      }
      assert(lastSeen.every((i) => i >= 0));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

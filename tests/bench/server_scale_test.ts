// bench/server_scale.ts as a subprocess at a small scale, so that the benchmark keeps working:
// 50 peers dialed from its second process, all handshaken, measured and closed.
import { assert, assertEquals, assertGreater, assertMatch, assertNotMatch } from "@std/assert";

const script = new URL("../../bench/server_scale.ts", import.meta.url).pathname;

Deno.test("bench/server_scale.ts connects, measures and closes 50 peers", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=127.0.0.1",
      "--allow-run",
      "--allow-env",
      "--allow-read",
      "--v8-flags=--expose-gc",
      script,
      "--peers",
      "50",
      // Fewer in flight than peers, so that the dialer's pool queues.
      "--concurrency",
      "16",
      "--timeout",
      "20",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  const err = new TextDecoder().decode(stderr);
  assertEquals(code, 0, `exit code ${code}\n${out}\n${err}`);
  assertMatch(out, /^server_scale: gc between samples: yes$/m);
  assertMatch(out, /^\| peers handshaken \(dialer \/ server\) +\| 50 \/ 50 of 50 \|$/m);
  assertMatch(out, /^\| concurrent handshakes \(dialer\) +\| 16 \|$/m);
  assertMatch(out, /^\| first dial to all handshaken, dialer +\| \d+\.\d\d s \(\d+\/s\) \|$/m);
  assertMatch(out, /^\| first dial to all accepted, server +\| \d+\.\d\d s \|$/m);
  const perPeer = /^\| server memory per peer +\| (-?\d+\.\d) KiB RSS \(JS heap (-?\d+\.\d) KiB/m
    .exec(out);
  assert(perPeer, out);
  // The heap of 50 peers, each with its server record, is not nothing.
  assertGreater(Number(perPeer[2]), 1, `heap per peer ${perPeer[2]} KiB`);
  assertNotMatch(out, /failures:/);
});

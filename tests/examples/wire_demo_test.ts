// The demo is what `deno task demo` runs: it must keep working and show what it claims.
import assert from "node:assert/strict";

Deno.test("examples/wire_demo.ts runs and round-trips every message", async () => {
  const demo = new URL("../../examples/wire_demo.ts", import.meta.url);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", demo.pathname, "--seed", "42", "--network", "signet"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
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
    assert.match(out, new RegExp(`^  ${command} +\\d+ B`, "m"), `no ${command} line`);
  }
  assert.match(out, /magic 0x40cf030a/);
  assert.match(out, /pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd\.onion:8333/);
  assert.match(out, /MessageError bad-checksum/);
});

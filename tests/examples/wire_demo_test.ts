// The demo is what `deno task demo` runs: it must keep working and show what it claims.
import { assertEquals, assertMatch } from "@std/assert";

Deno.test("examples/wire_demo.ts runs and round-trips every message", async () => {
  const demo = new URL("../../examples/wire_demo.ts", import.meta.url);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", demo.pathname, "--seed", "42", "--network", "signet"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assertEquals(code, 0, new TextDecoder().decode(stderr));
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

// The examples' shared command-line helpers (examples/_cli.ts), on their own.
import { assertEquals, assertThrows } from "@std/assert";
import { parseArgs, parseServices, UsageError } from "../../examples/_cli.ts";
import { ServiceFlag } from "../../wire/mod.ts";

Deno.test("parseServices: names in any case, with or without NODE_, or a number", () => {
  const { NETWORK, WITNESS, NETWORK_LIMITED } = ServiceFlag;
  assertEquals(parseServices("NETWORK,WITNESS"), NETWORK | WITNESS);
  assertEquals(parseServices("network, Witness"), NETWORK | WITNESS);
  assertEquals(parseServices("NODE_NETWORK_LIMITED,node_witness"), NETWORK_LIMITED | WITNESS);
  assertEquals(parseServices("NODE_2X"), ServiceFlag.NODE_2X);
  assertEquals(parseServices("1033"), NETWORK | WITNESS | NETWORK_LIMITED);
  assertEquals(parseServices("0x409"), NETWORK | WITNESS | NETWORK_LIMITED);
  assertEquals(parseServices("0"), 0n);
  assertEquals(parseServices("0xffffffffffffffff"), 2n ** 64n - 1n);
  assertThrows(() => parseServices("NETWORK,BLOOMS"), UsageError, 'Unknown service "BLOOMS"');
  assertThrows(() => parseServices(""), UsageError, 'Unknown service ""');
  assertThrows(() => parseServices("18446744073709551616"), UsageError, "does not fit in 64 bits");
});

Deno.test("parseArgs: values, flags, positionals, and usage errors", () => {
  const spec = { options: ["txs", "out"], flags: ["quiet"] };
  const parsed = parseArgs(["--txs", "-1", "--out", "-", "--quiet", "12", "a"], spec);
  assertEquals(Object.fromEntries(parsed.values), { txs: "-1", out: "-" });
  assertEquals([...parsed.flags], ["quiet"]);
  assertEquals(parsed.positionals, ["12", "a"]);
  assertEquals(
    parseArgs(["--txs=3", "--log-format", "json"], spec).values.get("log-format"),
    "json",
  );
  assertThrows(() => parseArgs(["--nope"], spec), UsageError, "Unknown option --nope");
  assertThrows(() => parseArgs(["--txs"], spec), UsageError, "--txs needs a value");
  assertThrows(() => parseArgs(["--txs="], spec), UsageError, "--txs needs a value");
});

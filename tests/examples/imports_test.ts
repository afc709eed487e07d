// `deno task` installs every npm package of deno.json's top-level import map before it runs
// anything, so a package there that only the tests use is fetched by `deno task demo` too
// (fast-check was). Test-only packages belong to the `./tests/` scope.
import { assert, assertEquals } from "@std/assert";

const root = new URL("../../", import.meta.url);

async function sources(folder: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(new URL(folder, root))) {
    const path = `${folder}${entry.name}`;
    if (entry.isDirectory && entry.name !== "compare") out.push(...await sources(`${path}/`));
    else if (entry.name.endsWith(".ts")) out.push(await Deno.readTextFile(new URL(path, root)));
  }
  return out;
}

Deno.test("deno.json: every npm package of the top-level imports is used outside the tests", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const code = [
    await Deno.readTextFile(new URL("mod.ts", root)),
    ...(await Promise.all(
      ["wire/", "peer/", "addrmgr/", "server/", "examples/", "bench/"].map(sources),
    )).flat(),
  ];
  const npm = Object.entries(config.imports as Record<string, string>)
    .filter(([, target]) => target.startsWith("npm:"));
  assert(npm.length > 0);
  for (const [name] of npm) {
    const used = code.some((text) => text.includes(`from "${name}"`) || text.includes(`"${name}/`));
    assert(used, `${name} is in the top-level imports but only tests use it: scope it to ./tests/`);
  }
  assertEquals(config.scopes?.["./tests/"]?.["fast-check"], "npm:fast-check@4.3.0");
});

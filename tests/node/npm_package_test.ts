// The package as Node users get it from JSR (issue 11). JSR builds every package for npm
// (jsr-io/jsr, api/src/npm/): TypeScript transpiled to JavaScript, `.d.ts` from the same fast
// check as `deno publish`, and a package.json whose dependencies are the package's `npm:` (and
// `jsr:`) imports with their constraints as written. `deno pack` is that build, run locally.
// It differs in two respects: the name (JSR's is `@jsr/btcstream__p2p`, which `npx jsr add`
// installs under the alias `@btcstream/p2p`, the same folder in node_modules) and the
// dependencies, mended below: `deno pack` writes a caret range ("^1.1.1") where JSR keeps the
// import's constraint (deno.json pins exact versions), so npm would install newer versions than
// the ones this suite tests with.
//
// Once per run, in a temporary folder: pack, pin the dependencies, install the package with
// npm (packed from the folder, as the tarball; the npm registry only: every dependency is an
// npm package, none comes from npm.jsr.io, and `@std` appears only in documentation examples),
// compile `_consumer.ts` with tsc against the installed `.d.ts`, run it on Node and check what
// it reports; then run the README's Node example as written. Deno's permissions do not reach
// child processes: npm reaches the registry although this suite runs with
// --allow-net=127.0.0.1.
import { assert, assertEquals, fail } from "@std/assert";
import { dataStep, HAVE_SHARED_DATA, SHARED_DATA } from "../_util/shared_data.ts";

const ROOT = new URL("../../", import.meta.url);
const CONSUMER = new URL("./_consumer.ts", import.meta.url);
const BLOCK_HASH = "0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2";
const BLOCK_FILE = new URL(`block-${BLOCK_HASH}.blk`, SHARED_DATA).pathname;
/** What a Node 20 TypeScript project compiles with, pinned. */
const TOOLCHAIN = ["typescript@5.9.3", "@types/node@20.19.43"];
/**
 * `@tsconfig/node20`'s settings, but with the package's `.d.ts` checked too (skipLibCheck
 * off): a type there that only Deno declares would break every Node user's build.
 */
const TSCONFIG = {
  compilerOptions: {
    lib: ["es2023"],
    module: "node16",
    target: "es2022",
    strict: true,
    skipLibCheck: false,
    types: ["node"],
    outDir: "out",
  },
  files: ["consumer.ts"],
};
/** A cold npm cache downloads the dependencies and TypeScript (about 25 MB). */
const INSTALL_TIMEOUT_MS = 300_000;
const STEP_TIMEOUT_MS = 120_000;

/** `command --version`, or undefined when the command is not installed. */
function versionOf(command: string): string | undefined {
  try {
    const { success, stdout } = new Deno.Command(command, {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return success ? new TextDecoder().decode(stdout).trim() : undefined;
  } catch (e) {
    // Absent is a reason to skip; a missing --allow-run is not.
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

const NODE_VERSION = versionOf("node");
const NPM_VERSION = versionOf("npm");
const MISSING = Object.entries({ node: NODE_VERSION, npm: NPM_VERSION })
  .filter(([, version]) => version === undefined)
  .map(([command]) => command);

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end with a deadline; throws with its output unless it exits 0. */
async function run(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs: number = STEP_TIMEOUT_MS,
): Promise<Output> {
  const child = new Deno.Command(command, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  try {
    const output = await child.output();
    const result = {
      code: output.code,
      stdout: new TextDecoder().decode(output.stdout),
      stderr: new TextDecoder().decode(output.stderr),
    };
    if (timedOut || !output.success) {
      const why = timedOut ? `still running after ${timeoutMs} ms` : `exit ${output.code}`;
      fail(`${command} ${args.join(" ")} failed (${why}):\n${result.stdout}${result.stderr}`);
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** The `npm:` imports of deno.json: package name to the exact version it pins. */
function npmPins(imports: Record<string, string>): Map<string, string> {
  const pins = new Map<string, string>();
  for (const target of Object.values(imports)) {
    const match = /^npm:(@?[^@]+)@(.+)$/.exec(target);
    if (match) pins.set(match[1], match[2]);
  }
  return pins;
}

/** The first fenced block of `language` (info string `language ignore`) after `heading`. */
function readmeSnippet(readme: string, heading: string, language: string): string {
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const match = new RegExp("```" + language + " ignore\\n([\\s\\S]*?)```").exec(section);
  if (!match) fail(`No \`${language}\` snippet under "${heading}" in README.md`);
  return match[1];
}

type Report = Record<string, unknown> & { part: string };

Deno.test({
  name: `npm package: JSR's npm build installs with npm and runs on Node ${NODE_VERSION ?? ""}` +
    (MISSING.length > 0 ? ` (skipped: no ${MISSING.join(" or ")} on PATH)` : ""),
  ignore: MISSING.length > 0,
  async fn(t) {
    const denoJson = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
    const pins = npmPins(denoJson.imports);
    const dir = await Deno.makeTempDir({ prefix: "btcstream-npm-" });
    const app = `${dir}/app`;
    const packageDir = `${dir}/package`;
    const reports: Report[] = [];
    const part = (name: string): Report[] => {
      const found = reports.filter((r) => r.part === name);
      if (found.length === 0) fail(`The consumer reported no "${name}" part`);
      return found;
    };
    try {
      await t.step("deno pack: JavaScript, .d.ts and npm dependencies only", async () => {
        const tarball = `${dir}/btcstream-p2p.tgz`;
        await run(Deno.execPath(), ["pack", "--allow-dirty", "--output", tarball], ROOT.pathname);
        await run("tar", ["-xzf", tarball, "-C", dir], dir);
        const manifestPath = `${packageDir}/package.json`;
        const manifest = JSON.parse(await Deno.readTextFile(manifestPath));
        assertEquals(manifest.name, denoJson.name);
        assertEquals(manifest.version, denoJson.version);
        assertEquals(manifest.type, "module");
        assertEquals(Object.keys(manifest.exports), Object.keys(denoJson.exports));
        for (const [entry, source] of Object.entries<string>(denoJson.exports)) {
          const js = source.replace(/\.ts$/, ".js");
          assertEquals(manifest.exports[entry].import, js);
          await Deno.stat(`${packageDir}/${js}`);
          await Deno.stat(`${packageDir}/${source.replace(/\.ts$/, ".d.ts")}`);
        }
        // Pinned as JSR pins them: the version each import names.
        const dependencies: Record<string, string> = manifest.dependencies;
        assert(Object.keys(dependencies).length > 0);
        for (const name of Object.keys(dependencies)) {
          const pinned = pins.get(name);
          assert(pinned !== undefined, `${name} is not an npm: import of deno.json`);
          dependencies[name] = pinned;
        }
        await Deno.writeTextFile(manifestPath, JSON.stringify(manifest, null, 2));
      });

      await t.step("npm installs it from the npm registry, with tsc and Node's types", async () => {
        await Deno.mkdir(app);
        await Deno.writeTextFile(
          `${app}/package.json`,
          JSON.stringify({ name: "btcstream-node-user", private: true, type: "module" }),
        );
        await Deno.writeTextFile(`${app}/tsconfig.json`, JSON.stringify(TSCONFIG));
        // --install-links: the folder is packed and installed as the tarball would be, not
        // linked to.
        await run(
          "npm",
          [
            "install",
            "--install-links",
            "--prefer-offline",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            packageDir,
            ...TOOLCHAIN,
          ],
          app,
          INSTALL_TIMEOUT_MS,
        );
        const installed = JSON.parse(
          await Deno.readTextFile(`${app}/node_modules/@btcstream/p2p/package.json`),
        );
        for (const name of Object.keys(installed.dependencies)) {
          const { version } = JSON.parse(
            await Deno.readTextFile(`${app}/node_modules/${name}/package.json`),
          );
          assertEquals(version, pins.get(name), `${name} as deno.json pins it`);
        }
      });

      await t.step(
        "tsc compiles a strict TypeScript program against the package's .d.ts",
        async () => {
          await Deno.copyFile(CONSUMER, `${app}/consumer.ts`);
          await run("node", ["node_modules/typescript/bin/tsc", "-p", "."], app);
        },
      );

      await t.step(
        "Node runs it to its end: exit 0, nothing on stderr, nothing left open",
        async () => {
          const args = ["out/consumer.js", ...(HAVE_SHARED_DATA ? [BLOCK_FILE] : [])];
          const { stdout, stderr } = await run("node", args, app);
          assertEquals(stderr, "");
          for (const line of stdout.trim().split("\n")) reports.push(JSON.parse(line));
        },
      );

      await t.step("every entry point exports the names it exports in Deno", async () => {
        const [{ names }] = part("exports");
        // "." is the consumer's `root`, "./wire" its `wire`...: a new entry point fails here
        // until _consumer.ts imports it too.
        for (const [entry, source] of Object.entries<string>(denoJson.exports)) {
          const module = await import(new URL(source, ROOT).href);
          const name = entry === "." ? "root" : entry.slice(2);
          assertEquals(
            (names as Record<string, string[]>)[name],
            Object.keys(module).sort(),
            entry,
          );
        }
      });

      await t.step(
        dataStep("the 1.2 MB mainnet block decodes: hash, 3,315 transactions, merkle root", () => {
          assertEquals(part("block"), [{
            part: "block",
            bytes: 1_245_250,
            hash: BLOCK_HASH,
            transactions: 3315,
            merkleRootMatches: true,
            reencodes: true,
          }]);
        }),
      );

      for (const transport of ["v1", "v2"]) {
        await t.step(
          `two Peers over node:net sockets (Duplex.toWeb), ${transport}: handshake, ping and pong, disconnect`,
          () => {
            const report = part("peers").find((r) => r.transport === transport);
            assertEquals(report, {
              part: "peers",
              transport,
              ready: [true, true],
              transports: [transport, transport],
              userAgents: ["/btcstream:0.1.0/", "/btcstream:0.1.0/"],
              protocolVersions: [70016, 70016],
              pingWritten: true,
              pongNonce: "123456789abcdef0",
              closed: ["local", "remote-closed"],
            });
          },
        );
      }

      await t.step("the address book's and the header chain's files, on node:fs", () => {
        assertEquals(part("files"), [{
          part: "files",
          bookBefore: null,
          bookLoaded: '{"Version":3}',
          bookSetAside: true,
          bookAfter: null,
          headersFileBytes: 96 + 80, // the file's header and the genesis header
          reopenedHeight: 0,
        }]);
      });

      await t.step("a Server on an in-memory network accepts a peer", () => {
        assertEquals(part("server"), [{
          part: "server",
          ready: true,
          acceptedInbound: true,
          peerInfo: [{ addr: "10.0.0.2:49152", inbound: true }],
        }]);
      });

      await t.step(dataStep("the README's Node example runs as written", async () => {
        const readme = await Deno.readTextFile(new URL("README.md", ROOT));
        await Deno.writeTextFile(`${app}/main.mjs`, readmeSnippet(readme, "## Install", "js"));
        const { stdout, stderr } = await run("node", ["main.mjs", BLOCK_FILE], app);
        assertEquals(stderr, "");
        assertEquals(stdout.trim().split("\n"), [
          `${BLOCK_HASH} 3315`,
          "true /btcstream:0.1.0/ v2",
          "remote-closed",
        ]);
      }));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

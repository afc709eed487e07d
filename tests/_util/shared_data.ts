// Locates ../shared/data beside the project (present in CI and developer checkouts, absent
// from a user's fresh clone, where the tests that need it skip and say so).

/** The shared data folder's URL. */
export const SHARED_DATA: URL = new URL("../../../shared/data/", import.meta.url);

function exists(url: URL): boolean {
  try {
    Deno.statSync(url);
    return true;
  } catch (e) {
    // Absent is a reason to skip; a missing --allow-read is not.
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** True when ../shared/data is present. */
export const HAVE_SHARED_DATA: boolean = exists(SHARED_DATA);

if (!HAVE_SHARED_DATA) {
  console.warn(
    `Skipping tests that need real Bitcoin data: ${SHARED_DATA.pathname} is absent ` +
      "(it sits beside the project in CI and development checkouts)",
  );
}

/** Why a test or step that needs the data is skipped. */
export const NO_SHARED_DATA = "the shared data folder (../shared/data) is absent";

/** Appended to the name of a test or step that needs the data: empty when it is present. */
export const SKIP_NOTE: string = HAVE_SHARED_DATA ? "" : ` (skipped: ${NO_SHARED_DATA})`;

/** A test that needs the shared data: ignored, with the reason in its name, when it is absent. */
export function dataTest(
  name: string,
  fn: (t: Deno.TestContext) => void | Promise<void>,
): Deno.TestDefinition {
  return { name: name + SKIP_NOTE, ignore: !HAVE_SHARED_DATA, fn };
}

/** A step that needs the shared data: ignored, with the reason in its name, when it is absent. */
export function dataStep(
  name: string,
  fn: (t: Deno.TestContext) => void | Promise<void>,
): Deno.TestStepDefinition {
  return { name: name + SKIP_NOTE, ignore: !HAVE_SHARED_DATA, fn };
}

/** One line of a vectors/*.jsonl file. */
export interface Vector {
  command: string;
  frame: string;
  payloadLength: number;
  witness: boolean;
  coreClass?: string;
  fields: Record<string, unknown>;
  /** Which file it came from. */
  source: string;
  /** 1-based line number. */
  line: number;
}

let cached: readonly Vector[] | undefined;

/** Every vector line from both files, in file order (empty when the folder is absent). */
export function loadVectors(): Vector[] {
  if (!HAVE_SHARED_DATA) return [];
  if (cached === undefined) {
    const out: Vector[] = [];
    for (const source of ["core_messages.jsonl", "pybitcoinlib_messages.jsonl"]) {
      const text = Deno.readTextFileSync(new URL(`vectors/${source}`, SHARED_DATA));
      text.split("\n").forEach((line, i) => {
        if (line.trim() !== "") out.push({ ...JSON.parse(line), source, line: i + 1 });
      });
    }
    cached = out;
  }
  return cached.slice();
}

/** The vectors of the given commands from both files, in file order. */
export function vectorsFor(...commands: readonly string[]): Vector[] {
  return loadVectors().filter((v) => commands.includes(v.command));
}

/** A file from the shared data folder. */
export function readShared(name: string): Uint8Array {
  return Deno.readFileSync(new URL(name, SHARED_DATA));
}

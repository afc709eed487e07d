// Where the examples' output goes, through LogTape: each line an example prints is a log
// record of its own category, written as the plain line it always was (`--log-format text`,
// the default) or as one JSON object per line (`--log-format json`, for a script deployed as
// a service, whose lines a log collector reads). The library's own log lines, where an
// example shows them, take the same path.
import {
  configure,
  getConsoleSink,
  getJsonLinesFormatter,
  getLogger,
  type Logger,
  type LogLevel,
  type LogRecord,
  type Sink,
} from "@logtape/logtape";
import { setColorEnabled } from "@std/fmt/colors";

/** The formats of `--log-format`. */
export const LOG_FORMATS = ["text", "json"] as const;

/** One of {@linkcode LOG_FORMATS}. */
export type LogFormat = typeof LOG_FORMATS[number];

/** An example's output. */
export interface Output {
  /** Whether lines are written as JSON. */
  readonly json: boolean;
  /** A line of output: the text as it is (stdout), or a record with these properties. */
  info(text: string, properties?: Record<string, unknown>): void;
  /** A warning: like {@linkcode Output.info}, at level `warning`. */
  warn(text: string, properties?: Record<string, unknown>): void;
  /** A word on what is going on: a plain line on stderr, or a record (category `status`). */
  note(text: string, properties?: Record<string, unknown>): void;
  /** A failure: `name: text` on stderr, or a record at level `error` (also on stderr). */
  error(text: string, properties?: Record<string, unknown>): void;
}

/** Options for {@linkcode setupOutput}. */
export interface OutputOptions {
  /** The library's log lines to show, from this level (default: none). */
  readonly libraryLevel?: LogLevel;
  /** Standard output carries the example's data: every record goes to stderr then. */
  readonly stdoutTaken?: boolean;
}

const ENCODER = new TextEncoder();
let current: { name: string; output: Output } | undefined;

function writeAll(file: typeof Deno.stdout | typeof Deno.stderr, text: string): void {
  const bytes = ENCODER.encode(text);
  for (let n = 0; n < bytes.length;) n += file.writeSync(bytes.subarray(n));
}

/** The record's text exactly as the example gave it (not parsed as a message template). */
function rawText(record: LogRecord): string {
  return typeof record.rawMessage === "string" ? record.rawMessage : record.message.join("");
}

/**
 * Sets up LogTape for an example and returns its output. Text: each line as it is, a
 * failure prefixed with the example's name on stderr, the library's lines (if any) in
 * LogTape's console format. JSON: one object per line (`@timestamp`, `level`, `message`,
 * `logger`, `properties`); the example's messages are its lines, the library's are rendered.
 *
 * @param name The example's name, also its logger category.
 * @param format `text` or `json`.
 * @param options Which library lines to show, and whether stdout is taken.
 * @returns The output.
 */
export async function setupOutput(
  name: string,
  format: LogFormat,
  options: OutputOptions = {},
): Promise<Output> {
  const json = format === "json";
  // Terminal colors have no place in a JSON message.
  if (json) setColorEnabled(false);
  const exampleJson = getJsonLinesFormatter({ message: "template" });
  const libraryJson = getJsonLinesFormatter();
  const toStderr = (record: LogRecord) =>
    options.stdoutTaken === true || record.level === "error" || record.level === "fatal" ||
    (!json && record.category[1] === "status");
  const sink: Sink = (record) => {
    const file = toStderr(record) ? Deno.stderr : Deno.stdout;
    if (json) {
      writeAll(file, record.category[0] === name ? exampleJson(record) : libraryJson(record));
    } else if (record.level === "error" || record.level === "fatal") {
      writeAll(file, `${name}: ${rawText(record)}\n`);
    } else {
      writeAll(file, `${rawText(record)}\n`);
    }
  };
  const libraryLevel = options.libraryLevel;
  await configure({
    reset: true,
    sinks: { out: sink, console: getConsoleSink() },
    loggers: [
      { category: [name], lowestLevel: "debug", sinks: ["out"] },
      ...(libraryLevel === undefined ? [] : [{
        category: ["btcstream"],
        lowestLevel: libraryLevel,
        sinks: [json ? "out" : "console"],
      }]),
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["out"] },
    ],
  });
  const logger: Logger = getLogger([name]);
  const status = logger.getChild("status");
  const output: Output = {
    json,
    info: (text, properties = {}) => logger.info(text, properties),
    warn: (text, properties = {}) => logger.warn(text, properties),
    note: (text, properties = {}) => status.info(text, properties),
    error: (text, properties = {}) => logger.error(text, properties),
  };
  current = { name, output };
  return output;
}

/** Reports a failure through the example's output once it is set up, else as a plain line. */
export function reportFailure(name: string, text: string): void {
  if (current?.name === name) current.output.error(text);
  else console.error(`${name}: ${text}`);
}

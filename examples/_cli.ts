// What the command-line examples share: option parsing (`@std/cli`) with usage errors (exit
// 2), host:port parsing and formatting, service flags as text, progress on stderr, Ctrl-C
// handling, and `runCli`, which sets up the output (`_log.ts`) and the exit codes.
import { parseArgs as stdParseArgs } from "@std/cli/parse-args";
import { ProgressBar } from "@std/cli/unstable-progress-bar";
import { Spinner } from "@std/cli/unstable-spinner";
import { setColorEnabled } from "@std/fmt/colors";
import {
  type Network,
  type NetworkName,
  NETWORKS,
  ServiceFlag,
  serviceFlagsToString,
} from "../wire/mod.ts";
import { LOG_FORMATS, type LogFormat, reportFailure } from "./_log.ts";

/** A bad command line: the example prints it and exits 2. */
export class UsageError extends Error {}

/** Parsed options: values by name (without the dashes), flags given, and the positionals. */
export interface ParsedArgs {
  values: Map<string, string>;
  flags: Set<string>;
  positionals: string[];
}

/** What an example accepts: options with a value, and flags without one. */
export interface ArgsSpec {
  readonly options: readonly string[];
  readonly flags?: readonly string[];
}

/**
 * Parses `args` with `@std/cli`'s `parseArgs`: each of `spec.options` takes a value
 * (`--name value` or `--name=value`; `-` and negative numbers are values), each of `spec.flags`
 * none; `--log-format` is always known. Anything else starting with `-` is a usage error.
 */
export function parseArgs(args: readonly string[], spec: ArgsSpec): ParsedArgs {
  const options = [...spec.options, "log-format"];
  const flags = spec.flags ?? [];
  // `parseArgs` would take `-5` for a short option and `-` for no value: join them to the
  // option before them.
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].replace(/^--?/, "");
    if (args[i].startsWith("-") && options.includes(name) && /^-(\d.*)?$/.test(args[i + 1] ?? "")) {
      joined.push(`--${name}=${args[++i]}`);
    } else {
      joined.push(args[i]);
    }
  }
  const parsed = stdParseArgs(joined, {
    string: options,
    boolean: flags,
    unknown: (arg) => {
      if (arg.startsWith("-") && arg !== "-") throw new UsageError(`Unknown option ${arg}`);
      return true;
    },
  });
  const values = new Map<string, string>();
  for (const name of options) {
    const value = parsed[name];
    if (value === undefined) continue;
    if (value === "") throw new UsageError(`--${name} needs a value`);
    values.set(name, String(value));
  }
  return {
    values,
    flags: new Set(flags.filter((name) => parsed[name] === true)),
    positionals: parsed._.map(String),
  };
}

/** The string value of `--name`, or `fallback`. */
export function stringOption(parsed: ParsedArgs, name: string, fallback: string): string {
  return parsed.values.get(name) ?? fallback;
}

/** An integer option within [min, max]; the error names the value given. */
export function intOption(
  parsed: ParsedArgs,
  name: string,
  fallback: number,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  const text = parsed.values.get(name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new UsageError(
      `--${name} must be an integer from ${min}${max < 1e15 ? ` to ${max}` : ""}, got "${text}"`,
    );
  }
  return n;
}

/** A duration given in seconds (fractions allowed), as milliseconds. */
export function secondsOption(parsed: ParsedArgs, name: string, fallbackS: number): number {
  const text = parsed.values.get(name);
  if (text === undefined) return fallbackS * 1000;
  const s = Number(text);
  if (text.trim() === "" || !(s > 0) || s > 86_400) {
    throw new UsageError(`--${name} must be a number of seconds above 0, got "${text}"`);
  }
  return Math.round(s * 1000);
}

/** One of `choices`, or a usage error that names the value and the choices. */
export function choiceOption<T extends string>(
  parsed: ParsedArgs,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const text = parsed.values.get(name) ?? fallback;
  if (!choices.includes(text as T)) {
    throw new UsageError(`Unknown ${name} "${text}": expected one of ${choices.join(", ")}`);
  }
  return text as T;
}

/** The `--network` option (default mainnet; simnet only when asked for). */
export function networkOption(
  parsed: ParsedArgs,
  options: { fallback?: NetworkName; simnet?: boolean } = {},
): Network {
  const names = (Object.keys(NETWORKS) as NetworkName[])
    .filter((n) => options.simnet === true || n !== "simnet");
  return NETWORKS[choiceOption(parsed, "network", names, options.fallback ?? "mainnet")];
}

/** The `--log-format` option: `text` (default) or `json`. */
export function logFormatOption(parsed: ParsedArgs): LogFormat {
  return choiceOption(parsed, "log-format", LOG_FORMATS, "text");
}

/** `host[:port]`, IPv6 in brackets when a port follows; the host comes back unbracketed. */
export function parseHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(text) ?? /^([^:\[\]]+)(?::(\d+))?$/.exec(text);
  // A bare IPv6 literal (several colons, no brackets) is a host without a port.
  const host = m?.[1] ?? (/^[0-9a-fA-F:.]+$/.test(text) && /:.*:/.test(text) ? text : undefined);
  const port = m?.[2] === undefined ? defaultPort : Number(m[2]);
  if (host === undefined || !(port >= 1 && port <= 0xffff)) {
    throw new UsageError(`Invalid address "${text}": expected host:port ([v6]:port for IPv6)`);
  }
  return { host, port };
}

/** `host:port`, with brackets around an IPv6 literal. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Services as 16 hex digits, as Bitcoin Core's `getpeerinfo`. */
export function servicesHex(services: bigint): string {
  return BigInt.asUintN(64, services).toString(16).padStart(16, "0");
}

/** Services as hex and names: `0x0000000000000409 NETWORK|WITNESS|NETWORK_LIMITED`. */
export function formatServices(services: bigint): string {
  return `0x${servicesHex(services)} ${serviceFlagsToString(services)}`;
}

/**
 * Service flags from the command line: names of `ServiceFlag`, comma-separated, in any case
 * and with or without `NODE_` (`NETWORK,witness`); or a number, decimal or `0x` hex.
 */
export function parseServices(text: string, option = "--services"): bigint {
  if (/^(0x[0-9a-f]+|\d+)$/i.test(text)) {
    const n = BigInt(text);
    if (n < 2n ** 64n) return n;
    throw new UsageError(`${option} ${text} does not fit in 64 bits`);
  }
  let services = 0n;
  for (const part of text.split(",")) {
    const name = part.trim().toUpperCase().replace(/^NODE_(?!2X)/, "");
    const flag = (ServiceFlag as Record<string, bigint>)[name];
    if (flag === undefined) {
      throw new UsageError(
        `Unknown service "${part.trim()}" in ${option}: expected names from ${
          Object.keys(ServiceFlag).join(", ")
        } (comma-separated), or a number`,
      );
    }
    services |= flag;
  }
  return services;
}

/** An error's message, or the value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Writes lines in order to a file (closed at the end) or to stdout (left open). */
export function lineWriter(file: Deno.FsFile | typeof Deno.stdout): {
  write(line: string): void;
  close(): Promise<void>;
} {
  const lines = new TextEncoderStream();
  const writer = lines.writable.getWriter();
  const piped = lines.readable.pipeTo(file.writable, { preventClose: file === Deno.stdout });
  return {
    write(line) {
      void writer.write(line + "\n");
    },
    async close() {
      await writer.close();
      await piped;
    },
  };
}

/** Progress of long work on stderr; `done` shows the last state and ends the line. */
export interface Progress {
  /** The current state, in words (shown on the next refresh). */
  update(text: string, value?: number, max?: number): void;
  /** Clears the line on a terminal, so that other output can be printed. */
  clear(): void;
  /** Shows `text` a last time and stops. */
  done(text: string): Promise<void>;
}

/**
 * A progress display on stderr. On a terminal: `@std/cli`'s progress bar when the work has a
 * size (`max`), else its spinner, both redrawn in place. Elsewhere (a pipe, a log file): a
 * plain line at most once a second. With `quiet` (JSON output), nothing.
 */
export function progress(options: { sized?: boolean; quiet?: boolean } = {}): Progress {
  if (options.quiet === true) {
    return { update() {}, clear() {}, done: () => Promise.resolve() };
  }
  if (!Deno.stderr.isTerminal()) {
    let last = 0;
    const print = (text: string) => console.error(text);
    return {
      update(text) {
        const now = Date.now();
        if (now - last < 1000) return;
        last = now;
        print(text);
      },
      clear() {},
      done(text) {
        print(text);
        return Promise.resolve();
      },
    };
  }
  if (options.sized === true) {
    let text = "";
    const bar = new ProgressBar({
      max: 1,
      barLength: 30,
      interval: 100,
      formatter: (f) => `[${f.styledTime}] [${f.progressBar}] ${text}`,
    });
    return {
      update(next, value, max) {
        text = next;
        if (max !== undefined) bar.max = Math.max(1, max);
        if (value !== undefined) bar.value = value;
      },
      clear() {},
      async done(last) {
        text = last;
        bar.value = bar.max;
        await bar.stop();
      },
    };
  }
  const spinner = new Spinner({ output: Deno.stderr, interval: 100 });
  spinner.start();
  return {
    update(text) {
      spinner.message = text;
    },
    clear() {
      Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));
    },
    done(text) {
      spinner.stop();
      console.error(text);
      return Promise.resolve();
    },
  };
}

/**
 * Calls `handler` on Ctrl-C (and SIGTERM where there is one) until the returned function
 * removes the listeners (which lets the process exit).
 */
export function onInterrupt(handler: (signal: Deno.Signal) => void): () => void {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const listeners = signals.map((signal) => [signal, () => handler(signal)] as const);
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
  return () => {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  };
}

/**
 * Runs an example's `main`: `--help` prints `help` and exits 0; a {@linkcode UsageError}
 * prints its message and exits 2; any other error prints one line (through the example's
 * output once `main` has set it up) and exits 1. Otherwise exits with what `main` returned.
 * Colors are used only when stdout is a terminal (and `NO_COLOR` is unset).
 */
export async function runCli(
  name: string,
  help: string,
  main: (args: readonly string[]) => Promise<number>,
): Promise<never> {
  setColorEnabled(Deno.stdout.isTerminal() && !Deno.noColor);
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(help);
    Deno.exit(0);
  }
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${name}: ${error.message} (see --help)`);
      Deno.exit(2);
    }
    reportFailure(name, errorMessage(error));
    Deno.exit(1);
  }
  Deno.exit(code);
}

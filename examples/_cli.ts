// What the command-line examples share: option parsing with usage errors (exit 2), host:port
// parsing and formatting, service flags as text, and Ctrl-C handling.
import { type Network, type NetworkName, NETWORKS, serviceFlagsToString } from "../wire/mod.ts";

/** A bad command line: the example prints it and exits 2. */
export class UsageError extends Error {}

/** Parsed options: values by name (without the dashes) and the positional arguments. */
export interface ParsedArgs {
  values: Map<string, string>;
  positionals: string[];
}

/**
 * Splits `args` into options (each named in `names`, each with a value: `--name value` or
 * `--name=value`) and positional arguments; anything else starting with `-` is a usage error.
 */
export function parseArgs(args: readonly string[], names: readonly string[]): ParsedArgs {
  const values = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = (eq < 0 ? arg : arg.slice(0, eq)).replace(/^--?/, "");
    if (!names.includes(name)) throw new UsageError(`Unknown option ${arg}`);
    const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    values.set(name, value);
  }
  return { values, positionals };
}

/** The string value of `--name`, or `fallback`. */
export function stringOption(parsed: ParsedArgs, name: string, fallback: string): string {
  return parsed.values.get(name) ?? fallback;
}

/** An integer option within [min, max]. */
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
      `--${name} must be an integer from ${min}${max < 1e15 ? ` to ${max}` : ""}`,
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

/** The `--network` option (default mainnet). */
export function networkOption(parsed: ParsedArgs): Network {
  const name = stringOption(parsed, "network", "mainnet");
  const names = Object.keys(NETWORKS).filter((n) => n !== "simnet");
  if (!names.includes(name)) {
    throw new UsageError(`Unknown network "${name}": expected one of ${names.join(", ")}`);
  }
  return NETWORKS[name as NetworkName];
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

/** An error's message, or the value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Writes lines in order to a file (closed at the end) or to stdout (left open). */
export function lineWriter(file: Deno.FsFile | typeof Deno.stdout): {
  write(line: string): void;
  close(): Promise<void>;
} {
  const encoder = new TextEncoder();
  let pending = Promise.resolve();
  return {
    write(line) {
      const bytes = encoder.encode(line + "\n");
      pending = pending.then(async () => {
        for (let n = 0; n < bytes.length;) n += await file.write(bytes.subarray(n));
      });
    },
    async close() {
      await pending;
      if (file !== Deno.stdout) file.close();
    },
  };
}

/**
 * A status line on stderr: rewritten in place (at most 10 times a second) on a terminal,
 * else a plain line at most once a second. `final` always shows and ends the line.
 */
export function statusLine(): { update(text: string, final?: boolean): void } {
  const encoder = new TextEncoder();
  const tty = Deno.stderr.isTerminal();
  let last = 0;
  return {
    update(text, final = false) {
      const now = Date.now();
      if (!final && now - last < (tty ? 100 : 1000)) return;
      last = now;
      const line = tty ? `\r\x1b[2K${text}${final ? "\n" : ""}` : `${text}\n`;
      Deno.stderr.writeSync(encoder.encode(line));
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
 * prints its message and exits 2; any other error prints one line and exits 1. Otherwise
 * exits with what `main` returned.
 */
export async function runCli(
  name: string,
  help: string,
  main: (args: readonly string[]) => Promise<number>,
): Promise<never> {
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
    console.error(`${name}: ${errorMessage(error)}`);
    Deno.exit(1);
  }
  Deno.exit(code);
}

// bcoin 1.0.2 as a child process: start it on regtest, call its JSON-RPC, stop it. Meant to
// run inside a network namespace that has only loopback (see README.md): bcoin looks up its
// public IP with outside DNS resolvers and no flag turns that off.
import { deadline, delay } from "@std/async";
import { TextLineStream } from "@std/streams/text-line-stream";

/** bcoin's regtest P2P port (Bitcoin Core's is 18444). */
export const BCOIN_REGTEST_P2P_PORT = 48444;
/** bcoin's regtest HTTP/RPC port. */
export const BCOIN_REGTEST_HTTP_PORT = 48332;

/** Options for {@linkcode Bcoin.start}. */
export interface BcoinOptions {
  /** The npm project holding `node_modules/bcoin` (tests/interop/bcoin). */
  installDir: string;
  /** bcoin's data folder (it creates one even with the chain in memory). */
  prefix: string;
  /** P2P port (default {@linkcode BCOIN_REGTEST_P2P_PORT}). */
  p2pPort?: number;
  /** HTTP/RPC port (default {@linkcode BCOIN_REGTEST_HTTP_PORT}). */
  httpPort?: number;
  /** How long to wait for the RPC to answer (default 30 s). */
  startTimeoutMs?: number;
  /** Extra command-line flags. */
  extraArgs?: readonly string[];
}

/** An RPC call failed: bcoin answered with an error, or not in time. */
export class BcoinRpcError extends Error {
  /** bcoin's error code, when it sent one. */
  readonly code: number | undefined;

  /**
   * @param message What failed.
   * @param code bcoin's error code.
   */
  constructor(message: string, code?: number) {
    super(message);
    this.name = "BcoinRpcError";
    this.code = code;
  }
}

const API_KEY = "btcstream-interop";
const RPC_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const LOG_LINES = 400;

/** A running bcoin full node on regtest, its chain in memory. */
export class Bcoin {
  readonly #child: Deno.ChildProcess;
  readonly #status: Promise<Deno.CommandStatus>;
  readonly #httpPort: number;
  readonly #p2pPort: number;
  readonly #log: string[] = [];
  readonly #drained: Promise<unknown>;
  #exited: Deno.CommandStatus | undefined;

  private constructor(child: Deno.ChildProcess, options: BcoinOptions) {
    this.#child = child;
    this.#status = child.status.then((status) => (this.#exited = status));
    this.#httpPort = options.httpPort ?? BCOIN_REGTEST_HTTP_PORT;
    this.#p2pPort = options.p2pPort ?? BCOIN_REGTEST_P2P_PORT;
    this.#drained = Promise.all([this.#drain(child.stdout), this.#drain(child.stderr)]);
  }

  /**
   * Starts bcoin and waits until its RPC answers.
   *
   * @param options Where bcoin is installed, its data folder and ports.
   * @returns The running node; stop it with {@linkcode Bcoin.stop} on every path.
   * @throws {Error} When bcoin exits or its RPC does not answer in time (bcoin is stopped).
   */
  static async start(options: BcoinOptions): Promise<Bcoin> {
    const p2pPort = options.p2pPort ?? BCOIN_REGTEST_P2P_PORT;
    const httpPort = options.httpPort ?? BCOIN_REGTEST_HTTP_PORT;
    const child = new Deno.Command("node", {
      args: [
        `${options.installDir}/node_modules/bcoin/bin/node`,
        "--network=regtest",
        "--memory=true",
        `--prefix=${options.prefix}`,
        "--host=127.0.0.1",
        `--port=${p2pPort}`,
        "--listen=true",
        "--http-host=127.0.0.1",
        `--http-port=${httpPort}`,
        `--api-key=${API_KEY}`,
        // One process: no worker processes to outlive it, no wallet server on a third port.
        "--workers=false",
        "--no-wallet=true",
        // No seeds. On regtest bcoin's seed is itself (127.0.0.1:48444) and, as `selfConnect`
        // is set there, it connects to itself when it next fills its outbound slots: one more
        // peer and one more address in what the test sees. An empty `--seeds=` counts as
        // unset (the default seeds); "," is an empty list.
        "--seeds=,",
        // With the chain in memory bcoin writes no log file: its console is the log.
        "--log-console=true",
        "--log-level=debug",
        ...(options.extraArgs ?? []),
      ],
      // bcrypto and mrmr in pure JS: no native build (node-gyp would fetch Node's headers
      // from outside the npm registry), and mrmr has no JS fallback without this.
      env: { NODE_BACKEND: "js" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const bcoin = new Bcoin(child, options);
    const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
    try {
      for (;;) {
        if (bcoin.#exited !== undefined) {
          throw new Error(`bcoin exited during startup with code ${bcoin.#exited.code}`);
        }
        try {
          await bcoin.rpc("getblockcount", [], 2_000);
          return bcoin;
        } catch (error) {
          if (Date.now() > deadline) {
            throw new Error(`bcoin's RPC did not answer within the start timeout: ${error}`);
          }
        }
        await delay(200);
      }
    } catch (error) {
      await bcoin.stop();
      throw error;
    }
  }

  /** The P2P port on 127.0.0.1. */
  get p2pPort(): number {
    return this.#p2pPort;
  }

  /**
   * The last lines bcoin logged.
   *
   * @param count How many.
   * @returns The lines, oldest first.
   */
  logTail(count: number): string[] {
    return this.#log.slice(-count);
  }

  /** Keeps the last {@linkcode LOG_LINES} lines of a stream; ends when the process does. */
  async #drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    const lines = stream.pipeThrough(new TextDecoderStream()).pipeThrough(new TextLineStream());
    for await (const line of lines) {
      this.#log.push(line);
      if (this.#log.length > LOG_LINES) this.#log.shift();
    }
  }

  /**
   * Calls a JSON-RPC method.
   *
   * @param method The method (`getbestblockhash`, `generatetoaddress`, ...).
   * @param params Its parameters.
   * @param timeoutMs How long to wait for the answer.
   * @returns The `result`.
   * @throws {BcoinRpcError} When bcoin answers with an error, or not in time.
   */
  async rpc<T = unknown>(
    method: string,
    params: readonly unknown[] = [],
    timeoutMs: number = RPC_TIMEOUT_MS,
  ): Promise<T> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetch(`http://127.0.0.1:${this.#httpPort}/`, {
        method: "POST",
        headers: {
          authorization: `Basic ${btoa(`x:${API_KEY}`)}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ method, params }),
        signal,
      });
      const text = await response.text();
      let body: { result?: T; error?: { message: string; code?: number } | null };
      try {
        body = JSON.parse(text);
      } catch {
        throw new BcoinRpcError(`RPC ${method}: HTTP ${response.status}, not JSON: ${text}`);
      }
      if (body.error) {
        throw new BcoinRpcError(`RPC ${method}: ${body.error.message}`, body.error.code);
      }
      return body.result as T;
    } catch (error) {
      if (error instanceof BcoinRpcError) throw error;
      const why = signal.aborted ? `no answer in ${timeoutMs} ms` : String(error);
      throw new BcoinRpcError(`RPC ${method}: ${why}`);
    }
  }

  /**
   * Stops bcoin: SIGTERM, then SIGKILL if it has not exited in 5 s. Idempotent.
   *
   * @returns Its exit status.
   */
  async stop(): Promise<Deno.CommandStatus> {
    if (this.#exited !== undefined) {
      await this.#drained;
      return this.#exited;
    }
    signal(this.#child, "SIGTERM");
    const exited = await deadline(this.#status, STOP_TIMEOUT_MS).catch(() => undefined);
    if (exited === undefined) signal(this.#child, "SIGKILL");
    const status = await this.#status;
    await this.#drained;
    return status;
  }
}

function signal(child: Deno.ChildProcess, name: Deno.Signal): void {
  try {
    child.kill(name);
  } catch {
    // It exited between the check and the signal.
  }
}

// Log capture for tests: LogTape configured to collect records, reset afterwards.
import { configure, type LogRecord, reset } from "@logtape/logtape";

/**
 * Runs `fn` with every log record of `category` (default `["btcstream"]`, debug and up)
 * collected in `records`, then resets LogTape.
 */
export async function withLogs(
  fn: (records: LogRecord[]) => void | Promise<void>,
  category: readonly string[] = ["btcstream"],
): Promise<void> {
  const records: LogRecord[] = [];
  await configure({
    sinks: { capture: (record) => void records.push(record) },
    loggers: [
      { category: [...category], lowestLevel: "debug", sinks: ["capture"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
    reset: true,
  });
  try {
    await fn(records);
  } finally {
    await reset();
  }
}

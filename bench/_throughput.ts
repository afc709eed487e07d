// Throughput reporting for `deno bench`. Deno prints time per iteration; each case here also
// records its own iteration times and, when the run ends, prints items/s and MB/s with the
// ratio to its group's baseline, all from the same process and run, so that comparisons
// between cases are ratios measured side by side (absolute times on a shared machine drift).

/** What one iteration of a case processes. */
export interface ThroughputOptions {
  /** Cases in a group are compared with the group's baseline. */
  group: string;
  /** Marks the case the group's ratios are relative to. */
  baseline?: boolean;
  /** Items (messages, transactions, hashes) per iteration. */
  items: number;
  /** What an item is called in the report. */
  itemName?: string;
  /** Payload bytes per iteration, for MB/s. */
  bytes?: number;
}

interface Case extends ThroughputOptions {
  name: string;
  times: number[];
}

const cases: Case[] = [];

/**
 * Registers a `Deno.bench` case and records its throughput.
 *
 * @param name The case's name.
 * @param options Group, items and bytes per iteration.
 * @param fn One iteration.
 */
export function benchThroughput(
  name: string,
  options: ThroughputOptions,
  fn: () => void | Promise<void>,
): void {
  const c: Case = { ...options, name, times: [] };
  cases.push(c);
  Deno.bench({
    name,
    group: options.group,
    baseline: options.baseline,
    async fn() {
      const start = performance.now();
      await fn();
      c.times.push(performance.now() - start);
    },
  });
}

function median(xs: number[]): number {
  // Drop the first fifth: warm-up and tier-up.
  const kept = xs.slice(Math.floor(xs.length / 5)).sort((a, b) => a - b);
  return kept[Math.floor(kept.length / 2)];
}

function fmt(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(1);
}

globalThis.addEventListener("unload", () => {
  const done = cases.filter((c) => c.times.length > 0);
  if (done.length === 0) return;
  const lines = [
    "",
    "| case | items/s | MB/s | ratio to group baseline |",
    "| --- | ---: | ---: | ---: |",
  ];
  for (const c of done) {
    const seconds = median(c.times) / 1000;
    const perSecond = c.items / seconds;
    const base = done.find((b) => b.group === c.group && b.baseline);
    const ratio = base && base !== c ? (median(base.times) / median(c.times)).toFixed(2) : "";
    const mbps = c.bytes ? (c.bytes / seconds / 1e6).toFixed(0) : "";
    lines.push(`| ${c.name} | ${fmt(perSecond)} ${c.itemName ?? "items"}/s | ${mbps} | ${ratio} |`);
  }
  console.log(lines.join("\n"));
});

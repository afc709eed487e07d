// The network-adjusted time of btcd's `blockchain/mediantime.go`: the median of the clock
// offsets that peers' `version` messages imply, applied to our clock. It keeps btcd's (and old
// Bitcoin Core's) quirks on purpose: one sample per source, at most 200 samples, and the offset
// is only recomputed while the count is odd, so it freezes once the ring is full.
import { getLogger } from "@logtape/logtape";
import { type Clock, SYSTEM_CLOCK } from "../peer/clock.ts";

/**
 * Samples kept, the oldest dropped first (btcd's `maxMedianTimeEntries`).
 *
 * @example
 * ```ts
 * import { MAX_MEDIAN_TIME_SAMPLES, MedianTimeSource } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * const times = new MedianTimeSource();
 * for (let i = 0; i < 300; i++) times.addTimeSample(`peer${i}`, Date.now() / 1000);
 * assertEquals(times.sampleCount, MAX_MEDIAN_TIME_SAMPLES);
 * ```
 */
export const MAX_MEDIAN_TIME_SAMPLES = 200;
/**
 * The largest offset applied to our clock, exclusive (btcd's `maxAllowedOffsetSecs`, 70 min):
 * a median at or beyond it leaves the clock unadjusted.
 *
 * @example
 * ```ts
 * import { MAX_TIME_OFFSET_MS, MedianTimeSource } from "@btcstream/p2p/server";
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const clock = new FakeClock(1_700_000_000_000);
 * const times = new MedianTimeSource({ clock });
 * const farAhead = 1_700_000_000 + MAX_TIME_OFFSET_MS / 1000;
 * for (let i = 0; i < 5; i++) times.addTimeSample(`peer${i}`, farAhead);
 * assertEquals(times.offsetSeconds, 0); // too far to trust
 * ```
 */
export const MAX_TIME_OFFSET_MS = 70 * 60 * 1000;
/** A sample within this of our clock means our clock is plausible (btcd's `similarTimeSecs`). */
const SIMILAR_TIME_SECONDS = 5 * 60;
const MAX_OFFSET_SECONDS = MAX_TIME_OFFSET_MS / 1000;

/**
 * Options for {@linkcode MedianTimeSource}.
 *
 * @example
 * ```ts
 * import { MedianTimeSource, type MedianTimeSourceOptions } from "@btcstream/p2p/server";
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const options: MedianTimeSourceOptions = {
 *   clock: new FakeClock(),
 *   maxSamples: 11,
 *   logCategory: ["myapp", "time"],
 * };
 * assertEquals(new MedianTimeSource(options).offsetSeconds, 0);
 * ```
 */
export interface MedianTimeSourceOptions {
  /** The local clock (default {@linkcode SYSTEM_CLOCK}). */
  clock?: Clock;
  /** Samples kept (default {@linkcode MAX_MEDIAN_TIME_SAMPLES}); a positive integer. */
  maxSamples?: number;
  /** LogTape category (default `["btcstream", "server", "timesource"]`). */
  logCategory?: readonly string[];
}

/**
 * The median of peers' clock offsets, as btcd computes it from `version` timestamps.
 *
 * Each source counts once. The offset is recomputed when a sample makes the count odd and at
 * least 5, and is applied only when its magnitude is under 70 minutes; otherwise it is 0, and
 * the first time that happens with no sample within 5 minutes of our clock a warning is logged.
 *
 * @example
 * ```ts
 * import { MedianTimeSource } from "@btcstream/p2p/server";
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const clock = new FakeClock(1_700_000_000_000);
 * const times = new MedianTimeSource({ clock });
 * const nowSeconds = 1_700_000_000;
 * for (const [i, offset] of [10, 20, 30, 40, 50].entries()) {
 *   times.addTimeSample(`peer${i}`, nowSeconds + offset);
 * }
 * assertEquals(times.sampleCount, 5);
 * assertEquals(times.offsetSeconds, 30);
 * assertEquals(times.adjustedTime() - clock.now(), 30_000);
 * ```
 */
export class MedianTimeSource {
  readonly #clock: Clock;
  readonly #maxSamples: number;
  readonly #log: ReturnType<typeof getLogger>;
  /** Every source ever sampled: like btcd, a source that left still cannot add again. */
  readonly #knownSources = new Set<string>();
  /** The ring of offsets in seconds; `#next` is where the next one goes once it is full. */
  readonly #samples: number[] = [];
  #next = 0;
  #offsetSeconds = 0;
  #invalidTimeChecked = false;

  /**
   * Creates a source with no samples and a zero offset.
   *
   * @param options Clock, ring size and log category.
   * @throws {RangeError} When `maxSamples` is not a positive integer.
   */
  constructor(options: MedianTimeSourceOptions = {}) {
    const maxSamples = options.maxSamples ?? MAX_MEDIAN_TIME_SAMPLES;
    if (!Number.isSafeInteger(maxSamples) || maxSamples < 1) {
      throw new RangeError(
        `Cannot create a median time source: maxSamples ${maxSamples} is not a positive integer`,
      );
    }
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#maxSamples = maxSamples;
    this.#log = getLogger([...(options.logCategory ?? ["btcstream", "server", "timesource"])]);
  }

  /** The offset applied to our clock, in whole seconds. */
  get offsetSeconds(): number {
    return this.#offsetSeconds;
  }

  /** Samples held (at most `maxSamples`). */
  get sampleCount(): number {
    return this.#samples.length;
  }

  /**
   * Our clock plus the median offset.
   *
   * @returns Milliseconds since the epoch.
   */
  adjustedTime(): number {
    return this.#clock.now() + this.#offsetSeconds * 1000;
  }

  /**
   * Adds the time a source reported, once per source; later samples from it are ignored.
   *
   * @param sourceId Who reported it (btcd uses the peer's `host:port`).
   * @param timestampSeconds The reported time in unix seconds (a `version` timestamp).
   * @throws {TypeError} When `timestampSeconds` is not a finite number.
   */
  addTimeSample(sourceId: string, timestampSeconds: number): void {
    if (!Number.isFinite(timestampSeconds)) {
      throw new TypeError(`Cannot add a time sample: timestamp ${timestampSeconds} is not finite`);
    }
    if (this.#knownSources.has(sourceId)) return;
    this.#knownSources.add(sourceId);

    // As btcd: our clock truncated to whole seconds, the difference truncated toward zero.
    const nowSeconds = Math.floor(this.#clock.now() / 1000);
    const offset = Math.trunc(timestampSeconds - nowSeconds) + 0;
    if (this.#samples.length < this.#maxSamples) {
      this.#samples.push(offset);
    } else {
      this.#samples[this.#next] = offset;
      this.#next = (this.#next + 1) % this.#maxSamples;
    }
    const count = this.#samples.length;
    this.#log.debug("Added time sample of {offsetSeconds} s (total: {count})", {
      offsetSeconds: offset,
      count,
    });

    // As btcd and old Core: only an odd count has a true middle value. With an even ring size
    // this means the offset stops changing once the ring is full; kept to match them.
    if (count < 5 || count % 2 !== 1) return;
    const sorted = this.#samples.slice().sort((a, b) => a - b);
    const median = sorted[count >> 1];
    if (Math.abs(median) < MAX_OFFSET_SECONDS) {
      this.#offsetSeconds = median;
    } else {
      this.#offsetSeconds = 0;
      if (!this.#invalidTimeChecked) {
        // Checked once only, as btcd: a later out-of-range median never warns.
        this.#invalidTimeChecked = true;
        if (!sorted.some((s) => Math.abs(s) < SIMILAR_TIME_SECONDS)) {
          this.#log.warn(
            "Please check your date and time are correct! No peer's clock is within 5 minutes " +
              "of ours (median offset {medianSeconds} s)",
            { medianSeconds: median },
          );
        }
      }
    }
    this.#log.debug("New time offset: {offsetSeconds} s", { offsetSeconds: this.#offsetSeconds });
  }
}

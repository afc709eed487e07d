import { assertEquals, assertFalse, assertMatch, assertThrows } from "@std/assert";
import type { LogRecord } from "@logtape/logtape";
import { FakeClock } from "../../peer/fake_clock.ts";
import {
  MAX_MEDIAN_TIME_SAMPLES,
  MAX_TIME_OFFSET_MS,
  MedianTimeSource,
  type MedianTimeSourceOptions,
} from "../../server/median_time.ts";
import { withLogs } from "../_util/logs.ts";

const START_MS = 1_700_000_000_000;
const START_S = START_MS / 1000;

/** A source on a fake clock, and a helper adding samples as offsets from the clock. */
function setup(options: MedianTimeSourceOptions = {}) {
  const clock = new FakeClock(START_MS);
  const source = new MedianTimeSource({ clock, ...options });
  const add = (id: string, offsetSeconds: number) =>
    source.addTimeSample(id, Math.floor(clock.now() / 1000) + offsetSeconds);
  return { clock, source, add };
}

const warnings = (records: LogRecord[]) => records.filter((r) => r.level === "warning");

Deno.test("MedianTimeSource: btcd's mediantime_test.go table", async (t) => {
  // btcd runs this table with maxMedianTimeEntries = 10.
  const table: { in: number[]; want: number; dupId?: boolean }[] = [
    // Not enough samples must result in an offset of 0.
    { in: [1], want: 0 },
    { in: [1, 2], want: 0 },
    { in: [1, 2, 3], want: 0 },
    { in: [1, 2, 3, 4], want: 0 },
    // The offset is only updated on an odd number of samples.
    { in: [-13, 57, -4, -23, -12], want: -12 },
    { in: [55, -13, 61, -52, 39, 55], want: 39 },
    { in: [-62, -58, -30, -62, 51, -30, 15], want: -30 },
    { in: [29, -47, 39, 54, 42, 41, 8, -33], want: 39 },
    { in: [37, 54, 9, -21, -56, -36, 5, -11, -39], want: -11 },
    { in: [57, -28, 25, -39, 9, 63, -16, 19, -60, 25], want: 9 },
    { in: [-5, -4, -3, -2, -1], want: -3, dupId: true },
    // Once the ring is full (an even size), the offset stops changing: Core's bug, kept.
    { in: [-67, 67, -50, 24, 63, 17, 58, -14, 5, -32, -52], want: 17 },
    { in: [-67, 67, -50, 24, 63, 17, 58, -14, 5, -32, -52, 45], want: 17 },
    { in: [-67, 67, -50, 24, 63, 17, 58, -14, 5, -32, -52, 45, 4], want: 17 },
    // Offsets too far from our clock are not applied.
    { in: [-4201, 4202, -4203, 4204, -4205], want: 0 },
    // Too far, but one sample is close to our clock (no warning).
    { in: [4201, 4202, 4203, 4204, -299], want: 0 },
  ];
  for (const [i, c] of table.entries()) {
    await t.step(`#${i}: [${c.in.join(", ")}]${c.dupId ? " with duplicate ids" : ""}`, () => {
      const { clock, source, add } = setup({ maxSamples: 10 });
      for (const [j, offset] of c.in.entries()) {
        add(String(j), offset);
        // A second sample from the same id, one that would move the median, is ignored.
        if (c.dupId) add(String(j), 2 * offset);
      }
      assertEquals(source.offsetSeconds, c.want);
      assertEquals(source.sampleCount, Math.min(c.in.length, 10));
      assertEquals(source.adjustedTime(), clock.now() + c.want * 1000);
    });
  }
});

Deno.test("MedianTimeSource: samples", async (t) => {
  await t.step("starts with no samples, offset 0 and our own time", () => {
    const { clock, source } = setup();
    assertEquals(source.sampleCount, 0);
    assertEquals(source.offsetSeconds, 0);
    assertEquals(source.adjustedTime(), clock.now());
  });

  await t.step("a sample is the remote time minus our clock in whole seconds", () => {
    const clock = new FakeClock(START_MS + 999);
    const source = new MedianTimeSource({ clock });
    for (let i = 0; i < 5; i++) source.addTimeSample(`p${i}`, START_S + 10);
    // Our clock is truncated to START_S, as btcd's time.Unix(now.Unix(), 0).
    assertEquals(source.offsetSeconds, 10);
    assertEquals(source.adjustedTime(), START_MS + 999 + 10_000);
  });

  await t.step("a fractional timestamp is truncated toward zero", () => {
    const { source } = setup();
    for (let i = 0; i < 5; i++) source.addTimeSample(`p${i}`, START_S - 3.9);
    assertEquals(source.offsetSeconds, -3);
    assertFalse(Object.is(source.offsetSeconds, -0));
  });

  await t.step("each sample is taken against the clock at the time it is added", async () => {
    const { clock, source } = setup();
    for (let i = 0; i < 5; i++) {
      source.addTimeSample(`p${i}`, START_S + 100);
      await clock.tick(10_000);
    }
    // Offsets 100, 90, 80, 70, 60: the median is 80.
    assertEquals(source.offsetSeconds, 80);
  });

  await t.step("a source adds only once, even after its sample left the ring", () => {
    const { source, add } = setup({ maxSamples: 5 });
    add("a", 1);
    add("a", 50);
    assertEquals(source.sampleCount, 1);
    // The fifth of these pushes "a"'s sample out: the ring is [-10, 10, 10, -10, 0].
    for (const [i, offset] of [-10, 10, 10, -10, 0].entries()) add(`p${i}`, offset);
    assertEquals(source.offsetSeconds, 0);
    // Were it taken, this would replace the oldest -10 and move the median to 10.
    add("a", 10);
    assertEquals(source.sampleCount, 5);
    assertEquals(source.offsetSeconds, 0);
    add("b", 10); // a new source does
    assertEquals(source.offsetSeconds, 10);
  });

  await t.step("a full ring drops the oldest sample first", () => {
    const { source, add } = setup({ maxSamples: 5 });
    for (const [i, offset] of [1, 2, 3, 4, 5].entries()) add(`a${i}`, offset);
    assertEquals(source.offsetSeconds, 3);
    add("b0", 100); // [2, 3, 4, 5, 100]
    assertEquals(source.offsetSeconds, 4);
    add("b1", 100); // [3, 4, 5, 100, 100]
    assertEquals(source.offsetSeconds, 5);
    add("b2", 100); // [4, 5, 100, 100, 100]
    assertEquals(source.offsetSeconds, 100);
    add("b3", -1); // [5, 100, 100, 100, -1]
    add("b4", -1); // [100, 100, 100, -1, -1]
    add("b5", -1); // [100, 100, -1, -1, -1]
    assertEquals(source.offsetSeconds, -1);
    assertEquals(source.sampleCount, 5);
  });

  await t.step(`the default ring holds ${MAX_MEDIAN_TIME_SAMPLES} and then freezes`, () => {
    const { source, add } = setup();
    for (let i = 0; i < 199; i++) add(`a${i}`, 7);
    assertEquals(source.offsetSeconds, 7);
    // From the 200th sample on the count stays 200, even, so the offset never moves again.
    for (let i = 0; i < 1000; i++) add(`b${i}`, 60);
    assertEquals(source.sampleCount, MAX_MEDIAN_TIME_SAMPLES);
    assertEquals(source.offsetSeconds, 7);
  });

  await t.step("an odd ring keeps updating once full", () => {
    const { source, add } = setup({ maxSamples: 201 });
    for (let i = 0; i < 201; i++) add(`a${i}`, 7);
    for (let i = 0; i < 101; i++) add(`b${i}`, 60);
    assertEquals(source.sampleCount, 201);
    assertEquals(source.offsetSeconds, 60);
  });

  await t.step("the limit is exclusive: 4199 s is applied, 4200 s is not", () => {
    const limit = MAX_TIME_OFFSET_MS / 1000;
    const below = setup();
    for (let i = 0; i < 5; i++) below.add(`p${i}`, -(limit - 1));
    assertEquals(below.source.offsetSeconds, -(limit - 1));
    const at = setup();
    for (let i = 0; i < 5; i++) at.add(`p${i}`, limit);
    assertEquals(at.source.offsetSeconds, 0);
  });

  await t.step("an out-of-range median resets an applied offset to 0", () => {
    const { source, add } = setup({ maxSamples: 5 });
    for (let i = 0; i < 5; i++) add(`a${i}`, 30);
    assertEquals(source.offsetSeconds, 30);
    for (let i = 0; i < 3; i++) add(`b${i}`, 5000);
    assertEquals(source.offsetSeconds, 0);
  });

  await t.step("rejects a bad ring size and a non-finite timestamp", () => {
    for (const maxSamples of [0, -1, 1.5, Number.NaN]) {
      assertThrows(() => new MedianTimeSource({ maxSamples }), RangeError);
    }
    const { source } = setup();
    assertThrows(() => source.addTimeSample("a", Number.NaN), TypeError);
    assertThrows(() => source.addTimeSample("a", Infinity), TypeError);
    // The rejected call did not register the source.
    source.addTimeSample("a", START_S);
    assertEquals(source.sampleCount, 1);
  });
});

Deno.test("MedianTimeSource: clock warning", async (t) => {
  await t.step("warns once when no sample is within 5 minutes of our clock", async () => {
    await withLogs((records) => {
      const { source, add } = setup();
      for (const [i, offset] of [-4201, 4202, -4203, 4204, -4205].entries()) add(`a${i}`, offset);
      assertEquals(source.offsetSeconds, 0);
      const [warning, ...rest] = warnings(records);
      assertEquals(rest.length, 0);
      assertEquals(warning.category, ["btcstream", "server", "timesource"]);
      assertMatch(warning.rawMessage.toString(), /check your date and time/);
      assertEquals(warning.properties.medianSeconds, -4201);
      for (let i = 0; i < 10; i++) add(`b${i}`, 9000);
      assertEquals(warnings(records).length, 1);
    });
  });

  await t.step("no warning when a sample is within 5 minutes", async () => {
    await withLogs((records) => {
      const { add } = setup();
      for (const [i, offset] of [4201, 4202, 4203, 4204, -299].entries()) add(`a${i}`, offset);
      assertEquals(warnings(records).length, 0);
    });
  });

  await t.step("5 minutes exactly is not close", async () => {
    await withLogs((records) => {
      const { add } = setup();
      for (const [i, offset] of [4201, 4202, 4203, 4204, -300].entries()) add(`a${i}`, offset);
      assertEquals(warnings(records).length, 1);
    });
  });

  await t.step("the check happens once: a later all-far ring does not warn", async () => {
    await withLogs((records) => {
      const { source, add } = setup({ maxSamples: 5 });
      for (const [i, offset] of [4201, 4202, 4203, 4204, -299].entries()) add(`a${i}`, offset);
      // The ring now drops the close sample; every odd count recomputes, all far.
      for (let i = 0; i < 5; i++) add(`b${i}`, 9000);
      assertEquals(source.offsetSeconds, 0);
      assertEquals(warnings(records).length, 0);
    });
  });

  await t.step("in-range medians neither warn nor use up the check", async () => {
    await withLogs((records) => {
      const { source, add } = setup({ maxSamples: 5 });
      // In range (applied) but not close: no check yet.
      for (let i = 0; i < 5; i++) add(`a${i}`, 1000);
      assertEquals(source.offsetSeconds, 1000);
      assertEquals(warnings(records).length, 0);
      for (let i = 0; i < 3; i++) add(`b${i}`, 9000);
      assertEquals(source.offsetSeconds, 0);
      assertEquals(warnings(records).length, 1);
    });
  });

  await t.step("samples and offsets are logged at debug level", async () => {
    await withLogs((records) => {
      const { add } = setup();
      for (let i = 0; i < 5; i++) add(`a${i}`, 10);
      const debug = records.filter((r) => r.level === "debug");
      assertEquals(debug.length, 6); // five samples, one new offset
      assertEquals(debug[4].properties, { offsetSeconds: 10, count: 5 });
      assertEquals(debug[5].properties, { offsetSeconds: 10 });
    });
  });

  await t.step("logs under the logCategory given", async () => {
    await withLogs((records) => {
      const { add } = setup({ logCategory: ["app", "time"] });
      for (let i = 0; i < 5; i++) add(`a${i}`, 9000);
      assertEquals(warnings(records).length, 1);
      assertEquals(records[0].category, ["app", "time"]);
    }, ["app"]);
  });
});

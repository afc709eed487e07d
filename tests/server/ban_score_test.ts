import { assertEquals, assertGreater, assertLessOrEqual, assertThrows } from "@std/assert";
import { FakeClock } from "../../peer/fake_clock.ts";
import {
  BAN_SCORE_HALF_LIFE_MS,
  BAN_SCORE_LIFETIME_MS,
  BAN_THRESHOLD,
  BLOOM_WITHOUT_SERVICE_BAN_SCORE,
  DEFAULT_BAN_DURATION_MS,
  DynamicBanScore,
  GETDATA_BAN_SCORE_PER_MAX_INV,
  MEMPOOL_BAN_SCORE,
  NOTFOUND_BLOCK_BAN_SCORE,
  NOTFOUND_TX_BAN_SCORE,
} from "../../server/ban_score.ts";
import { MAX_INV_PER_MSG } from "../../wire/mod.ts";
import { manualClock } from "../_util/manual_clock.ts";

const UINT32_MAX = 0xffff_ffff;
/** A whole second, so that whole-second steps of the fake clock are btcd's `t.Unix()` steps. */
const START_MS = 1_700_000_000_000;

function setup() {
  const clock = new FakeClock(START_MS);
  return { clock, score: new DynamicBanScore({ clock }) };
}

Deno.test("DynamicBanScore: btcd's dynamicbanscore_test.go", async (t) => {
  await t.step(
    "TestDynamicBanScoreDecay: 150, 125 after the half-life, 100 after 7 min",
    async () => {
      const { clock, score } = setup();
      assertEquals(score.increase(100, 50), 150);
      await clock.tick(60_000);
      assertEquals(score.score, 125);
      await clock.tick(6 * 60_000);
      assertEquals(score.score, 100);
    },
  );

  await t.step("TestDynamicBanScoreLifetime: 3 at the lifetime, 0 a second later", async () => {
    const { clock, score } = setup();
    assertEquals(score.increase(0, UINT32_MAX), UINT32_MAX);
    await clock.tick(BAN_SCORE_LIFETIME_MS);
    // 3, not 4: (2^32 - 1) / 2^30 truncates to 3.
    assertEquals(score.score, 3);
    await clock.tick(1000);
    assertEquals(score.score, 0);
  });

  await t.step("TestDynamicBanScoreReset", () => {
    const { score } = setup();
    assertEquals(score.score, 0);
    score.increase(100, 0);
    assertEquals(score.score, 100);
    score.reset();
    assertEquals(score.score, 0);
  });
});

Deno.test("DynamicBanScore: decay on whole seconds", async (t) => {
  await t.step("nothing decays within the same second", async () => {
    const { clock, score } = setup();
    score.increase(0, 50);
    await clock.tick(999);
    assertEquals(score.score, 50);
    await clock.tick(1);
    assertEquals(score.score, 49); // 50 · 2^(-1/60) = 49.43
  });

  await t.step("seconds are counted as btcd's t.Unix(): crossing a second boundary counts", () => {
    const clock = manualClock(START_MS + 900);
    const score = new DynamicBanScore({ clock });
    score.increase(0, 50);
    clock.set(START_MS + 1000); // 100 ms later, but the next second
    assertEquals(score.score, 49);
  });

  await t.step("a minute before and after the half-life", async () => {
    const { clock, score } = setup();
    score.increase(0, 100);
    await clock.tick(59_000);
    assertEquals(score.score, 50); // 100 · 2^(-59/60) = 50.58
    await clock.tick(1000);
    assertEquals(score.score, 50);
    await clock.tick(1000);
    assertEquals(score.score, 49); // 100 · 2^(-61/60) = 49.43
  });

  await t.step("the lifetime boundary is inclusive of 1800 s", async () => {
    const { clock, score } = setup();
    score.increase(10, UINT32_MAX);
    await clock.tick(BAN_SCORE_LIFETIME_MS - 1);
    assertEquals(score.score, 14); // 1799 s: 2^32 · 2^(-1799/60) = 4.05
    await clock.tick(1);
    assertEquals(score.score, 13);
    await clock.tick(999);
    assertEquals(score.score, 13);
    await clock.tick(1);
    assertEquals(score.score, 10);
  });

  await t.step("an increase decays the old transient part first", async () => {
    const { clock, score } = setup();
    score.increase(0, 50);
    await clock.tick(60_000);
    assertEquals(score.increase(0, 10), 35); // 25 + 10
    await clock.tick(60_000);
    assertEquals(score.score, 17); // 35 / 2
  });

  await t.step("an increase after the lifetime starts the transient part afresh", async () => {
    const { clock, score } = setup();
    score.increase(0, 50);
    await clock.tick(BAN_SCORE_LIFETIME_MS + 1000);
    assertEquals(score.increase(0, 10), 10);
    assertEquals(score.score, 10);
  });

  await t.step(
    "a persistent-only increase neither decays nor restarts the transient clock",
    async () => {
      const { clock, score } = setup();
      score.increase(0, 50);
      await clock.tick(60_000);
      // btcd returns the transient part as of its last update here.
      assertEquals(score.increase(5, 0), 55);
      assertEquals(score.score, 30);
      await clock.tick(60_000);
      assertEquals(score.score, 17); // 5 + 50 / 4
    },
  );

  await t.step(
    "a transient part of exactly 1 reads decayed but is not decayed by increase",
    async () => {
      const { clock, score } = setup();
      score.increase(7, 1);
      await clock.tick(1000);
      assertEquals(score.score, 7); // 1 · 2^(-1/60), truncated
      // btcd decays only a transient part above 1 before adding.
      assertEquals(score.increase(0, 1), 9);
    },
  );

  await t.step("a clock that went back reads the persistent part only", () => {
    const clock = manualClock(START_MS);
    const score = new DynamicBanScore({ clock });
    score.increase(3, 40);
    clock.set(START_MS - 1000);
    assertEquals(score.score, 3);
    // And an increase then adds undecayed, moving the transient clock back.
    assertEquals(score.increase(0, 10), 53);
    assertEquals(score.score, 53);
  });

  await t.step("halfLifeMs and lifetimeMs change the curve", async () => {
    const clock = new FakeClock(START_MS);
    const score = new DynamicBanScore({ clock, halfLifeMs: 10_000, lifetimeMs: 30_000 });
    score.increase(0, 80);
    await clock.tick(10_000);
    assertEquals(score.score, 40);
    await clock.tick(20_000);
    assertEquals(score.score, 10);
    await clock.tick(1000);
    assertEquals(score.score, 0);
  });
});

Deno.test("DynamicBanScore: uint32 arithmetic and validation", async (t) => {
  await t.step("the persistent part wraps as Go's uint32", () => {
    const { score } = setup();
    score.increase(UINT32_MAX, 0);
    assertEquals(score.increase(2, 0), 1);
  });

  await t.step("the sum wraps too", () => {
    const { score } = setup();
    score.increase(10, 0);
    assertEquals(score.increase(0, UINT32_MAX), 9);
  });

  await t.step("rejects amounts that are not uint32", () => {
    const { score } = setup();
    for (const bad of [-1, 1.5, UINT32_MAX + 1, Number.NaN]) {
      assertThrows(() => score.increase(bad, 0), RangeError);
      assertThrows(() => score.increase(0, bad), RangeError);
    }
    assertEquals(score.score, 0);
  });

  await t.step("rejects a bad half-life or lifetime", () => {
    assertThrows(() => new DynamicBanScore({ halfLifeMs: 0 }), RangeError);
    assertThrows(() => new DynamicBanScore({ halfLifeMs: Infinity }), RangeError);
    assertThrows(() => new DynamicBanScore({ lifetimeMs: -1 }), RangeError);
  });

  await t.step("toString shows both parts, the time and the score, as btcd", async () => {
    const { clock, score } = setup();
    score.increase(100, 50);
    await clock.tick(60_000);
    assertEquals(
      String(score),
      `persistent 100 + transient 50 at ${START_MS / 1000} = 125 as of now`,
    );
    score.reset();
    assertEquals(String(score), "persistent 0 + transient 0 at 0 = 0 as of now");
  });
});

Deno.test("ban score constants match btcd's server", () => {
  assertEquals(BAN_THRESHOLD, 100);
  assertEquals(DEFAULT_BAN_DURATION_MS, 86_400_000);
  assertEquals(BAN_SCORE_HALF_LIFE_MS, 60_000);
  assertEquals(BAN_SCORE_LIFETIME_MS, 1_800_000);
  assertEquals(MEMPOOL_BAN_SCORE, 33);
  assertEquals(BLOOM_WITHOUT_SERVICE_BAN_SCORE, 100);
  assertEquals(NOTFOUND_BLOCK_BAN_SCORE, 20);
  assertEquals(NOTFOUND_TX_BAN_SCORE, 10);
  // getdata: a full message scores 99, and 506 entries are the smallest that score 1.
  const getdata = (n: number) => Math.floor((n * GETDATA_BAN_SCORE_PER_MAX_INV) / MAX_INV_PER_MSG);
  assertEquals(getdata(MAX_INV_PER_MSG), 99);
  assertEquals(getdata(505), 0);
  assertEquals(getdata(506), 1);
  // Three mempool requests in a row do not ban; four do.
  const { score } = setup();
  for (let i = 0; i < 3; i++) score.increase(0, MEMPOOL_BAN_SCORE);
  assertLessOrEqual(score.score, BAN_THRESHOLD);
  assertGreater(score.increase(0, MEMPOOL_BAN_SCORE), BAN_THRESHOLD);
});

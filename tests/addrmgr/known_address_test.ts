import { assertEquals, assertGreater, assertLess } from "@std/assert";
import { chance, isBad, type KnownAddress } from "../../addrmgr/mod.ts";
import { addr, T0 } from "./_helpers.ts";

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

function known(fields: Partial<KnownAddress> & { seenMs?: number } = {}): KnownAddress {
  const seenS = Math.floor((fields.seenMs ?? T0 - 60 * MIN) / 1000);
  return {
    netAddress: { ...addr("8.8.8.8"), timestamp: seenS },
    source: addr("9.9.9.9"),
    attempts: 0,
    lastAttemptMs: 0,
    lastSuccessMs: 0,
    tried: false,
    refs: 1,
    ...fields,
  };
}

Deno.test("isBad at its boundaries", async (t) => {
  await t.step("a fresh address is good", () => {
    assertEquals(isBad(known(), T0), false);
  });
  await t.step("timestamp more than 10 minutes in the future", () => {
    assertEquals(isBad(known({ seenMs: T0 + 10 * MIN }), T0), false);
    assertEquals(isBad(known({ seenMs: T0 + 10 * MIN + 1000 }), T0), true);
  });
  await t.step("older than 30 days", () => {
    assertEquals(isBad(known({ seenMs: T0 - 30 * DAY }), T0), false);
    assertEquals(isBad(known({ seenMs: T0 - 30 * DAY - 1000 }), T0), true);
  });
  await t.step("never succeeded after 3 attempts", () => {
    const lastAttemptMs = T0 - 2 * MIN;
    assertEquals(isBad(known({ attempts: 2, lastAttemptMs }), T0), false);
    assertEquals(isBad(known({ attempts: 3, lastAttemptMs }), T0), true);
    assertEquals(
      isBad(known({ attempts: 3, lastAttemptMs, lastSuccessMs: T0 - DAY }), T0),
      false,
    );
  });
  await t.step("10 failures and no success for 7 days", () => {
    const lastAttemptMs = T0 - 2 * MIN;
    const base = { attempts: 10, lastAttemptMs };
    assertEquals(isBad(known({ ...base, lastSuccessMs: T0 - 7 * DAY + 1 }), T0), false);
    assertEquals(isBad(known({ ...base, lastSuccessMs: T0 - 7 * DAY }), T0), true);
    assertEquals(isBad(known({ ...base, attempts: 9, lastSuccessMs: T0 - 8 * DAY }), T0), false);
  });
  await t.step("never bad when attempted in the last minute", () => {
    const old = { seenMs: T0 - 40 * DAY, attempts: 20 };
    assertEquals(isBad(known({ ...old, lastAttemptMs: T0 - MIN + 1 }), T0), false);
    assertEquals(isBad(known({ ...old, lastAttemptMs: T0 - MIN }), T0), true);
  });
});

Deno.test("chance: recent attempts and failures, capped at 8 as Bitcoin Core", async (t) => {
  await t.step("untried", () => assertEquals(chance(known(), T0), 1));
  await t.step("attempted less than 10 minutes ago", () => {
    assertEquals(chance(known({ lastAttemptMs: T0 - 10 * MIN + 1 }), T0), 0.01);
    assertEquals(chance(known({ lastAttemptMs: T0 - 10 * MIN }), T0), 1);
  });
  await t.step("0.66 per attempt", () => {
    for (let n = 0; n <= 8; n++) {
      assertLess(Math.abs(chance(known({ attempts: n }), T0) - 0.66 ** n), 1e-12);
    }
  });
  await t.step("no further penalty after 8 attempts", () => {
    assertEquals(chance(known({ attempts: 50 }), T0), chance(known({ attempts: 8 }), T0));
    assertGreater(chance(known({ attempts: 50 }), T0), 0.03);
  });
  await t.step("both penalties multiply", () => {
    const c = chance(known({ attempts: 2, lastAttemptMs: T0 - MIN }), T0);
    assertLess(Math.abs(c - 0.01 * 0.66 ** 2), 1e-12);
  });
});

import { assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import { FakeClock } from "../../peer/fake_clock.ts";
import {
  AddrRateLimiter,
  type AddrRateLimiterOptions,
  GETADDR_TOKEN_CREDIT,
  MAX_ADDR_PROCESSING_TOKEN_BUCKET,
  MAX_ADDR_RATE_PER_SECOND,
} from "../../server/addr_rate_limiter.ts";
import { manualClock } from "../_util/manual_clock.ts";

function setup(options: AddrRateLimiterOptions = {}) {
  const clock = new FakeClock();
  return { clock, limiter: new AddrRateLimiter({ clock, ...options }) };
}

Deno.test("AddrRateLimiter: Core's bucket", async (t) => {
  await t.step("Core's constants", () => {
    assertEquals(MAX_ADDR_RATE_PER_SECOND, 0.1);
    assertEquals(MAX_ADDR_PROCESSING_TOKEN_BUCKET, 1000);
    assertEquals(GETADDR_TOKEN_CREDIT, 1000);
  });

  await t.step("starts with one token: the peer's self-announcement", () => {
    const { limiter } = setup();
    assertEquals(limiter.tokens, 1);
    assertEquals(limiter.take(1), 1);
    assertEquals(limiter.take(1), 0);
    assertEquals(limiter.rateLimited, 1);
  });

  await t.step("addresses beyond the tokens are dropped and counted", () => {
    const { limiter } = setup();
    assertEquals(limiter.take(10), 1);
    assertEquals(limiter.rateLimited, 9);
    assertEquals(limiter.take(5), 0);
    assertEquals(limiter.rateLimited, 14);
  });

  await t.step("refills at 0.1 per second, counting fractions", async () => {
    const { clock, limiter } = setup();
    limiter.take(1);
    await clock.tick(5_000);
    assertEquals(limiter.tokens, 0.5);
    assertEquals(limiter.take(1), 0); // half a token is not enough
    await clock.tick(5_000);
    assertEquals(limiter.take(1), 1); // the half was kept: 0.5 + 0.5
    await clock.tick(9_999);
    assertEquals(limiter.take(1), 0);
    await clock.tick(1);
    assertEquals(limiter.take(1), 1);
  });

  await t.step("take(0) refills and restarts the refill clock without spending", async () => {
    const { clock, limiter } = setup({ initialTokens: 0 });
    await clock.tick(30_000);
    assertEquals(limiter.take(0), 0);
    assertEquals(limiter.tokens, 3);
    assertEquals(limiter.rateLimited, 0);
  });

  await t.step("refills stop at the cap", async () => {
    const { clock, limiter } = setup();
    await clock.tick(100_000_000);
    assertEquals(limiter.tokens, MAX_ADDR_PROCESSING_TOKEN_BUCKET);
    assertEquals(limiter.take(2000), 1000);
    assertEquals(limiter.rateLimited, 1000);
    assertEquals(limiter.tokens, 0);
  });

  await t.step("time spent at the cap is not banked", async () => {
    const { clock, limiter } = setup({ initialTokens: MAX_ADDR_PROCESSING_TOKEN_BUCKET });
    await clock.tick(100_000);
    assertEquals(limiter.take(1000), 1000);
    assertEquals(limiter.take(1), 0);
  });

  await t.step("a getaddr credit may take the bucket over the cap", async () => {
    const { clock, limiter } = setup({ initialTokens: MAX_ADDR_PROCESSING_TOKEN_BUCKET });
    limiter.credit(GETADDR_TOKEN_CREDIT);
    assertEquals(limiter.tokens, 2000);
    await clock.tick(100_000);
    assertEquals(limiter.tokens, 2000); // no growth above the cap
    assertEquals(limiter.take(1500), 1500);
    await clock.tick(10_000);
    assertEquals(limiter.tokens, 501); // grows again below it, from the last take
  });

  await t.step("a refill tops up to the cap exactly", async () => {
    const { clock, limiter } = setup({ initialTokens: 999.5 });
    await clock.tick(60_000);
    assertEquals(limiter.tokens, 1000);
  });

  await t.step("a credit does not restart the refill clock", async () => {
    const { clock, limiter } = setup({ initialTokens: 0 });
    await clock.tick(10_000);
    limiter.credit(5);
    assertEquals(limiter.take(10), 6);
  });

  await t.step("reading tokens changes nothing", async () => {
    const { clock, limiter } = setup({ initialTokens: 0 });
    await clock.tick(10_000);
    assertEquals(limiter.tokens, 1);
    assertEquals(limiter.tokens, 1);
    await clock.tick(10_000);
    assertEquals(limiter.tokens, 2);
    assertEquals(limiter.take(5), 2);
  });

  await t.step("a clock that went back refills nothing and restarts from there", () => {
    const clock = manualClock(1_000_000);
    const limiter = new AddrRateLimiter({ clock, initialTokens: 0 });
    clock.set(990_000);
    assertEquals(limiter.take(1), 0);
    clock.set(1_000_000);
    assertEquals(limiter.tokens, 1); // 10 s since the take, not 0 s since construction
  });

  await t.step("ratePerSecond, maxTokens and initialTokens", async () => {
    const { clock, limiter } = setup({ ratePerSecond: 2, maxTokens: 5, initialTokens: 3 });
    assertEquals(limiter.take(10), 3);
    await clock.tick(1_500);
    assertEquals(limiter.take(10), 3);
    await clock.tick(60_000);
    assertEquals(limiter.take(10), 5);
    assertEquals(limiter.rateLimited, 7 + 7 + 5);
  });

  await t.step("rejects bad numbers", () => {
    for (const bad of [-1, Number.NaN, Infinity]) {
      assertThrows(() => new AddrRateLimiter({ ratePerSecond: bad }), RangeError);
      assertThrows(() => new AddrRateLimiter({ maxTokens: bad }), RangeError);
      assertThrows(() => new AddrRateLimiter({ initialTokens: bad }), RangeError);
    }
    const { limiter } = setup();
    for (const bad of [-1, 1.5, Number.NaN]) assertThrows(() => limiter.take(bad), RangeError);
    for (const bad of [-1, Number.NaN, Infinity]) {
      assertThrows(() => limiter.credit(bad), RangeError);
    }
    assertEquals(limiter.tokens, 1);
    assertEquals(limiter.rateLimited, 0);
  });
});

/** Core's loop, literally: refill, then for each address spend 1.0 or count a drop. */
class CoreModel {
  bucket = 1.0;
  timestampMs: number;
  rateLimited = 0;
  constructor(nowMs: number) {
    this.timestampMs = nowMs;
  }
  addr(count: number, nowMs: number): number {
    if (this.bucket < MAX_ADDR_PROCESSING_TOKEN_BUCKET) {
      const diffSeconds = Math.max(nowMs - this.timestampMs, 0) / 1000;
      const increment = diffSeconds * MAX_ADDR_RATE_PER_SECOND;
      this.bucket = Math.min(this.bucket + increment, MAX_ADDR_PROCESSING_TOKEN_BUCKET);
    }
    this.timestampMs = nowMs;
    let processed = 0;
    for (let i = 0; i < count; i++) {
      if (this.bucket < 1.0) {
        this.rateLimited++;
        continue;
      }
      this.bucket -= 1.0;
      processed++;
    }
    return processed;
  }
}

Deno.test("AddrRateLimiter: agrees with Core's per-address loop", () => {
  const step = fc.oneof(
    fc.record({ kind: fc.constant("addr" as const), count: fc.nat(1000) }),
    fc.record({ kind: fc.constant("wait" as const), ms: fc.nat(20_000_000) }),
    fc.record({ kind: fc.constant("getaddr" as const) }),
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
      const clock = manualClock(1_700_000_000_123);
      const limiter = new AddrRateLimiter({ clock });
      const core = new CoreModel(clock.now());
      for (const s of steps) {
        if (s.kind === "wait") {
          clock.set(clock.now() + s.ms);
        } else if (s.kind === "getaddr") {
          limiter.credit(GETADDR_TOKEN_CREDIT);
          core.bucket += GETADDR_TOKEN_CREDIT;
        } else {
          assertEquals(limiter.take(s.count), core.addr(s.count, clock.now()));
          assertEquals(limiter.tokens, core.bucket);
          assertEquals(limiter.rateLimited, core.rateLimited);
        }
      }
    }),
    { numRuns: 300 },
  );
});

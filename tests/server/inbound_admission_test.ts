import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { InboundAdmission, sourcePrefix } from "../../server/_inbound_admission.ts";

Deno.test("InboundAdmission: slots per /24 and /64, released once", () => {
  assertEquals(sourcePrefix("5.6.7.8"), sourcePrefix("5.6.7.200"));
  assertNotEquals(sourcePrefix("5.6.7.8"), sourcePrefix("5.6.8.8"));
  assertEquals(sourcePrefix("2001:db8:1:2::1"), sourcePrefix("2001:db8:1:2:ffff::9"));
  assertNotEquals(sourcePrefix("2001:db8:1:2::1"), sourcePrefix("2001:db8:1:3::1"));
  assertEquals(sourcePrefix("example.onion"), "example.onion");
  const admission = new InboundAdmission(2);
  const a = admission.acquire("5.6.7.1");
  const b = admission.acquire("5.6.7.2");
  assert(a && b);
  assertEquals(admission.acquire("5.6.7.3"), undefined);
  assert(admission.acquire("2001:db8::1"));
  a();
  a(); // twice is once
  const c = admission.acquire("5.6.7.3");
  assert(c);
  assertEquals(admission.acquire("5.6.7.4"), undefined);
});

import assert from "node:assert/strict";
import { InboundAdmission, sourcePrefix } from "../../server/_inbound_admission.ts";

Deno.test("InboundAdmission: slots per /24 and /64, released once", () => {
  assert.equal(sourcePrefix("5.6.7.8"), sourcePrefix("5.6.7.200"));
  assert.notEqual(sourcePrefix("5.6.7.8"), sourcePrefix("5.6.8.8"));
  assert.equal(sourcePrefix("2001:db8:1:2::1"), sourcePrefix("2001:db8:1:2:ffff::9"));
  assert.notEqual(sourcePrefix("2001:db8:1:2::1"), sourcePrefix("2001:db8:1:3::1"));
  assert.equal(sourcePrefix("example.onion"), "example.onion");
  const admission = new InboundAdmission(2);
  const a = admission.acquire("5.6.7.1");
  const b = admission.acquire("5.6.7.2");
  assert.ok(a && b);
  assert.equal(admission.acquire("5.6.7.3"), undefined);
  assert.ok(admission.acquire("2001:db8::1"));
  a();
  a(); // twice is once
  const c = admission.acquire("5.6.7.3");
  assert.ok(c);
  assert.equal(admission.acquire("5.6.7.4"), undefined);
});

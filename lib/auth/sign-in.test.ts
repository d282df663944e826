import { describe, expect, it } from "vitest";
import { MemoryRateLimiter } from "@/lib/ratelimit";
import { SIGN_IN_LIMITS, SignInThrottledError, signInThrottleChecks, throttleAddress } from "./sign-in";

describe("signInThrottleChecks", () => {
  it("keys every check by the client address: nothing counts per account alone", () => {
    const checks = signInThrottleChecks("victim@example.test", "203.0.113.5");
    expect(checks).toHaveLength(2);
    for (const check of checks) expect(check.key).toContain("203.0.113.5");
    expect(checks.map((c) => c.key).join(" ")).not.toContain("victim@example.test"); // no emails in Redis keys
    expect(signInThrottleChecks("victim@example.test", "203.0.113.6")[0].key).not.toBe(checks[0].key);
    expect(signInThrottleChecks("other@example.test", "203.0.113.5")[0].key).not.toBe(checks[0].key);
    expect(signInThrottleChecks("other@example.test", "203.0.113.5")[1].key).toBe(checks[1].key);
  });

  it("an attacker hammering the victim's email is throttled, the victim from another address is not", async () => {
    const limiter = new MemoryRateLimiter();
    const attacker = signInThrottleChecks("victim@example.test", "198.51.100.66");
    let admitted = 0;
    while ((await limiter.consume(attacker)).allowed) admitted++;
    expect(admitted).toBe(SIGN_IN_LIMITS.perAccountAndAddress.limit);
    // The attacker moving on to other accounts is bounded by the per-address limit.
    let sprayed = 0;
    for (let i = 0; i < 200; i++) {
      if ((await limiter.consume(signInThrottleChecks(`user${i}@example.test`, "198.51.100.66"))).allowed) sprayed++;
    }
    expect(sprayed).toBe(SIGN_IN_LIMITS.perAddress.limit - admitted);
    expect((await limiter.consume(signInThrottleChecks("victim@example.test", "192.0.2.10"))).allowed).toBe(true);
  });
});

describe("throttleAddress", () => {
  it.each([
    ["203.0.113.5", "203.0.113.5"],
    ["unknown", "unknown"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::ffff", "2001:db8:1:2::/64"],
    ["2001:0DB8:0001:0002:aaaa::1", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["fe80::1:2:3:4", "fe80:0:0:0::/64"],
    ["64:ff9b::192.0.2.1", "64:ff9b:0:0::/64"],
    ["1::2:3:4:5:1.2.3.4", "1:0:2:3::/64"],
  ])("%s counts as %s", (ip, expected) => {
    expect(throttleAddress(ip)).toBe(expected);
  });
});

describe("SignInThrottledError", () => {
  it("tells when to retry, and nothing about the account", () => {
    expect(new SignInThrottledError(42).message).toBe("Too many sign-in attempts from this address; try again in 42 s");
  });
});

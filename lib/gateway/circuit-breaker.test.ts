import { beforeEach, describe, expect, it } from "vitest";
import { CircuitBreaker } from "./circuit-breaker";

const THRESHOLD = 3;
const COOLDOWN_MS = 30_000;

let now: number;
let breaker: CircuitBreaker;

beforeEach(() => {
  now = 1_000_000;
  breaker = new CircuitBreaker({ threshold: THRESHOLD, cooldownMs: COOLDOWN_MS, now: () => now });
});

function fail(times: number, channelId = "ch") {
  const opened: boolean[] = [];
  for (let i = 0; i < times; i++) opened.push(breaker.onFailure(channelId));
  return opened;
}

/** Opens the circuit and moves the clock to the end of the cool-down (half-open). */
function openThenWaitOut(channelId = "ch") {
  fail(THRESHOLD, channelId);
  now += COOLDOWN_MS;
}

describe("CircuitBreaker: closed", () => {
  it("lets an unknown channel take requests", () => {
    expect(breaker.isAvailable("never-seen")).toBe(true);
    expect(breaker.isOpen("never-seen")).toBe(false);
  });

  it("stays closed below the threshold of consecutive failures", () => {
    expect(fail(THRESHOLD - 1)).toEqual([false, false]);
    expect(breaker.isAvailable("ch")).toBe(true);
    expect(breaker.isOpen("ch")).toBe(false);
  });

  it("lets any number of concurrent requests through while closed (onAttempt does not limit them)", () => {
    fail(THRESHOLD - 1);
    for (let i = 0; i < 5; i++) {
      expect(breaker.isAvailable("ch")).toBe(true);
      breaker.onAttempt("ch");
    }
  });

  it("forgets earlier failures after a success (only consecutive failures count)", () => {
    fail(THRESHOLD - 1);
    breaker.onSuccess("ch");
    expect(fail(THRESHOLD - 1)).toEqual([false, false]);
    expect(breaker.isAvailable("ch")).toBe(true);
  });
});

describe("CircuitBreaker: open", () => {
  it("opens on the threshold-th consecutive failure and reports that it did", () => {
    expect(fail(THRESHOLD)).toEqual([false, false, true]);
    expect(breaker.isOpen("ch")).toBe(true);
    expect(breaker.isAvailable("ch")).toBe(false);
  });

  it("refuses requests for the whole cool-down, up to its last millisecond", () => {
    fail(THRESHOLD);
    now += COOLDOWN_MS - 1;
    expect(breaker.isAvailable("ch")).toBe(false);
    expect(breaker.isOpen("ch")).toBe(true);
  });

  it("keeps channels independent", () => {
    fail(THRESHOLD, "bad");
    expect(breaker.isAvailable("bad")).toBe(false);
    expect(breaker.isAvailable("good")).toBe(true);
    fail(THRESHOLD - 1, "good");
    expect(breaker.isAvailable("good")).toBe(true);
  });

  it("does not start a probe while still open (onAttempt during the cool-down has no effect)", () => {
    fail(THRESHOLD);
    now += 1000;
    breaker.onAttempt("ch"); // e.g. the all-channels-down fallback still tried it
    now += COOLDOWN_MS;
    expect(breaker.isAvailable("ch")).toBe(true);
  });

  it("extends the cool-down when a request that was already in flight fails meanwhile", () => {
    fail(THRESHOLD);
    now += 10_000;
    expect(breaker.onFailure("ch")).toBe(true);
    now += COOLDOWN_MS - 1; // 10s + 30s - 1ms after opening: past the first cool-down, not the second
    expect(breaker.isAvailable("ch")).toBe(false);
    now += 1;
    expect(breaker.isAvailable("ch")).toBe(true);
  });
});

describe("CircuitBreaker: half-open", () => {
  it("becomes available again exactly when the cool-down ends, without counting as open", () => {
    openThenWaitOut();
    expect(breaker.isOpen("ch")).toBe(false);
    expect(breaker.isAvailable("ch")).toBe(true);
  });

  it("allows exactly one probe at a time", () => {
    openThenWaitOut();
    expect(breaker.isAvailable("ch")).toBe(true);
    breaker.onAttempt("ch");
    expect(breaker.isAvailable("ch")).toBe(false);
    now += 5_000; // still waiting for the probe's answer
    expect(breaker.isAvailable("ch")).toBe(false);
  });

  it("closes when the probe succeeds: one new failure no longer opens it", () => {
    openThenWaitOut();
    breaker.onAttempt("ch");
    breaker.onSuccess("ch");
    expect(breaker.isAvailable("ch")).toBe(true);
    expect(breaker.isOpen("ch")).toBe(false);
    expect(breaker.onFailure("ch")).toBe(false);
    expect(breaker.isAvailable("ch")).toBe(true);
  });

  it("re-opens for a full new cool-down when the probe fails (a single failure is enough)", () => {
    openThenWaitOut();
    breaker.onAttempt("ch");
    now += 2_000;
    expect(breaker.onFailure("ch")).toBe(true);
    expect(breaker.isOpen("ch")).toBe(true);
    expect(breaker.isAvailable("ch")).toBe(false);
    now += COOLDOWN_MS - 1;
    expect(breaker.isAvailable("ch")).toBe(false);
    now += 1;
    expect(breaker.isAvailable("ch")).toBe(true); // half-open again: the next probe may go
    breaker.onAttempt("ch");
    expect(breaker.isAvailable("ch")).toBe(false);
  });

  it("works with a threshold of 1 (the first failure opens)", () => {
    const strict = new CircuitBreaker({ threshold: 1, cooldownMs: 100, now: () => now });
    expect(strict.onFailure("x")).toBe(true);
    expect(strict.isAvailable("x")).toBe(false);
    now += 100;
    expect(strict.isAvailable("x")).toBe(true);
  });

  // A probe whose outcome never comes back must not keep the channel out for the life of the
  // process: its slot is released after one more cool-down.
  it("does not keep a channel out forever when its probe never reports back", () => {
    openThenWaitOut();
    breaker.onAttempt("ch"); // the probe, whose outcome is never reported
    now += 10 * COOLDOWN_MS;
    expect(breaker.isAvailable("ch")).toBe(true);
  });
});

describe("onAbandon", () => {
  it("frees the probe slot at once when the probe ended without a verdict", () => {
    let now = 0;
    const breaker = new CircuitBreaker({ threshold: 1, cooldownMs: 1000, now: () => now });
    breaker.onFailure("ch");
    now = 1000;
    breaker.onAttempt("ch");
    expect(breaker.isAvailable("ch")).toBe(false);
    breaker.onAbandon("ch");
    expect(breaker.isAvailable("ch")).toBe(true);
    expect(breaker.isOpen("ch")).toBe(false);
  });
});

describe("CircuitBreaker: snapshot (the admin console's read-only view)", () => {
  it("reports closed, open with when and why, half-open after the cool-down, and closed again after a success", () => {
    expect(breaker.snapshot("ch")).toEqual({
      state: "closed",
      failures: 0,
      authFailures: 0,
      reason: null,
      openedAt: null,
      probeAt: null,
    });
    fail(THRESHOLD - 1);
    expect(breaker.snapshot("ch")).toMatchObject({ state: "closed", failures: THRESHOLD - 1, reason: null });
    const openedAt = now;
    fail(1);
    expect(breaker.snapshot("ch")).toEqual({
      state: "open",
      failures: THRESHOLD,
      authFailures: 0,
      reason: "transient",
      openedAt,
      probeAt: openedAt + COOLDOWN_MS,
    });
    now += COOLDOWN_MS;
    expect(breaker.snapshot("ch").state).toBe("half_open");
    breaker.onSuccess("ch");
    expect(breaker.snapshot("ch").state).toBe("closed");
  });

  it("names account failures as the reason and changes nothing it reads", () => {
    for (let i = 0; i < 3; i++) breaker.onFailure("ch", "auth");
    const first = breaker.snapshot("ch");
    expect(first).toMatchObject({ state: "open", reason: "auth", authFailures: 3 });
    expect(breaker.snapshot("ch")).toEqual(first);
    expect(breaker.isAvailable("ch")).toBe(false);
  });
});

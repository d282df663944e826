import { describe, expect, it } from "vitest";
import { rotationState, type ChannelHealthJson } from "@/lib/admin/channel-health";
import type { CircuitSnapshot } from "@/lib/gateway/circuit-breaker";
import { circuitLabel, formatMs, formatRate } from "./channel-display";

const closed: CircuitSnapshot = {
  state: "closed",
  failures: 0,
  authFailures: 0,
  reason: null,
  openedAt: null,
  probeAt: null,
};

const closedJson: ChannelHealthJson["circuit"] = { ...closed, openedAt: null, probeAt: null };

describe("channel health formatting", () => {
  it("shows rates to one decimal without a trailing .0, and — for no traffic", () => {
    expect(formatRate(null)).toBe("—");
    expect(formatRate(1)).toBe("100%");
    expect(formatRate(0)).toBe("0%");
    expect(formatRate(5 / 7)).toBe("71.4%");
    expect(formatRate(2 / 3)).toBe("66.7%");
  });

  it("shows milliseconds, seconds past ten, and — for none", () => {
    expect(formatMs(null)).toBe("—");
    expect(formatMs(0)).toBe("0 ms");
    expect(formatMs(1234)).toBe("1,234 ms");
    expect(formatMs(12_345)).toBe("12.3 s");
  });

  it("names the circuit and counts failures while it is still closed", () => {
    expect(circuitLabel(closedJson)).toBe("Closed");
    expect(circuitLabel({ ...closedJson, failures: 1 })).toBe("Closed (1 failure)");
    expect(circuitLabel({ ...closedJson, failures: 1, authFailures: 1 })).toBe("Closed (2 failures)");
    expect(circuitLabel({ ...closedJson, state: "open" })).toBe("Open");
    expect(circuitLabel({ ...closedJson, state: "half_open" })).toBe("Half-open");
  });
});

describe("rotationState", () => {
  it("puts the admin's switch and a rejected credential before the breaker", () => {
    expect(rotationState({ status: "ENABLED" }, closed)).toBe("serving");
    expect(rotationState({ status: "ENABLED" }, { ...closed, state: "open" })).toBe("out_of_rotation");
    expect(rotationState({ status: "ENABLED" }, { ...closed, state: "half_open" })).toBe("probing");
    expect(rotationState({ status: "DISABLED" }, { ...closed, state: "open" })).toBe("disabled");
    expect(rotationState({ status: "AUTH_FAILED" }, closed)).toBe("auth_failed");
  });
});

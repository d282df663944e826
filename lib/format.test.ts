import { describe, expect, it } from "vitest";
import { formatAgo, formatCompact, formatUsd } from "./format";

describe("formatUsd", () => {
  it.each([
    [0n, "$0.00"],
    [12_500_000_000n, "$12.50"],
    [1_234_567_000_000_000n, "$1,234,567.00"],
    [142_000n, "$0.000142"], // sub-cent: never shown as zero
    [1n, "$0.000000001"],
    [-3_000_000_000n, "-$3.00"],
    [10_000_000n, "$0.01"],
  ])("%s nano-USD → %s", (nanos, text) => {
    expect(formatUsd(nanos)).toBe(text);
  });
});

describe("formatCompact / formatAgo", () => {
  it("shortens", () => {
    expect(formatCompact(950)).toBe("950");
    expect(formatCompact(43_000)).toBe("43K");
    expect(formatCompact(1_234_567)).toBe("1.2M");
    const now = new Date("2026-11-30T12:00:00Z");
    expect(formatAgo(new Date("2026-11-30T11:57:00Z"), now)).toBe("3 min ago");
    expect(formatAgo(new Date("2026-11-28T12:00:00Z"), now)).toBe("2 d ago");
  });
});

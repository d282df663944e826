import { describe, expect, it } from "vitest";
import { daysOf, filtersToQuery, MAX_RANGE_DAYS, parseUsageFilters } from "./filters";

const now = new Date("2026-11-30T15:04:05Z");

describe("parseUsageFilters", () => {
  it("defaults to the last 30 UTC days including today", () => {
    const f = parseUsageFilters({}, now);
    expect(f).toEqual({
      range: "30",
      fromDay: "2026-11-01",
      toDay: "2026-11-30",
      keyId: null,
      memberId: null,
      model: null,
      status: null,
    });
    expect(daysOf(f)).toHaveLength(30);
  });

  it("reads presets, custom ranges and the other filters", () => {
    expect(parseUsageFilters({ range: "7" }, now)).toMatchObject({ range: "7", fromDay: "2026-11-24" });
    expect(parseUsageFilters({ range: "90" }, now).fromDay).toBe("2026-09-02");
    expect(
      parseUsageFilters(
        {
          range: "custom",
          from: "2026-02-27",
          to: "2026-03-02",
          key: "k1",
          member: "u1",
          model: "gpt-4o",
          status: "error",
        },
        now,
      ),
    ).toEqual({
      range: "custom",
      fromDay: "2026-02-27",
      toDay: "2026-03-02",
      keyId: "k1",
      memberId: "u1",
      model: "gpt-4o",
      status: "error",
    });
  });

  it("swaps reversed dates, caps the span and ignores junk", () => {
    expect(parseUsageFilters({ range: "custom", from: "2026-05-10", to: "2026-05-01" }, now)).toMatchObject({
      fromDay: "2026-05-01",
      toDay: "2026-05-10",
    });
    const long = parseUsageFilters({ range: "custom", from: "2020-01-01", to: "2026-11-30" }, now);
    expect(daysOf(long)).toHaveLength(MAX_RANGE_DAYS);
    const junk = parseUsageFilters({ range: "999", from: "2026-02-30", status: "weird", key: ["", "x"] }, now);
    expect(junk).toMatchObject({ range: "30", keyId: null, status: null });
    expect(parseUsageFilters({ range: "custom", from: "not-a-day" }, now).range).toBe("30");
  });

  it("round-trips through its query string", () => {
    const f = parseUsageFilters(
      { range: "custom", from: "2026-10-01", to: "2026-10-31", model: "a b&c", status: "ok" },
      now,
    );
    expect(parseUsageFilters(Object.fromEntries(new URLSearchParams(filtersToQuery(f))), now)).toEqual(f);
    const preset = parseUsageFilters({ range: "7", key: "k" }, now);
    expect(filtersToQuery(preset, { before: "abc" })).toBe("range=7&key=k&before=abc");
  });
});

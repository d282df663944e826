import { describe, expect, it } from "vitest";
import { createApiKeyInputSchema, parseApiKeyForm, updateApiKeyLimitsInputSchema } from "./input";
import { currentPeriodSpentNanos, periodStart } from "./period";

function form(fields: Record<string, string | string[]>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : [value]) data.append(name, v);
  }
  return data;
}

const EMPTY = {
  name: "ci",
  expiresOn: "",
  rpmLimit: "",
  tpmLimit: "",
  maxConcurrency: "",
  spendLimitUsd: "",
  spendLimitPeriod: "TOTAL",
};

describe("parseApiKeyForm", () => {
  it("reads a form with only a name as 'no limits'", () => {
    expect(parseApiKeyForm(form({ ...EMPTY, name: "  ci  " }))).toEqual({
      ok: true,
      values: {
        name: "ci",
        allowedModels: [],
        expiresOn: null,
        rpmLimit: null,
        tpmLimit: null,
        maxConcurrency: null,
        spendLimitUsd: null,
        spendLimitPeriod: "TOTAL",
      },
    });
  });

  it("parses every limit, the spend cap exactly to nano-USD", () => {
    const parsed = parseApiKeyForm(
      form({
        name: "prod",
        allowedModels: ["gpt-4o", "deepseek-v3", "gpt-4o"],
        expiresOn: "2999-01-31",
        rpmLimit: "60",
        tpmLimit: "100000",
        maxConcurrency: "4",
        spendLimitUsd: "0.10",
        spendLimitPeriod: "DAILY",
      }),
    );
    expect(parsed).toEqual({
      ok: true,
      values: {
        name: "prod",
        allowedModels: ["gpt-4o", "deepseek-v3"],
        // The key works through the whole date: it expires at the start of the next UTC day.
        expiresOn: new Date("2999-02-01T00:00:00.000Z"),
        rpmLimit: 60,
        tpmLimit: 100000,
        maxConcurrency: 4,
        spendLimitUsd: 100_000_000n,
        spendLimitPeriod: "DAILY",
      },
    });
  });

  it.each([
    ["0.1", 100_000_000n],
    ["12.3456789012", null], // 10 decimals: refused, never rounded
    ["0.000000001", 1n],
    ["1000000000", 1_000_000_000_000_000_000n],
    ["1000000000.000000001", null],
  ])("spend cap %s → %s nanos", (usd, nanos) => {
    const parsed = parseApiKeyForm(form({ ...EMPTY, spendLimitUsd: usd }));
    if (nanos === null) {
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.errors.spendLimitUsd).toMatch(/^Spend cap /);
    } else {
      expect(parsed).toMatchObject({ ok: true, values: { spendLimitUsd: nanos } });
    }
  });

  it.each(["TOTAL", "DAILY", "WEEKLY", "MONTHLY"])("accepts the %s period", (period) => {
    expect(parseApiKeyForm(form({ ...EMPTY, spendLimitPeriod: period }))).toMatchObject({
      ok: true,
      values: { spendLimitPeriod: period },
    });
  });

  it.each([
    [{ name: "" }, "name"],
    [{ name: "a".repeat(101) }, "name"],
    [{ spendLimitPeriod: "YEARLY" }, "spendLimitPeriod"],
    [{ spendLimitUsd: "0" }, "spendLimitUsd"],
    [{ spendLimitUsd: "-5" }, "spendLimitUsd"],
    [{ spendLimitUsd: "1e3" }, "spendLimitUsd"],
    [{ spendLimitUsd: "$5" }, "spendLimitUsd"],
    [{ rpmLimit: "0" }, "rpmLimit"],
    [{ rpmLimit: "1.5" }, "rpmLimit"],
    [{ rpmLimit: "-1" }, "rpmLimit"],
    [{ rpmLimit: "10000001" }, "rpmLimit"],
    [{ tpmLimit: "1000000001" }, "tpmLimit"],
    [{ tpmLimit: "9999999999" }, "tpmLimit"],
    [{ maxConcurrency: "100001" }, "maxConcurrency"],
    [{ maxConcurrency: "abc" }, "maxConcurrency"],
    [{ expiresOn: "2030-02-30" }, "expiresOn"],
    [{ expiresOn: "tomorrow" }, "expiresOn"],
    [{ allowedModels: ["../etc"] }, "allowedModels"],
  ])("refuses %j", (fields, field) => {
    const parsed = parseApiKeyForm(form({ ...EMPTY, ...(fields as Record<string, string>) }));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(Object.keys(parsed.errors)).toEqual([field]);
  });

  it("accepts the upper bounds", () => {
    expect(
      parseApiKeyForm(form({ ...EMPTY, rpmLimit: "10000000", tpmLimit: "1000000000", maxConcurrency: "100000" })),
    ).toMatchObject({ ok: true, values: { rpmLimit: 10_000_000, tpmLimit: 1_000_000_000, maxConcurrency: 100_000 } });
  });
});

describe("createApiKeyInputSchema", () => {
  it("fills in 'no limits' and a total cap period", () => {
    expect(createApiKeyInputSchema.parse({ name: "k" })).toEqual({
      name: "k",
      allowedModels: [],
      allowedIps: [],
      expiresAt: null,
      rpmLimit: null,
      tpmLimit: null,
      maxConcurrency: null,
      spendLimitNanos: null,
      spendLimitPeriod: "TOTAL",
    });
  });

  it.each([
    [{ name: "k", expiresAt: new Date(Date.now() - 1000) }, "expiresAt"],
    [{ name: "k", spendLimitNanos: -1n }, "spendLimitNanos"],
    [{ name: "k", spendLimitNanos: 1_000_000_000_000_000_001n }, "spendLimitNanos"],
    [{ name: "k", rpmLimit: 0 }, "rpmLimit"],
    [{ name: "k", spendLimitPeriod: "HOURLY" }, "spendLimitPeriod"],
    [{ name: "k", keyHash: "x" }, ""],
  ])("refuses a bad %# (field %1$s)", (input, field) => {
    const result = createApiKeyInputSchema.safeParse(input);
    expect(result.success).toBe(false);
    if (field) expect(result.error?.issues[0].path.join(".")).toBe(field);
  });
});

describe("updateApiKeyLimitsInputSchema", () => {
  it("keeps absent fields absent (unchanged) and null as 'lift the limit'", () => {
    expect(updateApiKeyLimitsInputSchema.parse({ rpmLimit: null, spendLimitPeriod: "WEEKLY" })).toEqual({
      rpmLimit: null,
      spendLimitPeriod: "WEEKLY",
    });
  });

  it("never takes the secret or the organization", () => {
    expect(updateApiKeyLimitsInputSchema.safeParse({ keyHash: "x" }).success).toBe(false);
    expect(updateApiKeyLimitsInputSchema.safeParse({ organizationId: "o" }).success).toBe(false);
  });
});

describe("spend cap periods (as tf_period_start)", () => {
  const now = new Date("2026-12-03T17:45:12.345Z"); // a Thursday
  it.each([
    ["TOTAL", null],
    ["DAILY", "2026-12-03T00:00:00.000Z"],
    ["WEEKLY", "2026-11-30T00:00:00.000Z"], // ISO week: Monday
    ["MONTHLY", "2026-12-01T00:00:00.000Z"],
  ] as const)("%s starts at %s", (period, start) => {
    expect(periodStart(period, now)?.toISOString() ?? null).toBe(start);
  });

  it("puts a Sunday in the week that began on the Monday before", () => {
    expect(periodStart("WEEKLY", new Date("2026-12-06T23:59:59Z"))?.toISOString()).toBe("2026-11-30T00:00:00.000Z");
  });

  it("counts the current period's spend, or zero once the period has ended", () => {
    const key = {
      spendLimitPeriod: "DAILY" as const,
      spentNanos: 900n,
      periodSpentNanos: 300n,
      periodStartsAt: new Date("2026-12-03T00:00:00Z"),
    };
    expect(currentPeriodSpentNanos(key, now)).toBe(300n);
    expect(currentPeriodSpentNanos(key, new Date("2026-12-04T00:00:00Z"))).toBe(0n);
    expect(currentPeriodSpentNanos({ ...key, spendLimitPeriod: "TOTAL" }, now)).toBe(900n);
  });
});

// Every management API schema against hostile values, field by field: too big (beyond the column or
// the documented maximum), negative, control characters, wrong types. Each must be refused by the
// schema, on that field, so the route answers 400 validation_error before any query runs.
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { createApiKeySchema } from "./api-keys";
import { createChannelSchema, updateChannelSchema } from "./channels";
import { createModelSchema, updateModelSchema } from "./models";
import {
  createOrganizationSchema,
  creditOrganizationSchema,
  listOrganizationsQuery,
  updateOrganizationSchema,
} from "./organizations";
import { redeemCodeSchema } from "@/lib/billing/redemption";
import { createRedemptionCodesSchema, listRedemptionCodesQuery } from "./redemption-codes";

const BEYOND_BIGINT_USD = "9223372036.854775808"; // 2^63 nano-USD
const CONTROL = ["a\u0000b", "a\nb", "a\u001bb", "a\u007f", "a\u0085", "a\u2028b", "evil\u202egnp.exe", "a\u2066b"];
const WRONG_TYPES = [true, {}, [], 12];

const usdValues = (max: string) => [
  BEYOND_BIGINT_USD,
  "999999999999.999999999",
  `${max}.000000001`,
  "1e30",
  1e21,
  "12.5\u0000",
  "0x10",
  true,
  {},
  [],
  null,
];
// null is "no limit" on the nullable limits; listed separately where it is wrong
const intValues = (max: number) => [max + 1, 2 ** 31, 2 ** 53, 1e308, -(2 ** 31) - 1, 1.5, "5", true, {}];
const nameValues = (max: number) => [...CONTROL, "", "   ", "x".repeat(max + 1), ...WRONG_TYPES, null];

interface Case {
  schema: z.ZodType;
  valid: Record<string, unknown>;
  field: string;
  values: unknown[];
}

const model = {
  id: "m-1",
  displayName: "Model",
  provider: "Vendor",
  inputPriceUsd: "1",
  outputPriceUsd: "2",
  contextWindow: 1000,
  maxOutputTokens: 100,
  defaultMaxOutputTokens: 100,
};

const CASES: Record<string, Case[]> = {
  createChannelSchema: [
    { field: "name", values: nameValues(100) },
    { field: "provider", values: ["gemini", "OPENAI", "openai\u0000", ...WRONG_TYPES] },
    {
      field: "baseUrl",
      values: [
        "ftp://x.io",
        "javascript:alert(1)",
        "https://user:pw@x.io",
        "x.io/v1",
        "https://x.io/\u0000",
        "https://x.io/ a",
        `https://x.io/${"a".repeat(2048)}`,
        ...WRONG_TYPES,
      ],
    },
    {
      field: "apiKey",
      values: ["", "sk a", "sk-\u0000", "sk-\r\nx-evil: 1", "sk-é", "k".repeat(4097), ...WRONG_TYPES],
    },
    {
      field: "models",
      values: [
        [],
        ["a b"],
        ["a\u0000"],
        ["-x"],
        ["x".repeat(101)],
        Array.from({ length: 501 }, (_, i) => `m${i}`),
        "m",
        {},
      ],
    },
    {
      field: "modelMapping",
      values: [
        { m: "a b" },
        { m: "x\u0000" },
        { m: "" },
        { m: "x".repeat(201) },
        { "a b": "x" },
        { m: 5 },
        Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`m${i}`, "x"])),
        [],
        "m",
      ],
    },
    { field: "priority", values: intValues(1_000_000).concat([-1_000_001, null]) },
    { field: "weight", values: intValues(1_000_000).concat([-1, null]) },
    { field: "enabled", values: ["true", 1, null] },
    { field: "preset", values: ["", "deep\u0000seek", "x".repeat(101), ...WRONG_TYPES] },
  ].map((c) => ({ ...c, schema: createChannelSchema, valid: { name: "ok" } })),

  updateChannelSchema: [
    { field: "name", values: nameValues(100) },
    { field: "weight", values: intValues(1_000_000) },
    { field: "models", values: [["a\u0000"], []] },
  ].map((c) => ({ ...c, schema: updateChannelSchema, valid: {} })),

  createModelSchema: [
    { field: "id", values: ["", "auto", "a/b", "a b", "a\u0000", "x".repeat(101), ...WRONG_TYPES] },
    { field: "displayName", values: nameValues(200) },
    { field: "provider", values: nameValues(100) },
    { field: "inputPriceUsd", values: [...usdValues("1000000"), "-0.01"] },
    { field: "outputPriceUsd", values: [...usdValues("1000000"), "-1"] },
    { field: "cachedInputPriceUsd", values: usdValues("1000000").filter((v) => v !== null) },
    { field: "contextWindow", values: [...intValues(10_000_000), 0, -1, null] },
    { field: "maxOutputTokens", values: [...intValues(10_000_000), 0] },
    { field: "defaultMaxOutputTokens", values: [...intValues(10_000_000), 0] },
    { field: "qualityTier", values: [0, 6, null, ...intValues(5)] },
    { field: "sortOrder", values: [...intValues(1_000_000), -1_000_001] },
    { field: "kind", values: ["IMAGE", "chat", ...WRONG_TYPES] },
    { field: "supportsTools", values: ["true", 1, null] },
  ].map((c) => ({ ...c, schema: createModelSchema, valid: model })),

  updateModelSchema: [
    { field: "inputPriceUsd", values: usdValues("1000000") },
    { field: "contextWindow", values: intValues(10_000_000) },
    { field: "displayName", values: nameValues(200) },
  ].map((c) => ({ ...c, schema: updateModelSchema, valid: {} })),

  createOrganizationSchema: [{ field: "name", values: nameValues(200) }].map((c) => ({
    ...c,
    schema: createOrganizationSchema,
    valid: { name: "Acme" },
  })),

  updateOrganizationSchema: [
    { field: "name", values: nameValues(200) },
    { field: "rpmLimit", values: [...intValues(10_000_000), 0, -5] },
    { field: "disabled", values: ["yes", 1, null] },
  ].map((c) => ({ ...c, schema: updateOrganizationSchema, valid: {} })),

  creditOrganizationSchema: [
    { field: "amountUsd", values: [...usdValues("1000000000"), "-1000000000.000000001", "0", 0] },
    { field: "note", values: [...CONTROL, "x".repeat(501), ...WRONG_TYPES] },
    { field: "reference", values: [...CONTROL, "", "x".repeat(201), ...WRONG_TYPES] },
  ].map((c) => ({ ...c, schema: creditOrganizationSchema, valid: { amountUsd: "1", reference: "r" } })),

  createApiKeySchema: [
    { field: "name", values: nameValues(100) },
    {
      field: "allowedModels",
      values: [["a b"], ["a\u0000"], [""], [5], Array.from({ length: 501 }, (_, i) => `m${i}`), "m", {}],
    },
    {
      field: "allowedIps",
      values: [["example.com"], ["10.0.0.0/33"], ["1.1.1.1\u0000"], [`1.1.1.1${" ".repeat(200)}`], [5], "1.1.1.1"],
    },
    { field: "expiresAt", values: ["2000-01-01T00:00:00Z", "99999-01-01T00:00:00Z", "soon", 4102444800000, true] },
    { field: "rpmLimit", values: [...intValues(10_000_000), 0, -1] },
    { field: "tpmLimit", values: [...intValues(1_000_000_000), 0] },
    { field: "maxConcurrency", values: [...intValues(100_000), 0] },
    { field: "spendLimitUsd", values: [...usdValues("1000000000").filter((v) => v !== null), "-1"] },
  ].map((c) => ({ ...c, schema: createApiKeySchema, valid: { name: "k" } })),

  createRedemptionCodesSchema: [
    { field: "amountUsd", values: [...usdValues("1000000000"), "0", "-5"] },
    { field: "count", values: [0, 1001, null, ...intValues(1000)] },
    { field: "expiresAt", values: ["2000-01-01T00:00:00Z", "soon", 5] },
  ].map((c) => ({ ...c, schema: createRedemptionCodesSchema, valid: { amountUsd: "5", count: 1 } })),

  listOrganizationsQuery: [
    { field: "limit", values: ["0", "101", "-1", "1e2", "0x10", "", "abc", "99999999999999999999"] },
    { field: "cursor", values: ["", "a\u0000", "a b", "x".repeat(201), "'; DROP TABLE x; --"] },
    { field: "q", values: ["a\u0000", "a\nb", "x".repeat(201)] },
  ].map((c) => ({ ...c, schema: listOrganizationsQuery, valid: {} })),

  listRedemptionCodesQuery: [
    { field: "limit", values: ["0", "1001", "-5", "1.5"] },
    { field: "batchId", values: ["", "a\u0000", "x".repeat(201)] },
  ].map((c) => ({ ...c, schema: listRedemptionCodesQuery, valid: {} })),

  redeemCodeSchema: [{ field: "code", values: ["x".repeat(101), 5, null, {}] }].map((c) => ({
    ...c,
    schema: redeemCodeSchema,
    valid: { code: "TF-0000-0000-0000-0000" },
  })),
};

describe.each(Object.entries(CASES))("%s", (_name, cases) => {
  it("accepts its valid base", () => {
    expect(cases[0].schema.safeParse(cases[0].valid).success).toBe(true);
  });

  const rows = cases.flatMap((c) => c.values.map((value) => [c.field, value, c] as const));
  it.each(rows)("refuses %s = %j on that field", (field, value, c) => {
    const result = c.schema.safeParse({ ...c.valid, [field]: value });
    expect(result.success).toBe(false);
    expect(String(result.error?.issues[0].path[0])).toBe(field);
  });
});

describe("maxima are inclusive", () => {
  it("accepts each field at its documented maximum", () => {
    expect(
      createModelSchema.parse({
        ...model,
        inputPriceUsd: "1000000",
        outputPriceUsd: "1000000",
        cachedInputPriceUsd: "1000000",
        contextWindow: 10_000_000,
        maxOutputTokens: 10_000_000,
        defaultMaxOutputTokens: 10_000_000,
        qualityTier: 5,
        sortOrder: -1_000_000,
      }),
    ).toMatchObject({ inputPriceUsd: 10n ** 15n, contextWindow: 10_000_000 });
    expect(creditOrganizationSchema.parse({ amountUsd: "-1000000000", reference: "r" }).amountUsd).toBe(-(10n ** 18n));
    expect(
      createApiKeySchema.parse({
        name: "k",
        rpmLimit: 10_000_000,
        tpmLimit: 1_000_000_000,
        maxConcurrency: 100_000,
        spendLimitUsd: "1000000000",
      }),
    ).toMatchObject({ spendLimitUsd: 10n ** 18n });
    expect(createChannelSchema.parse({ priority: -1_000_000, weight: 1_000_000 })).toEqual({
      priority: -1_000_000,
      weight: 1_000_000,
    });
  });

  it("bounds a redemption batch's total, amountUsd × count, at $1,000,000,000", () => {
    expect(createRedemptionCodesSchema.safeParse({ amountUsd: "1000000", count: 1000 }).success).toBe(true);
    const tooMuch = createRedemptionCodesSchema.safeParse({ amountUsd: "1000000.000000001", count: 1000 });
    expect(tooMuch.success).toBe(false);
    expect(tooMuch.error?.issues[0]).toMatchObject({
      path: ["amountUsd"],
      message: "amountUsd × count must be at most 1000000000.00 USD per batch",
    });
    // invalid fields are reported as such, not as a failed product
    const invalid = createRedemptionCodesSchema.safeParse({ amountUsd: "abc", count: 2 });
    expect(invalid.error?.issues).toHaveLength(1);
  });

  it("drops a __proto__ mapping key (zod never assigns it), so no prototype is ever set", () => {
    const parsed = createChannelSchema.parse({
      models: ["m"],
      modelMapping: JSON.parse(`{"__proto__": "x", "m": "y"}`),
    });
    expect(Object.keys(parsed.modelMapping!)).toEqual(["m"]);
    expect(Object.getPrototypeOf(parsed.modelMapping)).not.toBe("x");
  });

  it("keeps names of every script and upstream names with slashes", () => {
    expect(createOrganizationSchema.parse({ name: " Müller 北京 🚀 " })).toEqual({ name: "Müller 北京 🚀" });
    expect(
      createChannelSchema.parse({ models: ["m"], modelMapping: { m: "@cf/meta/llama-3.1-8b-instruct" } }).modelMapping,
    ).toEqual({ m: "@cf/meta/llama-3.1-8b-instruct" });
  });
});

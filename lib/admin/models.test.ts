import { describe, expect, it } from "vitest";
import {
  assertOutputCaps,
  assertPricedIfEnabled,
  createModelSchema,
  modelIdSchema,
  toModelJson,
  updateModelSchema,
  withAvailability,
} from "./models";

const valid = {
  id: "deepseek-v3",
  displayName: "DeepSeek V3",
  provider: "DeepSeek",
  inputPriceUsd: "0.27",
  outputPriceUsd: "1.10",
  contextWindow: 65536,
  maxOutputTokens: 8192,
  defaultMaxOutputTokens: 4096,
};

describe("createModelSchema", () => {
  it("converts prices to nano-USD per 1M tokens", () => {
    const parsed = createModelSchema.parse({ ...valid, cachedInputPriceUsd: "0.07" });
    expect(parsed.inputPriceUsd).toBe(270_000_000n);
    expect(parsed.outputPriceUsd).toBe(1_100_000_000n);
    expect(parsed.cachedInputPriceUsd).toBe(70_000_000n);
    expect(createModelSchema.parse({ ...valid, cachedInputPriceUsd: null }).cachedInputPriceUsd).toBeNull();
  });

  it.each([
    [{ inputPriceUsd: "-0.01" }, "inputPriceUsd"],
    [{ outputPriceUsd: "0.0000000001" }, "outputPriceUsd"],
    [{ contextWindow: 0 }, "contextWindow"],
    [{ kind: "IMAGE" }, "kind"],
    [{ qualityTier: 6 }, "qualityTier"],
    [{ supportsTools: "true" }, "supportsTools"],
    [{ id: "auto" }, "id"],
    [{ id: "auto:cheap" }, "id"],
    [{ id: "vendor/model" }, "id"],
    [{ id: "" }, "id"],
  ])("refuses %j", (patch, field) => {
    const result = createModelSchema.safeParse({ ...valid, ...patch });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].path.join(".")).toBe(field);
  });

  it("rejects unknown fields (e.g. the table's nano columns)", () => {
    const result = createModelSchema.safeParse({ ...valid, inputPriceNanos: "1" });
    expect(result.error?.issues[0]).toMatchObject({ code: "unrecognized_keys", keys: ["inputPriceNanos"] });
  });

  it("accepts ids with dots and colons", () => {
    expect(modelIdSchema.parse("qwen2.5:72b")).toBe("qwen2.5:72b");
  });
});

describe("updateModelSchema", () => {
  it("takes any subset, not the id", () => {
    expect(updateModelSchema.parse({ outputPriceUsd: 2 })).toEqual({ outputPriceUsd: 2_000_000_000n });
    expect(updateModelSchema.safeParse({ id: "other" }).success).toBe(false);
  });
});

describe("assertOutputCaps", () => {
  it("keeps the default cap within the maximum", () => {
    expect(() => assertOutputCaps({ maxOutputTokens: 100, defaultMaxOutputTokens: 100 })).not.toThrow();
    expect(() => assertOutputCaps({ maxOutputTokens: 100, defaultMaxOutputTokens: 101 })).toThrow(
      expect.objectContaining({ code: "validation_error", field: "defaultMaxOutputTokens" }),
    );
  });
});

describe("toModelJson", () => {
  it("answers prices as USD decimal strings", () => {
    const json = toModelJson({
      id: "m",
      displayName: "M",
      provider: "P",
      kind: "CHAT",
      inputPriceNanos: 140_000_000n,
      outputPriceNanos: 2_000_000_000n,
      cachedInputPriceNanos: null,
      contextWindow: 1,
      maxOutputTokens: 1,
      defaultMaxOutputTokens: 1,
      supportsTools: false,
      supportsVision: false,
      supportsJson: false,
      supportsReasoning: false,
      qualityTier: 3,
      enabled: true,
      sortOrder: 0,
      outputCapField: null,
      maxImageTokens: 2000,
      extraRequestFields: [],
      createdAt: new Date(0),
      updatedAt: new Date(0),
    });
    expect(json).toMatchObject({ inputPriceUsd: "0.14", outputPriceUsd: "2.00", cachedInputPriceUsd: null });
    expect(() => JSON.stringify(json)).not.toThrow();
  });
});

describe("unpriced and unavailable models", () => {
  it("refuses an enabled model with neither an input nor an output price", () => {
    expect(() => assertPricedIfEnabled({ enabled: true, inputPriceNanos: 0n, outputPriceNanos: 0n })).toThrow(
      /without a price cannot be enabled/,
    );
    expect(() => assertPricedIfEnabled({ enabled: false, inputPriceNanos: 0n, outputPriceNanos: 0n })).not.toThrow();
    // Free input with a priced output is a priced model.
    expect(() => assertPricedIfEnabled({ enabled: true, inputPriceNanos: 0n, outputPriceNanos: 1n })).not.toThrow();
  });

  it("calls an enabled model without an enabled channel unavailable", () => {
    const model = { enabled: true } as Parameters<typeof withAvailability>[0];
    expect(withAvailability(model, 0).availability).toBe("unavailable");
    expect(withAvailability(model, 2).availability).toBe("available");
    expect(withAvailability({ ...model, enabled: false }, 2).availability).toBe("disabled");
  });
});

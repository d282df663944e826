import { describe, expect, it } from "vitest";
import { describeNetworkError, describeUpstreamStatus, redactSecret } from "./channel-test";
import { createChannelSchema, resolveChannelCreate, toChannelJson, updateChannelSchema } from "./channels";

describe("createChannelSchema", () => {
  it("rejects unknown fields, naming them", () => {
    const result = createChannelSchema.safeParse({ name: "x", apiKeyEncrypted: "v1:…" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ code: "unrecognized_keys", keys: ["apiKeyEncrypted"] });
  });

  it.each([
    [{ provider: "gemini" }, "provider"],
    [{ weight: -1 }, "weight"],
    [{ weight: 1.5 }, "weight"],
    [{ priority: "high" }, "priority"],
    [{ models: [] }, "models"],
    [{ models: [""] }, "models.0"],
    [{ modelMapping: { a: "" } }, "modelMapping.a"],
    [{ apiKey: "   " }, "apiKey"],
    [{ enabled: "yes" }, "enabled"],
  ])("refuses %j", (input, field) => {
    const result = createChannelSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].path.join(".")).toBe(field);
  });

  it("dedupes models and trims the key", () => {
    expect(createChannelSchema.parse({ models: ["a", "b", "a"], apiKey: " sk-123 \n" })).toEqual({
      models: ["a", "b"],
      apiKey: "sk-123",
    });
  });

  it("PATCH takes any subset but no preset", () => {
    expect(updateChannelSchema.parse({})).toEqual({});
    expect(updateChannelSchema.parse({ enabled: true })).toEqual({ enabled: true });
    expect(updateChannelSchema.safeParse({ preset: "deepseek" }).success).toBe(false);
  });
});

describe("resolveChannelCreate", () => {
  const base = {
    name: "Fake",
    provider: "openai" as const,
    baseUrl: "https://api.example.com/v1",
    apiKey: "sk-test-1234",
    models: ["m1"],
  };

  it("applies defaults", () => {
    expect(resolveChannelCreate(base)).toEqual({
      ...base,
      modelMapping: {},
      priority: 0,
      weight: 1,
      enabled: true,
      outputCapField: "max_tokens",
    });
  });

  it("takes the output cap field from the preset unless given", () => {
    expect(resolveChannelCreate({ preset: "openai", apiKey: "sk-123456" }).outputCapField).toBe(
      "max_completion_tokens",
    );
    expect(resolveChannelCreate({ preset: "deepseek", apiKey: "sk-123456" }).outputCapField).toBe("max_tokens");
    expect(
      resolveChannelCreate({ preset: "openai", apiKey: "sk-123456", outputCapField: "max_tokens" }).outputCapField,
    ).toBe("max_tokens");
  });

  it("fills from a preset, explicit fields winning", () => {
    const draft = resolveChannelCreate({ preset: "deepseek", apiKey: "sk-ds-123456" });
    expect(draft).toMatchObject({
      name: "DeepSeek",
      provider: "openai",
      baseUrl: "https://api.deepseek.com/v1",
      models: ["deepseek-v3", "deepseek-r1"],
      modelMapping: { "deepseek-v3": "deepseek-chat", "deepseek-r1": "deepseek-reasoner" },
    });
    const custom = resolveChannelCreate({
      preset: "deepseek",
      apiKey: "k-123456",
      name: "DS backup",
      models: ["deepseek-v3"],
      priority: -1,
    });
    expect(custom).toMatchObject({
      name: "DS backup",
      models: ["deepseek-v3"],
      modelMapping: { "deepseek-v3": "deepseek-chat" },
      priority: -1,
    });
  });

  it("refuses an unknown preset", () => {
    expect(() => resolveChannelCreate({ preset: "nope", apiKey: "k" })).toThrow(
      expect.objectContaining({ code: "validation_error", field: "preset" }),
    );
  });

  it.each(["name", "provider", "models", "baseUrl", "apiKey"] as const)("requires %s without a preset", (field) => {
    const input = { ...base, [field]: undefined };
    expect(() => resolveChannelCreate(input)).toThrow(
      expect.objectContaining({ code: "validation_error", field, message: `${field} is required` }),
    );
  });

  it("demo needs neither URL nor key, and stores neither", () => {
    const draft = resolveChannelCreate({
      name: "Demo",
      provider: "demo",
      models: ["m1"],
      baseUrl: "http://169.254.169.254/",
      apiKey: "ignored-key",
    });
    expect(draft).toMatchObject({ baseUrl: "demo://local", apiKey: null });
  });

  it("refuses a mapping for a model the channel does not serve", () => {
    expect(() => resolveChannelCreate({ ...base, modelMapping: { m2: "x" } })).toThrow(
      expect.objectContaining({ field: "modelMapping" }),
    );
  });
});

describe("toChannelJson", () => {
  it("exposes health and the last four, never a secret column", () => {
    const row = {
      id: "c1",
      name: "Fake",
      provider: "openai",
      baseUrl: "https://api.example.com/v1",
      apiKeyLast4: "1234",
      apiKeyEncrypted: "v1:secret",
      models: ["m1"],
      modelMapping: { m1: "up-m1", bad: 3 },
      priority: 2,
      weight: 5,
      status: "AUTH_FAILED" as const,
      disabledReason: "upstream rejected the channel credential (401)",
      consecutiveFailures: 3,
      lastError: "boom",
      lastLatencyMs: 120,
      lastCheckedAt: new Date("2030-01-01T00:00:00Z"),
      outputCapField: "max_completion_tokens" as const,
      createdAt: new Date("2029-01-01T00:00:00Z"),
      updatedAt: new Date("2029-06-01T00:00:00Z"),
    };
    const json = toChannelJson(row);
    expect(json).toEqual({
      id: "c1",
      name: "Fake",
      provider: "openai",
      baseUrl: "https://api.example.com/v1",
      models: ["m1"],
      modelMapping: { m1: "up-m1" },
      priority: 2,
      weight: 5,
      enabled: false,
      outputCapField: "max_completion_tokens",
      status: "AUTH_FAILED",
      disabledReason: "upstream rejected the channel credential (401)",
      apiKeyLast4: "1234",
      health: {
        consecutiveFailures: 3,
        lastError: "boom",
        lastLatencyMs: 120,
        lastCheckedAt: "2030-01-01T00:00:00.000Z",
      },
      createdAt: "2029-01-01T00:00:00.000Z",
      updatedAt: "2029-06-01T00:00:00.000Z",
    });
    expect(JSON.stringify(json)).not.toContain("v1:secret");
  });
});

describe("channel test error text", () => {
  it("describes statuses with the upstream's message", () => {
    expect(describeUpstreamStatus(401, '{"error":{"message":"Incorrect API key provided"}}')).toBe(
      "upstream answered 401 (the upstream rejected the API key): Incorrect API key provided",
    );
    expect(describeUpstreamStatus(404, "<html>not found</html>")).toBe(
      "upstream answered 404 (check the base URL and the model mapping)",
    );
    expect(describeUpstreamStatus(500, '{"message":"overloaded"}')).toBe("upstream answered 500: overloaded");
  });

  it("never carries the key", () => {
    const key = "chan-secret-value-42";
    const text = describeUpstreamStatus(401, JSON.stringify({ error: { message: `Invalid key ${key} for org` } }));
    expect(redactSecret(text, key)).not.toContain(key);
    // Masked echoes: OpenAI's "sk-...<last 4>" shows what the console shows; more of the key does not pass.
    const masked = redactSecret(`Incorrect API key provided: sk-...${key.slice(-8)}; also ${key.slice(2, 12)}`, key);
    expect(masked).not.toContain(key.slice(-5));
    expect(masked).not.toContain(key.slice(2, 10));
    expect(redactSecret(`key ending ${key.slice(-4)}`, key)).toBe(`key ending ${key.slice(-4)}`);
    expect(redactSecret("Incorrect API key provided: sk-proj-abcdefghijkl", null)).toBe(
      "Incorrect API key provided: [redacted]",
    );
  });

  it("describes network failures by code, not by message", () => {
    expect(describeNetworkError(new Error("x"), true)).toBe("no answer within 10 s");
    expect(
      describeNetworkError(
        Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1 Bearer sk-1"), { code: "ECONNREFUSED" }),
        false,
      ),
    ).toBe("connection refused");
    expect(describeNetworkError(Object.assign(new Error("fetch failed"), { cause: { code: "ESSRF" } }), false)).toMatch(
      /SSRF guard/,
    );
    expect(describeNetworkError(new Error("secret detail"), false)).toBe("network error");
  });
});

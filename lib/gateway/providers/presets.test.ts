import { describe, expect, it } from "vitest";
import { PROVIDER_PRESETS, findPreset } from "./presets";

describe("PROVIDER_PRESETS", () => {
  it("covers the seed providers with unique ids", () => {
    const ids = PROVIDER_PRESETS.map((p) => p.id);
    expect(ids).toEqual(["deepseek", "moonshot", "zhipu", "dashscope", "openai", "anthropic"]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(PROVIDER_PRESETS.map((p) => [p.id, p] as const))("%s has a consistent shape", (_id, preset) => {
    const url = new URL(preset.baseUrl);
    expect(url.protocol).toBe("https:");
    expect(url.username + url.password).toBe("");
    expect(preset.baseUrl.endsWith("/")).toBe(false); // paths are appended as `${baseUrl}/chat/completions`
    expect(["openai", "anthropic"]).toContain(preset.provider);
    expect(preset.models.length).toBeGreaterThan(0);
    expect(new Set(preset.models).size).toBe(preset.models.length);
    // Every mapped public id is served, and every served model has an upstream id.
    for (const publicId of Object.keys(preset.modelMapping)) expect(preset.models).toContain(publicId);
    for (const model of preset.models) expect(preset.modelMapping[model]).toMatch(/^[a-z0-9][a-z0-9.\-]*$/);
  });

  it("public model ids are unique across presets (one public id, one meaning)", () => {
    const all = PROVIDER_PRESETS.flatMap((p) => p.models);
    expect(new Set(all).size).toBe(all.length);
  });

  it("maps the documented examples", () => {
    expect(findPreset("deepseek")).toMatchObject({
      name: "DeepSeek",
      provider: "openai",
      baseUrl: "https://api.deepseek.com/v1",
      modelMapping: {
        "deepseek-v3": "deepseek-chat",
        "deepseek-r1": "deepseek-reasoner",
      },
    });
    expect(findPreset("moonshot")?.baseUrl).toBe("https://api.moonshot.ai/v1");
    expect(findPreset("zhipu")?.baseUrl).toBe("https://open.bigmodel.cn/api/paas/v4");
    expect(findPreset("dashscope")?.baseUrl).toBe("https://dashscope-intl.aliyuncs.com/compatible-mode/v1");
    expect(findPreset("anthropic")).toMatchObject({
      provider: "anthropic",
      baseUrl: "https://api.anthropic.com/v1",
    });
  });

  it("findPreset returns undefined for unknown ids", () => {
    expect(findPreset("nope")).toBeUndefined();
    expect(findPreset("")).toBeUndefined();
  });
});

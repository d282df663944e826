import type { ProviderId } from "./list";

// Channel presets for the seed providers (DESIGN §5): what the admin console pre-fills when creating
// a channel. Pure data; the admin still supplies the API key and may edit everything.
// `models` are our public ids; `modelMapping` turns each into the id the upstream expects.

export type PresetProviderType = Exclude<ProviderId, "demo">;

export interface ProviderPreset {
  readonly id: string;
  readonly name: string;
  /** Wire format: "openai" covers every OpenAI-compatible upstream. */
  readonly provider: PresetProviderType;
  readonly baseUrl: string;
  readonly models: readonly string[];
  readonly modelMapping: Readonly<Record<string, string>>;
  /** The request field this upstream honours as the output cap. */
  readonly outputCapField: "max_tokens" | "max_completion_tokens";
}

export const PROVIDER_PRESETS: readonly ProviderPreset[] = [
  {
    id: "deepseek",
    name: "DeepSeek",
    provider: "openai",
    baseUrl: "https://api.deepseek.com/v1",
    models: ["deepseek-v3", "deepseek-r1"],
    modelMapping: {
      "deepseek-v3": "deepseek-chat",
      "deepseek-r1": "deepseek-reasoner",
    },
    outputCapField: "max_tokens",
  },
  {
    id: "moonshot",
    name: "Moonshot (Kimi)",
    provider: "openai",
    baseUrl: "https://api.moonshot.ai/v1",
    models: ["kimi-k2"],
    // Moonshot's dated K2 id (newer kimi-k2.5 / kimi-k2-thinking exist as separate models); the
    // admin can remap when Moonshot retires it.
    modelMapping: { "kimi-k2": "kimi-k2-0905-preview" },
    outputCapField: "max_tokens",
  },
  {
    id: "zhipu",
    name: "Zhipu GLM",
    provider: "openai",
    baseUrl: "https://open.bigmodel.cn/api/paas/v4",
    models: ["glm-4-plus"],
    modelMapping: { "glm-4-plus": "glm-4-plus" },
    outputCapField: "max_tokens",
  },
  {
    id: "dashscope",
    name: "Alibaba Qwen (DashScope)",
    provider: "openai",
    // International endpoint of DashScope's OpenAI-compatible mode; mainland accounts use
    // https://dashscope.aliyuncs.com/compatible-mode/v1.
    baseUrl: "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    models: ["qwen-max"],
    modelMapping: { "qwen-max": "qwen-max" },
    outputCapField: "max_tokens",
  },
  {
    id: "openai",
    name: "OpenAI",
    provider: "openai",
    baseUrl: "https://api.openai.com/v1",
    models: ["gpt-4o"],
    modelMapping: { "gpt-4o": "gpt-4o" },
    // https://platform.openai.com/docs/api-reference/chat/create#chat-create-max_completion_tokens:
    // max_tokens is deprecated and refused by o-series models.
    outputCapField: "max_completion_tokens",
  },
  {
    id: "anthropic",
    name: "Anthropic",
    provider: "anthropic",
    baseUrl: "https://api.anthropic.com/v1",
    models: ["claude-sonnet"],
    // Anthropic's alias for the current Sonnet 4.5 snapshot (claude-sonnet-4-5-20250929).
    modelMapping: { "claude-sonnet": "claude-sonnet-4-5" },
    outputCapField: "max_tokens",
  },
];

export function findPreset(id: string): ProviderPreset | undefined {
  return PROVIDER_PRESETS.find((preset) => preset.id === id);
}

// The providers a channel can speak, defined once: the admin API's validation, the console's labels
// and forms, presets and the adapter registry all derive from this list. (The database enum
// "ProviderType" also holds "gemini", reserved for an adapter that does not exist yet: no channel can
// be created with it.)

export const PROVIDERS = {
  openai: {
    label: "OpenAI-compatible",
    formLabel: "OpenAI-compatible",
    needsApiKey: true,
    /** Where the official API lives, for the console's hints. */
    docs: "https://platform.openai.com/docs/api-reference/chat",
  },
  anthropic: {
    label: "Anthropic",
    formLabel: "Anthropic (Messages API)",
    needsApiKey: true,
    docs: "https://docs.anthropic.com/en/api/messages",
  },
  demo: {
    label: "Demo (local)",
    formLabel: "Demo (answers locally, no key)",
    needsApiKey: false,
    docs: null,
  },
} as const;

export type ProviderId = keyof typeof PROVIDERS;

export const PROVIDER_IDS = Object.keys(PROVIDERS) as [ProviderId, ...ProviderId[]];

export function isProviderId(value: string): value is ProviderId {
  return Object.hasOwn(PROVIDERS, value);
}

export function providerLabel(provider: string): string {
  return isProviderId(provider) ? PROVIDERS[provider].label : provider;
}

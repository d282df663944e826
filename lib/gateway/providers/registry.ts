import type { ProviderAdapter } from "./adapter";
import { anthropicAdapter } from "./anthropic/adapter";
import { demoAdapter } from "./demo-adapter";
import type { ProviderId } from "./list";
import { openAiCompatibleAdapter } from "./openai-compatible-adapter";

// The adapter of each provider in list.ts: the relay and the channel tester pick it by the channel's provider.
const ADAPTERS: Record<ProviderId, ProviderAdapter> = {
  openai: openAiCompatibleAdapter,
  anthropic: anthropicAdapter,
  demo: demoAdapter,
};

export function adapterFor(provider: ProviderId): ProviderAdapter {
  return ADAPTERS[provider];
}

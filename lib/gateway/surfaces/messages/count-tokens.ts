import { estimateTokens } from "@/lib/gateway/tokens";
import type { CountTokensRequest } from "./request";

// POST /v1/messages/count_tokens (https://docs.anthropic.com/en/api/messages-count-tokens) for
// models that are not Claude: no upstream can count for us, so this is a local, realistic estimate
// (tokens.ts estimateTokens) over the JSON of what the model will read. Not a billing bound.

/**
 * Claude's image cost is ≈ width × height / 750, ≈ 1,600 tokens for the largest image it does not
 * downscale (https://docs.anthropic.com/en/docs/build-with-claude/vision#calculate-image-costs);
 * counting the base64 bytes instead would report hundreds of thousands.
 */
export const ESTIMATED_IMAGE_TOKENS = 1_600;

export function estimateMessagesInputTokens(req: Pick<CountTokensRequest, "system" | "messages" | "tools">): number {
  let images = 0;
  const json = JSON.stringify(
    { system: req.system, messages: req.messages, tools: req.tools },
    (_key, value: unknown) => {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
      const type = (value as { type?: unknown }).type;
      if (type === "image") {
        images++;
        return { type };
      }
      // Thinking from earlier turns is not part of the prompt: Anthropic strips it, and the
      // translation to other models drops it.
      if (type === "thinking" || type === "redacted_thinking") return undefined;
      return value;
    },
  );
  return estimateTokens(json) + images * ESTIMATED_IMAGE_TOKENS;
}

import { describe, expect, it } from "vitest";
import { estimateTokens } from "@/lib/gateway/tokens";
import { ESTIMATED_IMAGE_TOKENS, estimateMessagesInputTokens } from "./count-tokens";
import { parseCountTokensRequest } from "./request";

// Bodies of POST /v1/messages/count_tokens (https://docs.anthropic.com/en/api/messages-count-tokens).

const base = {
  model: "deepseek-v3",
  system: "You are a scientist",
  messages: [{ role: "user", content: "Hello, Claude" }],
};

describe("estimateMessagesInputTokens", () => {
  it("estimates the JSON of system, messages and tools", () => {
    const req = parseCountTokensRequest(base);
    expect(estimateMessagesInputTokens(req)).toBe(
      estimateTokens(JSON.stringify({ system: base.system, messages: base.messages })),
    );
  });

  it("counts tools", () => {
    const withTools = parseCountTokensRequest({
      ...base,
      tools: [
        {
          name: "get_weather",
          description: "Get the current weather in a given location",
          input_schema: { type: "object", properties: { location: { type: "string" } }, required: ["location"] },
        },
      ],
    });
    expect(estimateMessagesInputTokens(withTools)).toBeGreaterThan(
      estimateMessagesInputTokens(parseCountTokensRequest(base)) + 20,
    );
  });

  it("counts an image at Claude's typical cost, not its base64 bytes", () => {
    const data = "A".repeat(400_000); // a ~300 KB image
    const req = parseCountTokensRequest({
      ...base,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/jpeg", data } },
            { type: "text", text: "Describe this image." },
          ],
        },
      ],
    });
    const estimate = estimateMessagesInputTokens(req);
    expect(estimate).toBeGreaterThan(ESTIMATED_IMAGE_TOKENS);
    expect(estimate).toBeLessThan(ESTIMATED_IMAGE_TOKENS + 100);
  });

  it("leaves out the thinking of earlier turns, as Anthropic does", () => {
    const plain = parseCountTokensRequest({
      ...base,
      messages: [
        { role: "user", content: "Is 9.11 bigger than 9.8?" },
        { role: "assistant", content: [{ type: "text", text: "No." }] },
      ],
    });
    const withThinking = parseCountTokensRequest({
      ...base,
      messages: [
        { role: "user", content: "Is 9.11 bigger than 9.8?" },
        {
          role: "assistant",
          content: [
            {
              type: "thinking",
              thinking: "Compare the decimals digit by digit. ".repeat(200),
              signature: "EqQBCgIYAhIM",
            },
            { type: "text", text: "No." },
          ],
        },
      ],
    });
    expect(estimateMessagesInputTokens(withThinking)).toBeLessThanOrEqual(estimateMessagesInputTokens(plain) + 2);
  });
});

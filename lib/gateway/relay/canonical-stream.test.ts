import { describe, expect, it } from "vitest";
import type { ChatChunk } from "../canonical";
import { GatewayError } from "../errors";
import { OpenAiChunkSource } from "../providers/openai-compatible-adapter";
import { ChatChunkEncoder } from "../surfaces/chat/codec";
import { CanonicalClientStream } from "./canonical-stream";
import { usageWithCost } from "./relay";

const encode = (text: string) => new TextEncoder().encode(text);
const chunk = (delta: Record<string, unknown>, finish: string | null = null): ChatChunk =>
  ({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "upstream-name",
    choices: [{ index: 0, delta, finish_reason: finish }],
  }) as ChatChunk;
const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

function stream(includeUsage = true) {
  return new CanonicalClientStream(new OpenAiChunkSource(), new ChatChunkEncoder("public-model", includeUsage));
}

describe("CanonicalClientStream", () => {
  it("counts deltas, notes usage and the finish, renames the model and holds the usage for the end", () => {
    const s = stream();
    const usage = { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 };
    const text =
      s.push(encode(sse(chunk({ role: "assistant", content: "" })) + sse(chunk({ content: "Hel" })))) +
      s.push(encode(sse(chunk({ content: "lo" })) + sse(chunk({}, "stop")))) +
      s.push(encode(sse({ ...chunk({}), choices: [], usage }) + "data: [DONE]\n\n"));
    expect(s.stats.deltas).toBe(2);
    expect(s.stats.usage).toEqual({ inputTokens: 9, cachedInputTokens: 0, outputTokens: 2 });
    expect(s.stats.firstDeltaAt).not.toBeNull();
    expect(s.completed).toBe(true);
    expect(text).not.toContain("upstream-name");
    expect(text).not.toContain('"usage"'); // written by end(), with the cost
    const events = text.trim().split("\n\n");
    expect(events).toHaveLength(4);
    const end = s.end(usageWithCost(s.stats.rawUsage, s.stats.usage!, 1_234n));
    expect(end).toContain('"cost_usd":"0.000001234"');
    expect(end.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("strips usage riding on a content chunk and leaves the usage event out when not asked for", () => {
    const s = stream(false);
    const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
    const text = s.push(encode(sse({ ...chunk({ content: "x" }, "stop"), usage })));
    expect(text).not.toContain("usage");
    expect(s.completed).toBe(true); // finished with usage, even without [DONE]
    expect(s.end(usageWithCost(null, s.stats.usage!, 0n))).toBe("data: [DONE]\n\n");
  });

  it("stops at an upstream error event and is not completed", () => {
    const s = stream();
    s.push(encode(sse(chunk({ content: "a" })) + sse({ error: { message: "boom" } })));
    expect(s.stats.upstreamError).toBeTruthy();
    expect(s.completed).toBe(false);
    expect(s.fail(new GatewayError("upstream_error", "cut"))).toContain('"message":"cut"');
  });

  it("handles events split at any byte, including inside multi-byte characters", () => {
    const whole = encode(sse(chunk({ content: "héllo wörld ✓" })) + sse(chunk({}, "stop")) + "data: [DONE]\n\n");
    for (let cut = 1; cut < whole.length; cut += 7) {
      const s = stream();
      const text = s.push(whole.slice(0, cut)) + s.push(whole.slice(cut));
      expect(text).toContain("héllo wörld ✓");
      expect(s.completed).toBe(true);
    }
  });
});

describe("usageWithCost", () => {
  it("reports cache reads and writes inside prompt_tokens when the upstream sent no usage object", () => {
    const usage = usageWithCost(
      null,
      { inputTokens: 5, cachedInputTokens: 20, cacheWriteInputTokens: 10, outputTokens: 3 },
      7n,
    );
    expect(usage).toEqual({
      prompt_tokens: 35,
      completion_tokens: 3,
      total_tokens: 38,
      prompt_tokens_details: { cached_tokens: 20, cache_write_tokens: 10 },
      cost_usd: "0.000000007",
    });
  });
});

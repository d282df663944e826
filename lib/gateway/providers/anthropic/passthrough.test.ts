import { describe, expect, it } from "vitest";
import { GatewayError } from "../../errors";
import { usageWithCost } from "../../relay/relay";
import { CACHED_STREAM, ERROR_STREAM } from "./__fixtures__/messages";
import { AnthropicPassthroughStream } from "./passthrough";

const encode = (text: string) => new TextEncoder().encode(text);

function events(text: string): Array<{ event: string; data: Record<string, any> }> {
  return text
    .trim()
    .split("\n\n")
    .filter(Boolean)
    .map((block) => {
      const [eventLine, dataLine] = block.split("\n");
      return { event: eventLine.slice("event: ".length), data: JSON.parse(dataLine.slice("data: ".length)) };
    });
}

describe("AnthropicPassthroughStream", () => {
  it("passes the events through with the public model, and closes with the cost after settlement", () => {
    const stream = new AnthropicPassthroughStream("claude-sonnet");
    const bytes = encode(CACHED_STREAM);
    let out = "";
    for (let i = 0; i < bytes.length; i += 50) out += stream.push(bytes.slice(i, i + 50));
    const passed = events(out);
    expect(passed.map((e) => e.event)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
    ]);
    expect(passed[0].data.message.model).toBe("claude-sonnet");
    expect(passed[0].data.message.usage.cache_read_input_tokens).toBe(1800);

    // What billing reads: the exact cache counts.
    expect(stream.completed).toBe(true);
    expect(stream.stats.usage).toEqual({
      inputTokens: 21,
      cachedInputTokens: 1800,
      cacheWriteInputTokens: 248,
      outputTokens: 393,
    });

    const closing = events(stream.end(usageWithCost(stream.stats.rawUsage, stream.stats.usage!, 5_000n)));
    expect(closing.map((e) => e.event)).toEqual(["message_delta", "message_stop"]);
    expect(closing[0].data.delta.stop_reason).toBe("max_tokens");
    expect(closing[0].data.usage).toEqual(expect.objectContaining({ output_tokens: 393, cost_usd: "0.000005" }));
  });

  it("holds back the upstream's error event: the relay writes ours", () => {
    const stream = new AnthropicPassthroughStream("claude-sonnet");
    const out = stream.push(encode(ERROR_STREAM));
    expect(out).not.toContain("overloaded");
    expect(stream.stats.upstreamError).toBeTruthy();
    expect(stream.completed).toBe(false);
    const failed = events(
      stream.fail(new GatewayError("upstream_error", "The upstream model provider ended the stream unexpectedly.")),
    );
    expect(failed).toEqual([
      {
        event: "error",
        data: expect.objectContaining({ type: "error", error: expect.objectContaining({ type: "api_error" }) }),
      },
    ]);
  });
});

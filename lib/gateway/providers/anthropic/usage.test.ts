import { describe, expect, it } from "vitest";
import { finishReasonOf, toCanonicalUsage } from "./usage";

describe("toCanonicalUsage", () => {
  it("adds cache reads and writes to the uncached input", () => {
    expect(
      toCanonicalUsage({
        input_tokens: 21,
        cache_creation_input_tokens: 188086,
        cache_read_input_tokens: 0,
        output_tokens: 393,
      }),
    ).toEqual({
      prompt_tokens: 188107,
      completion_tokens: 393,
      total_tokens: 188500,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 188086 },
    });
  });

  it("reads absent or null cache fields as zero", () => {
    expect(
      toCanonicalUsage({ input_tokens: 10, output_tokens: 5, cache_read_input_tokens: null }).prompt_tokens_details,
    ).toEqual({ cached_tokens: 0, cache_write_tokens: 0 });
    expect(toCanonicalUsage({ input_tokens: 10, output_tokens: 5 }).total_tokens).toBe(15);
  });

  it("does not let absurd counts through", () => {
    expect(toCanonicalUsage({ input_tokens: -5, output_tokens: Number.NaN })).toMatchObject({
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
    });
  });
});

describe("finishReasonOf", () => {
  it.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["tool_use", "tool_calls"],
    ["pause_turn", "stop"],
    ["refusal", "content_filter"],
    ["model_context_window_exceeded", "length"],
    ["some_future_reason", "stop"],
  ])("%s → %s", (reason, expected) => {
    expect(finishReasonOf(reason)).toBe(expected);
  });

  it("keeps null (the stream has not finished)", () => {
    expect(finishReasonOf(null)).toBeNull();
  });
});

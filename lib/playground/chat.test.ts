import { describe, expect, it } from "vitest";
import { playgroundChatSchema, toChatCompletionBody } from "./chat";

describe("playground chat body", () => {
  it("always streams with usage, puts the system prompt first, and maps maxTokens to max_tokens", () => {
    const input = playgroundChatSchema.parse({
      keyId: "k1",
      model: "auto",
      system: "Be brief.",
      messages: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello" },
        { role: "user", content: "Again" },
      ],
      temperature: 0.5,
      maxTokens: 100,
    });
    expect(toChatCompletionBody(input)).toEqual({
      model: "auto",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello" },
        { role: "user", content: "Again" },
      ],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.5,
      max_tokens: 100,
    });
  });

  it("leaves out a blank system prompt and unset sampling fields", () => {
    const body = toChatCompletionBody(
      playgroundChatSchema.parse({ keyId: "k1", model: "m", system: "  ", messages: [{ role: "user", content: "x" }] }),
    );
    expect(body).toEqual({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("refuses what the browser may not send: other roles, extra fields, out-of-range values", () => {
    const ok = { keyId: "k1", model: "m", messages: [{ role: "user", content: "x" }] };
    expect(playgroundChatSchema.safeParse(ok).success).toBe(true);
    expect(playgroundChatSchema.safeParse({ ...ok, messages: [{ role: "system", content: "x" }] }).success).toBe(false);
    expect(playgroundChatSchema.safeParse({ ...ok, messages: [] }).success).toBe(false);
    expect(playgroundChatSchema.safeParse({ ...ok, stream: false }).success).toBe(false);
    expect(playgroundChatSchema.safeParse({ ...ok, temperature: 2.5 }).success).toBe(false);
    expect(playgroundChatSchema.safeParse({ ...ok, maxTokens: 0 }).success).toBe(false);
    expect(playgroundChatSchema.safeParse({ ...ok, maxTokens: 1.5 }).success).toBe(false);
  });
});

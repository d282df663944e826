import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatRequest } from "../chat-request";
import { ChatStreamTranslator } from "../stream-translator";
import { demoChatCompletionBody, demoChatStreamEvents, demoComplete, demoEmbeddingsBody } from "./demo";

const ANSWER_FOR_HI_THERE =
  'Hello from the TokenFlow demo model. You said: "Hi there". Connect a real provider channel in the admin console to get real answers.';
const WORDS_FOR_HI_THERE = ANSWER_FOR_HI_THERE.split(" ").length; // 23

function chat(extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: "demo",
    messages: [
      { role: "system", content: "You are terse." },
      { role: "user", content: "Hi there" },
    ],
    ...extra,
  };
}

/** JSON payloads of the SSE events, plus whether the stream ended with [DONE]. */
function parseStream(events: string[]) {
  for (const event of events) {
    expect(event.startsWith("data: ")).toBe(true);
    expect(event.endsWith("\n\n")).toBe(true);
  }
  const last = events.at(-1);
  const payloads = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as Record<string, unknown>);
  return { payloads, endsWithDone: last === "data: [DONE]\n\n" };
}

type StreamChoice = { index: number; delta: { role?: string; content?: string }; finish_reason: string | null };

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2025-05-01T08:00:00Z"));
});

afterEach(() => {
  vi.useRealTimers();
});

describe("demoComplete", () => {
  it("echoes the last user message in a fixed sentence", () => {
    const answer = demoComplete(chat(), 1000);
    expect(answer.text).toBe(ANSWER_FOR_HI_THERE);
    expect(answer.words).toEqual(ANSWER_FOR_HI_THERE.split(" "));
    expect(answer.finishReason).toBe("stop");
  });

  it("is deterministic", () => {
    expect(demoComplete(chat(), 1000)).toEqual(demoComplete(chat(), 1000));
  });

  it("counts prompt tokens as words plus 3 per message", () => {
    // "You are terse." = 3 words, "Hi there" = 2 words, +3 each
    expect(demoComplete(chat(), 1000).promptTokens).toBe(3 + 3 + 2 + 3);
  });

  it("answers the last user message, not an earlier one nor a later assistant turn", () => {
    const request = chat({
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: "reply" },
        { role: "user", content: "second" },
        { role: "assistant", content: "prefill" },
      ],
    });
    expect(demoComplete(request, 1000).text).toContain('You said: "second".');
  });

  it("collapses whitespace, trims and keeps at most 200 characters of the question", () => {
    expect(demoComplete(chat({ messages: [{ role: "user", content: "  a \n\t b  " }] }), 1000).text).toContain(
      'You said: "a b".',
    );
    const long = "x".repeat(500);
    expect(demoComplete(chat({ messages: [{ role: "user", content: long }] }), 1000).text).toContain(
      `"${"x".repeat(200)}"`,
    );
  });

  it("reads the text parts of multimodal content and ignores image parts", () => {
    const content = [
      { type: "text", text: "What is" },
      { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
      { type: "text", text: "this?" },
    ];
    const answer = demoComplete(chat({ messages: [{ role: "user", content }] }), 1000);
    expect(answer.text).toContain('You said: "What is this?".');
    expect(answer.promptTokens).toBe(3 + 3);
  });

  it('says "nothing" when there is no user text', () => {
    expect(demoComplete(chat({ messages: [{ role: "system", content: "Be kind." }] }), 1000).text).toContain(
      'You said: "nothing".',
    );
  });

  it("stops at the output cap and reports finish_reason length", () => {
    const answer = demoComplete(chat(), 5);
    expect(answer.words).toEqual(["Hello", "from", "the", "TokenFlow", "demo"]);
    expect(answer.text).toBe("Hello from the TokenFlow demo");
    expect(answer.finishReason).toBe("length");
  });

  it("reports stop when the cap is exactly the answer's length", () => {
    const answer = demoComplete(chat(), WORDS_FOR_HI_THERE);
    expect(answer.words).toHaveLength(WORDS_FOR_HI_THERE);
    expect(answer.finishReason).toBe("stop");
    expect(demoComplete(chat(), WORDS_FOR_HI_THERE - 1).finishReason).toBe("length");
  });
});

describe("demoChatCompletionBody", () => {
  it("is a chat.completion with the given model, the answer and consistent usage", () => {
    const body = demoChatCompletionBody(chat(), "demo-public", 1000);
    expect(body).toMatchObject({
      object: "chat.completion",
      created: Date.parse("2025-05-01T08:00:00Z") / 1000,
      model: "demo-public",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: ANSWER_FOR_HI_THERE, refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 11, completion_tokens: WORDS_FOR_HI_THERE, total_tokens: 11 + WORDS_FOR_HI_THERE },
    });
    expect(body.id).toMatch(/^chatcmpl-demo/);
  });

  it("is deterministic at a given time", () => {
    expect(demoChatCompletionBody(chat(), "demo", 1000)).toEqual(demoChatCompletionBody(chat(), "demo", 1000));
  });

  it("returns n identical choices and bills the output n times", () => {
    const body = demoChatCompletionBody(chat({ n: 3 }), "demo", 7);
    expect(body.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    for (const choice of body.choices) {
      expect(choice.message.content).toBe("Hello from the TokenFlow demo model. You");
      expect(choice.finish_reason).toBe("length");
    }
    expect(body.usage).toEqual({ prompt_tokens: 11, completion_tokens: 7 * 3, total_tokens: 11 + 21 });
  });

  it("returns one choice when n is null", () => {
    expect(demoChatCompletionBody(chat({ n: null }), "demo", 10).choices).toHaveLength(1);
  });
});

describe("demoChatStreamEvents", () => {
  it("streams role, one event per word, finish, usage, then [DONE]", () => {
    const { payloads, endsWithDone } = parseStream([...demoChatStreamEvents(chat(), "demo", 1000)]);
    expect(endsWithDone).toBe(true);
    expect(payloads).toHaveLength(1 + WORDS_FOR_HI_THERE + 2);

    const choices = payloads.map((p) => p.choices as StreamChoice[]);
    expect(choices[0]).toEqual([
      { index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
    ]);
    const contentEvents = choices.slice(1, 1 + WORDS_FOR_HI_THERE);
    expect(contentEvents.map((c) => c[0].delta.content).join("")).toBe(ANSWER_FOR_HI_THERE);
    expect(contentEvents[0][0].delta.content).toBe("Hello");
    expect(contentEvents[1][0].delta.content).toBe(" from");
    expect(choices.at(-2)).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]);

    const usageEvent = payloads.at(-1)!;
    expect(usageEvent.choices).toEqual([]);
    expect(usageEvent.usage).toEqual({
      prompt_tokens: 11,
      completion_tokens: WORDS_FOR_HI_THERE,
      total_tokens: 11 + WORDS_FOR_HI_THERE,
    });
  });

  it("gives every chunk the same id, created, object and model", () => {
    const { payloads } = parseStream([...demoChatStreamEvents(chat(), "demo-public", 1000)]);
    for (const payload of payloads) {
      expect(payload).toMatchObject({
        id: payloads[0].id,
        object: "chat.completion.chunk",
        created: Date.parse("2025-05-01T08:00:00Z") / 1000,
        model: "demo-public",
      });
    }
  });

  it("respects the output cap: as many content events as allowed, finish_reason length, usage to match", () => {
    const { payloads } = parseStream([...demoChatStreamEvents(chat(), "demo", 4)]);
    const contents = payloads
      .flatMap((p) => p.choices as StreamChoice[])
      .map((c) => c.delta.content)
      .filter((c): c is string => typeof c === "string" && c.length > 0);
    expect(contents.join("")).toBe("Hello from the TokenFlow");
    expect((payloads.at(-2)!.choices as StreamChoice[])[0].finish_reason).toBe("length");
    expect(payloads.at(-1)!.usage).toMatchObject({ completion_tokens: 4 });
  });

  it("is deterministic at a given time", () => {
    expect([...demoChatStreamEvents(chat(), "demo", 50)]).toEqual([...demoChatStreamEvents(chat(), "demo", 50)]);
  });

  it("reads back through the stream translator as a completed stream with the same usage", () => {
    const translator = new ChatStreamTranslator("demo");
    const encoder = new TextEncoder();
    for (const event of demoChatStreamEvents(chat(), "demo", 1000)) translator.push(encoder.encode(event));
    expect(translator.completed).toBe(true);
    expect(translator.stats.deltas).toBe(WORDS_FOR_HI_THERE);
    expect(translator.stats.usage).toEqual({ inputTokens: 11, cachedInputTokens: 0, outputTokens: WORDS_FOR_HI_THERE });
  });

  // Like OpenAI, every choice is streamed (index 0..n-1) and billed, as in the non-streamed answer.
  it("streams n choices when n > 1, like the non-streamed answer", () => {
    const { payloads } = parseStream([...demoChatStreamEvents(chat({ n: 2 }), "demo", 3)]);
    const indexes = new Set(payloads.flatMap((p) => (p.choices as StreamChoice[]).map((c) => c.index)));
    expect([...indexes].sort()).toEqual([0, 1]);
    expect(payloads.at(-1)!.usage).toMatchObject({ completion_tokens: 3 * 2 });
  });
});

describe("demoEmbeddingsBody", () => {
  it("returns one 8-dimensional vector per input, in order, with values in [-1, 1)", () => {
    const body = demoEmbeddingsBody(["alpha", "beta gamma"], "demo-embed");
    expect(body.object).toBe("list");
    expect(body.model).toBe("demo-embed");
    expect(body.data.map((d) => [d.object, d.index])).toEqual([
      ["embedding", 0],
      ["embedding", 1],
    ]);
    for (const { embedding } of body.data) {
      expect(embedding).toHaveLength(8);
      for (const value of embedding) {
        expect(value).toBeGreaterThanOrEqual(-1);
        expect(value).toBeLessThan(1);
      }
    }
  });

  it("gives the same text the same vector, across calls and inside a batch", () => {
    const single = demoEmbeddingsBody("alpha", "demo").data[0].embedding;
    expect(demoEmbeddingsBody("alpha", "demo").data[0].embedding).toEqual(single);
    const batch = demoEmbeddingsBody(["beta", "alpha", "alpha"], "demo").data;
    expect(batch[1].embedding).toEqual(single);
    expect(batch[2].embedding).toEqual(single);
  });

  it("gives different texts different vectors", () => {
    const [a, b] = demoEmbeddingsBody(["alpha", "alphb"], "demo").data;
    expect(a.embedding).not.toEqual(b.embedding);
  });

  it("counts one token per word, and at least one per input", () => {
    expect(demoEmbeddingsBody(["one two three", "", "four"], "demo").usage).toEqual({
      prompt_tokens: 3 + 1 + 1,
      total_tokens: 5,
    });
  });

  it("accepts token-id inputs deterministically", () => {
    const first = demoEmbeddingsBody([[1, 2, 3], [4]], "demo");
    expect(first.data).toHaveLength(2);
    expect(first).toEqual(demoEmbeddingsBody([[1, 2, 3], [4]], "demo"));
    expect(first.data[0].embedding).not.toEqual(first.data[1].embedding);
  });

  it("returns no vectors for an input that is neither a string nor an array", () => {
    expect(demoEmbeddingsBody(undefined, "demo")).toMatchObject({
      data: [],
      usage: { prompt_tokens: 0, total_tokens: 0 },
    });
  });
});

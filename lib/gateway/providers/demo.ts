// The built-in `demo` provider: answers locally with deterministic text and usage, so a fresh
// install works end to end with no provider keys and no network. 1 word = 1 token.
import type { ChatRequest } from "../chat-request";

export interface DemoCompletion {
  text: string;
  words: string[];
  promptTokens: number;
  finishReason: "stop" | "length";
}

export function demoComplete(request: ChatRequest, outputCap: number): DemoCompletion {
  const last = [...request.messages].reverse().find((m) => m.role === "user");
  const question = textOf(last?.content).trim().replace(/\s+/g, " ").slice(0, 200);
  const answer = `Hello from the TokenFlow demo model. You said: "${question || "nothing"}". Connect a real provider channel in the admin console to get real answers.`;
  const all = answer.split(" ");
  const words = all.slice(0, Math.max(1, outputCap));
  const promptWords = request.messages.reduce((sum, m) => sum + countWords(textOf(m.content)) + 3, 0);
  return {
    text: words.join(" "),
    words,
    promptTokens: promptWords,
    finishReason: words.length < all.length ? "length" : "stop",
  };
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === "object" && "text" in part ? String(part.text) : ""))
      .join(" ");
  }
  return "";
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** A chat.completion object for a non-streaming demo answer. */
export function demoChatCompletionBody(request: ChatRequest, model: string, outputCap: number) {
  const n = request.n ?? 1;
  const answer = demoComplete(request, outputCap);
  return {
    id: `chatcmpl-demo${Date.now().toString(36)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: "assistant", content: answer.text, refusal: null },
      logprobs: null,
      finish_reason: answer.finishReason,
    })),
    usage: {
      prompt_tokens: answer.promptTokens,
      completion_tokens: answer.words.length * n,
      total_tokens: answer.promptTokens + answer.words.length * n,
    },
  };
}

/** The SSE events ("data: …\n\n") of a streamed demo answer, every one of the n choices, usage always included. */
export function* demoChatStreamEvents(request: ChatRequest, model: string, outputCap: number): Generator<string> {
  const answer = demoComplete(request, outputCap);
  const n = request.n ?? 1;
  const choices = Array.from({ length: n }, (_, index) => index);
  const base = {
    id: `chatcmpl-demo${Date.now().toString(36)}`,
    object: "chat.completion.chunk",
    created: Math.floor(Date.now() / 1000),
    model,
  };
  const event = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;
  const choice = (index: number, delta: Record<string, unknown>, finish: string | null = null) => ({
    index,
    delta,
    logprobs: null,
    finish_reason: finish,
  });
  yield event({ ...base, choices: choices.map((i) => choice(i, { role: "assistant", content: "" })) });
  for (const [w, word] of answer.words.entries()) {
    for (const i of choices) yield event({ ...base, choices: [choice(i, { content: w === 0 ? word : ` ${word}` })] });
  }
  yield event({ ...base, choices: choices.map((i) => choice(i, {}, answer.finishReason)) });
  const completion = answer.words.length * n;
  yield event({
    ...base,
    choices: [],
    usage: {
      prompt_tokens: answer.promptTokens,
      completion_tokens: completion,
      total_tokens: answer.promptTokens + completion,
    },
  });
  yield "data: [DONE]\n\n";
}

/** Deterministic 8-dimensional embeddings for the demo provider (1 token per word). */
export function demoEmbeddingsBody(input: unknown, model: string) {
  const texts =
    typeof input === "string"
      ? [input]
      : Array.isArray(input)
        ? input.map((x) => (typeof x === "string" ? x : JSON.stringify(x)))
        : [];
  const tokens = texts.reduce((sum, t) => sum + Math.max(1, countWords(t)), 0);
  return {
    object: "list",
    data: texts.map((text, index) => ({ object: "embedding", index, embedding: vectorOf(text) })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

function vectorOf(text: string): number[] {
  let h = 2166136261;
  const vector: number[] = [];
  for (let i = 0; i < 8; i++) {
    for (const ch of `${i}:${text}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    vector.push(((h % 2000) - 1000) / 1000);
  }
  return vector;
}

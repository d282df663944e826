import { Readable } from "node:stream";
import type { ChatCompletion } from "../canonical";
import type { ChatRequest } from "../chat-request";
import { materializeBody } from "../prepared-body";
import type { ProviderAdapter } from "./adapter";
import { demoChatCompletionBody, demoChatStreamEvents } from "./demo";
import { OpenAiChunkSource } from "./openai-compatible-adapter";
import { startedStream } from "../upstream";

// The built-in demo provider as an adapter: it answers locally in OpenAI's wire format, from the
// messages themselves (a fresh install's bodies are small, so materialising them is cheap).

const encoder = new TextEncoder();

export const demoAdapter: ProviderAdapter = {
  provider: "demo",
  wireFormat: "openai-chat",

  async complete({ body, model, outputCap }) {
    const raw = demoChatCompletionBody(materializeBody(body) as ChatRequest, model.id, outputCap);
    return { completion: raw as ChatCompletion, raw };
  },

  async openStream({ body, model, outputCap }) {
    const events = demoChatStreamEvents(materializeBody(body) as ChatRequest, model.id, outputCap);
    return startedStream(Readable.from(Array.from(events, (event) => encoder.encode(event))));
  },

  chunkSource: () => new OpenAiChunkSource(),

  async probe() {
    return { status: 200, bodyText: "" };
  },
};

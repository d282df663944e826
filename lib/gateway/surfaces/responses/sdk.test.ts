import OpenAI, { APIError } from "openai";
import type { ResponseInputItem } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import type { ChatChunk, ChatCompletion } from "@/lib/gateway/canonical";
import { parseChatRequest } from "@/lib/gateway/chat-request";
import { parseResponsesRequest, responsesToChatRequest, type ResponsesRequest } from "./request";
import { chatCompletionToResponse } from "./response";
import { ChatToResponsesStream } from "./stream";
import { chunk, completion, LIMITS, USAGE } from "./__fixtures__/responses";

// The best proof the codec speaks the Responses API: the official openai SDK, given a fetch that
// answers from the codec, builds its request, reads our answer and accumulates our stream.

type Answer = (req: ResponsesRequest) => { json: unknown } | { sse: string };

function client(answer: Answer) {
  const seen: { body?: unknown; chat?: unknown } = {};
  const openai = new OpenAI({
    apiKey: "sk-test",
    baseURL: "http://tokenflow.test/v1",
    maxRetries: 0,
    fetch: async (url, init) => {
      expect(String(url)).toBe("http://tokenflow.test/v1/responses");
      seen.body = JSON.parse(String(init?.body));
      const req = parseResponsesRequest(seen.body, LIMITS);
      seen.chat = parseChatRequest(JSON.parse(JSON.stringify(responsesToChatRequest(req))), LIMITS);
      const out = answer(req);
      return "json" in out
        ? new Response(JSON.stringify(out.json), { headers: { "content-type": "application/json" } })
        : new Response(out.sse, { headers: { "content-type": "text/event-stream" } });
    },
  });
  return { openai, seen };
}

const ctx = (request: ResponsesRequest) => ({
  responseId: "resp_sdk",
  createdAt: 1_700_000_000,
  publicModel: "deepseek-v3",
  request,
});

function streamOf(chunks: ChatChunk[], request: ResponsesRequest): string {
  const stream = new ChatToResponsesStream(ctx(request));
  return stream.start() + chunks.map((c) => stream.push(c)).join("") + stream.finish(USAGE, "0.0042");
}

const weatherTool = {
  type: "function" as const,
  name: "weather",
  description: "Current weather",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

describe("the openai SDK against the codec", () => {
  it("responses.create reads a text answer (output_text computed by the SDK)", async () => {
    const answer: ChatCompletion = completion({ content: "Bonjour !" });
    const { openai, seen } = client((req) => ({
      json: chatCompletionToResponse(answer, { ...ctx(req), costUsd: "0.0042" }),
    }));
    const response = await openai.responses.create({
      model: "deepseek-v3",
      instructions: "Answer in French.",
      input: "Hello",
      max_output_tokens: 50,
    });
    expect(seen.chat).toEqual({
      model: "deepseek-v3",
      messages: [
        { role: "system", content: "Answer in French." },
        { role: "user", content: "Hello" },
      ],
      max_tokens: 50,
    });
    expect(response.id).toBe("resp_sdk");
    expect(response.status).toBe("completed");
    expect(response.output_text).toBe("Bonjour !");
    expect(response.usage).toMatchObject({ input_tokens: 20, output_tokens: 7, total_tokens: 27, cost_usd: "0.0042" });
  });

  it("responses.create reads tool calls, and the follow-up request carries them back", async () => {
    const answer = completion(
      {
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } }],
      },
      "tool_calls",
    );
    const { openai, seen } = client((req) => ({ json: chatCompletionToResponse(answer, ctx(req)) }));
    const first = await openai.responses.create({
      model: "deepseek-v3",
      input: "Weather in Paris?",
      tools: [weatherTool],
    });
    expect(first.output_text).toBe("");
    const call = first.output[0];
    expect(call).toMatchObject({ type: "function_call", call_id: "call_1", name: "weather" });

    // The documented stateless loop: send the previous output back with the tool's result.
    await openai.responses.create({
      model: "deepseek-v3",
      tools: [weatherTool],
      input: [
        { role: "user", content: "Weather in Paris?" },
        ...(first.output as ResponseInputItem[]), // the SDK types output items apart from input items
        { type: "function_call_output", call_id: "call_1", output: "18C and sunny" },
      ],
    });
    expect((seen.chat as { messages: unknown[] }).messages).toEqual([
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } }],
      },
      { role: "tool", tool_call_id: "call_1", content: "18C and sunny" },
    ]);
  });

  it("responses.stream accumulates a text stream into the final Response", async () => {
    const { openai, seen } = client((req) => ({
      sse: streamOf(
        [
          chunk({ role: "assistant", content: "" }),
          chunk({ content: "Hel" }),
          chunk({ content: "lo" }),
          chunk({}, "stop"),
        ],
        req,
      ),
    }));
    const stream = openai.responses.stream({ model: "deepseek-v3", input: "Hi" });
    const deltas: string[] = [];
    stream.on("response.output_text.delta", (event) => deltas.push(event.snapshot));
    const final = await stream.finalResponse();
    expect(seen.chat).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(deltas).toEqual(["Hel", "Hello"]);
    expect(final.output_text).toBe("Hello");
    expect(final.status).toBe("completed");
    expect(final.usage).toMatchObject({ total_tokens: 27, cost_usd: "0.0042" });
    // The accumulated snapshot is exactly the Response the non-streaming path gives (plus the SDK's own fields).
    const expected = chatCompletionToResponse(completion({ content: "Hello" }), {
      ...ctx(parseResponsesRequest(seen.body, LIMITS)),
      costUsd: "0.0042",
    });
    expect(final).toMatchObject(JSON.parse(JSON.stringify(expected)));
  });

  it("responses.stream accumulates reasoning, text and two tool calls", async () => {
    const { openai } = client((req) => ({
      sse: streamOf(
        [
          chunk({ reasoning_content: "Two cities." }),
          chunk({ content: "Checking." }),
          chunk({
            tool_calls: [
              { index: 0, id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":' } },
            ],
          }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
          chunk({
            tool_calls: [{ index: 1, id: "call_2", type: "function", function: { name: "weather", arguments: "" } }],
          }),
          chunk({ tool_calls: [{ index: 1, function: { arguments: '{"city":"Rome"}' } }] }),
          chunk({}, "tool_calls"),
        ],
        req,
      ),
    }));
    const stream = openai.responses.stream({
      model: "deepseek-v3",
      input: "Weather in Paris and Rome?",
      tools: [weatherTool],
      reasoning: { effort: "low" },
    });
    const argumentSnapshots: string[] = [];
    stream.on("response.function_call_arguments.delta", (event) => argumentSnapshots.push(event.snapshot));
    const final = await stream.finalResponse();
    expect(argumentSnapshots).toEqual(['{"city":', '{"city":"Paris"}', '{"city":"Rome"}']);
    expect(final.output_text).toBe("Checking.");
    expect(final.output.map((item) => item.type)).toEqual(["reasoning", "message", "function_call", "function_call"]);
    expect(final.output[0]).toMatchObject({ summary: [{ type: "summary_text", text: "Two cities." }] });
    expect(final.output.slice(2)).toMatchObject([
      { call_id: "call_1", name: "weather", arguments: '{"city":"Paris"}', status: "completed" },
      { call_id: "call_2", name: "weather", arguments: '{"city":"Rome"}', status: "completed" },
    ]);
    expect(final.reasoning).toEqual({ effort: "low", summary: null });
  });

  it("responses.stream reports an incomplete response", async () => {
    const { openai } = client((req) => ({ sse: streamOf([chunk({ content: "Once" }), chunk({}, "length")], req) }));
    const final = await openai.responses
      .stream({ model: "deepseek-v3", input: "Story", max_output_tokens: 1 })
      .finalResponse();
    expect(final.status).toBe("incomplete");
    expect(final.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(final.output_text).toBe("Once");
  });

  it("responses.stream throws a clear APIError when the stream fails", async () => {
    const { openai } = client((req) => {
      const stream = new ChatToResponsesStream(ctx(req));
      return {
        sse:
          stream.start() +
          stream.push(chunk({ content: "Hel" })) +
          stream.error("upstream_error", "The upstream failed."),
      };
    });
    const stream = openai.responses.stream({ model: "deepseek-v3", input: "Hi" });
    const failed: string[] = [];
    stream.on("response.failed", (event) => failed.push(event.response.status ?? ""));
    const error = await stream.finalResponse().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).message).toBe("The upstream failed.");
    expect((error as APIError).code).toBe("upstream_error");
    expect((error as APIError).type).toBe("api_error");
    expect(failed).toEqual(["failed"]);
  });

  it("responses.stream throws the error of a stream that fails before its first delta", async () => {
    const { openai } = client((req) => ({ sse: new ChatToResponsesStream(ctx(req)).error("timeout", "Timed out.") }));
    const error = await openai.responses
      .stream({ model: "deepseek-v3", input: "Hi" })
      .finalResponse()
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).message).toBe("Timed out.");
  });

  it("raw iteration of a stream sees every event with increasing sequence numbers", async () => {
    const { openai } = client((req) => ({ sse: streamOf([chunk({ content: "Hi" }), chunk({}, "stop")], req) }));
    const events = await openai.responses.create({ model: "deepseek-v3", input: "Hi", stream: true });
    const seen: Array<[string, number]> = [];
    for await (const event of events) seen.push([event.type, event.sequence_number]);
    expect(seen.map(([, n]) => n)).toEqual(seen.map((_, i) => i));
    expect(seen[0][0]).toBe("response.created");
    expect(seen.at(-1)?.[0]).toBe("response.completed");
  });
});

import { describe, expect, it } from "vitest";
import { chatCompletionToResponse, usageToResponses } from "./response";
import { completion, context, request, USAGE } from "./__fixtures__/responses";

describe("chatCompletionToResponse", () => {
  it("answers text as one completed message item, echoing the request's settings", () => {
    const req = request({ instructions: "Be brief.", temperature: 0.5, max_output_tokens: 100, metadata: { a: "b" } });
    const response = chatCompletionToResponse(completion({ content: "Hello!" }), {
      ...context(req),
      costUsd: "0.0012",
    });
    expect(response).toEqual({
      id: "resp_abc",
      object: "response",
      created_at: 1_700_000_000,
      status: "completed",
      background: false,
      error: null,
      incomplete_details: null,
      instructions: "Be brief.",
      max_output_tokens: 100,
      model: "deepseek-v3",
      output: [
        {
          type: "message",
          id: "msg_abc_0",
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text: "Hello!", annotations: [], logprobs: [] }],
        },
      ],
      parallel_tool_calls: true,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      store: false,
      temperature: 0.5,
      text: { format: { type: "text" } },
      tool_choice: "auto",
      tools: [],
      top_p: null,
      truncation: "disabled",
      usage: {
        input_tokens: 20,
        input_tokens_details: { cached_tokens: 4 },
        output_tokens: 7,
        output_tokens_details: { reasoning_tokens: 3 },
        total_tokens: 27,
        cost_usd: "0.0012",
      },
      user: null,
      safety_identifier: null,
      prompt_cache_key: null,
      metadata: { a: "b" },
    });
    expect(response).not.toHaveProperty("output_text"); // the SDKs compute it
  });

  it("answers tool calls as function_call items after the text", () => {
    const tools = [{ type: "function", name: "weather", parameters: { type: "object" } }];
    const req = request({ tools, tool_choice: "required", parallel_tool_calls: false });
    const response = chatCompletionToResponse(
      completion(
        {
          content: "Checking both.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
            { id: "call_2", type: "function", function: { name: "weather", arguments: '{"city":"Rome"}' } },
          ],
        },
        "tool_calls",
      ),
      context(req),
    );
    expect(response.status).toBe("completed");
    expect(response.output).toEqual([
      {
        type: "message",
        id: "msg_abc_0",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: "Checking both.", annotations: [], logprobs: [] }],
      },
      {
        type: "function_call",
        id: "fc_abc_1",
        call_id: "call_1",
        name: "weather",
        arguments: '{"city":"Paris"}',
        status: "completed",
      },
      {
        type: "function_call",
        id: "fc_abc_2",
        call_id: "call_2",
        name: "weather",
        arguments: '{"city":"Rome"}',
        status: "completed",
      },
    ]);
    expect(response.tools).toEqual(tools);
    expect(response.tool_choice).toBe("required");
    expect(response.parallel_tool_calls).toBe(false);
  });

  it("answers a length stop as incomplete (max_output_tokens), the last item incomplete", () => {
    const response = chatCompletionToResponse(completion({ content: "Once upon a" }, "length"), context());
    expect(response.status).toBe("incomplete");
    expect(response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(response.output).toMatchObject([{ type: "message", status: "incomplete" }]);
  });

  it("answers a content filter stop as incomplete (content_filter)", () => {
    const response = chatCompletionToResponse(completion({ content: "" }, "content_filter"), context());
    expect(response.status).toBe("incomplete");
    expect(response.incomplete_details).toEqual({ reason: "content_filter" });
    expect(response.output).toEqual([]);
  });

  it("answers reasoning_content as a reasoning item's summary, before the message", () => {
    const req = request({ reasoning: { effort: "high", summary: "auto" } });
    const response = chatCompletionToResponse(
      completion({ reasoning_content: "Think first.", content: "42" }),
      context(req),
    );
    expect(response.output).toEqual([
      { type: "reasoning", id: "rs_abc_0", summary: [{ type: "summary_text", text: "Think first." }] },
      {
        type: "message",
        id: "msg_abc_1",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: "42", annotations: [], logprobs: [] }],
      },
    ]);
    expect(response.reasoning).toEqual({ effort: "high", summary: "auto" });
  });

  it("answers a refusal as a refusal part", () => {
    const response = chatCompletionToResponse(completion({ refusal: "I can't help with that." }), context());
    expect(response.output).toMatchObject([
      { type: "message", content: [{ type: "refusal", refusal: "I can't help with that." }] },
    ]);
  });

  it("echoes the json_schema format and verbosity", () => {
    const format = { type: "json_schema", name: "t", schema: { type: "object" }, strict: true };
    const response = chatCompletionToResponse(
      completion({ content: "{}" }),
      context(request({ text: { format, verbosity: "low" } })),
    );
    expect(response.text).toEqual({ format, verbosity: "low" });
  });
});

describe("usageToResponses", () => {
  it("maps chat usage to Responses usage", () => {
    expect(usageToResponses(USAGE)).toEqual({
      input_tokens: 20,
      input_tokens_details: { cached_tokens: 4 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 3 },
      total_tokens: 27,
    });
  });

  it("defaults missing details to 0, keeps cache writes and adds the cost", () => {
    expect(
      usageToResponses(
        {
          prompt_tokens: 10,
          completion_tokens: 2,
          total_tokens: 12,
          prompt_tokens_details: { cache_write_tokens: 6 },
          completion_tokens_details: null,
        },
        "0.00",
      ),
    ).toEqual({
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 6 },
      output_tokens: 2,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 12,
      cost_usd: "0.00",
    });
    expect(usageToResponses(null, "0.01")).toBeNull();
  });
});

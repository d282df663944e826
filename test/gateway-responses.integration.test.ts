// OpenAI's Responses API (POST /v1/responses) for every model, against the production server, real
// Postgres and the fake upstream: the official `openai` SDK's responses.create / responses.stream and
// a function-call round trip against a DeepSeek-style (OpenAI-compatible) and an Anthropic channel,
// and the Vercel AI SDK's default OpenAI provider. Costs are checked against receipts and the ledger.
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import type OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clearRequests, clearScenarios, getRequests } from "@/e2e/fake-upstream/client";
import { startStack, type Stack } from "./stack";

let stack: Stack;
let client: OpenAI;
let apiKey: string;

const PRICES: Record<string, { input: bigint; output: bigint }> = {
  "deepseek-v3": { input: 140_000_000n, output: 280_000_000n },
  "claude-sonnet": { input: 3_000_000_000n, output: 15_000_000_000n },
};

function expectedCost(model: string, input: number, output: number): bigint {
  const p = PRICES[model];
  return (BigInt(input) * p.input + BigInt(output) * p.output + 999_999n) / 1_000_000n;
}

function nanosToUsd(nanos: bigint): string {
  let fraction = (nanos % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  if (fraction.length < 2) fraction = fraction.padEnd(2, "0");
  return `${nanos / 1_000_000_000n}.${fraction}`;
}

async function charged(requestId: string): Promise<{ receipt: Record<string, any>; ledger: bigint }> {
  const receipt = await stack.receipt(requestId); // lands just after the answer
  const ledger = await stack.db.query(
    `SELECT "amountNanos" FROM "LedgerEntry" WHERE reference = $1 AND kind = 'USAGE'`,
    [requestId],
  );
  return { receipt, ledger: ledger.rows.length === 1 ? -BigInt(ledger.rows[0].amountNanos) : 0n };
}

function withKnobs<T>(params: T, knobs: Record<string, unknown>): T {
  return { ...params, ...knobs } as T;
}

const weatherTool = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather in a city",
  parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] },
  strict: false,
};

beforeAll(async () => {
  stack = await startStack();
  await stack.admin.disableAllChannels();
  await stack.admin.createChannel({
    name: "fake deepseek",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-deepseek",
    models: ["deepseek-v3"],
    modelMapping: { "deepseek-v3": "deepseek-chat" },
  });
  await stack.admin.createChannel({
    name: "fake anthropic",
    provider: "anthropic",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-anthropic",
    models: ["claude-sonnet"],
  });
  const org = await stack.admin.createOrganization("Responses users", "100");
  apiKey = (await stack.admin.createKey(org.id)).key;
  client = stack.sdk(apiKey);
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  await clearRequests(stack.upstream.url);
  await clearScenarios(stack.upstream.url);
});

describe.each(["deepseek-v3", "claude-sonnet"])("responses for %s", (model) => {
  it("responses.create answers with output_text, usage and the exact cost", async () => {
    const { data, response } = await client.responses
      .create({ model, instructions: "Be brief.", input: "Hello responses", max_output_tokens: 200 })
      .withResponse();
    expect(data.object).toBe("response");
    expect(data.status).toBe("completed");
    expect(data.model).toBe(model);
    expect(data.output_text.length).toBeGreaterThan(0);
    expect(data.id).toMatch(/^resp_/);
    const usage = data.usage as NonNullable<typeof data.usage> & { cost_usd: string };
    const cost = expectedCost(model, usage.input_tokens, usage.output_tokens);
    expect(usage.cost_usd).toBe(nanosToUsd(cost));

    const { receipt, ledger } = await charged(response.headers.get("x-request-id")!);
    expect(receipt.endpoint).toBe("responses");
    expect(BigInt(receipt.costNanos)).toBe(cost);
    expect(ledger).toBe(cost);

    const [sent] = await getRequests(stack.upstream.url);
    if (model === "deepseek-v3") {
      expect(sent.body.messages[0]).toEqual({ role: "system", content: "Be brief." });
      expect(sent.body.max_tokens).toBe(200);
    } else {
      expect(sent.path).toBe("/v1/messages");
      expect(sent.body.system).toBe("Be brief.");
      expect(sent.body.max_tokens).toBe(200);
    }
  });

  it("responses.stream delivers OpenAI's event sequence and a final response with the cost", async () => {
    const stream = client.responses.stream(
      withKnobs({ model, input: [{ role: "user" as const, content: "Stream responses" }] }, { fake_output_tokens: 7 }),
    );
    const types: string[] = [];
    let deltas = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") deltas += event.delta;
    }
    const final = await stream.finalResponse();
    expect(types[0]).toBe("response.created");
    expect(types).toContain("response.output_item.added");
    expect(types).toContain("response.output_text.delta");
    expect(types.at(-1)).toBe("response.completed");
    expect(final.output_text).toBe(deltas);
    expect(deltas.split(" ").length).toBe(7);
    const usage = final.usage as NonNullable<typeof final.usage> & { cost_usd: string };
    expect(usage.output_tokens).toBe(7);
    expect(usage.cost_usd).toBe(nanosToUsd(expectedCost(model, usage.input_tokens, 7)));
  });

  it("completes a function-call round trip", async () => {
    const first = await client.responses.create(
      withKnobs({ model, input: "Weather in Paris?", tools: [weatherTool] }, { fake_tool_call: "get_weather" }),
    );
    const call = first.output.find(
      (item) => item.type === "function_call",
    ) as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call.name).toBe("get_weather");
    expect(JSON.parse(call.arguments)).toEqual(expect.objectContaining({ location: expect.any(String) }));

    // Streamed, the arguments arrive as function_call_arguments deltas.
    const stream = client.responses.stream(
      withKnobs({ model, input: "Weather in Paris?", tools: [weatherTool] }, { fake_tool_call: "get_weather" }),
    );
    let args = "";
    for await (const event of stream) if (event.type === "response.function_call_arguments.delta") args += event.delta;
    expect(JSON.parse(args)).toEqual(JSON.parse(call.arguments));

    await clearRequests(stack.upstream.url);
    const second = await client.responses.create({
      model,
      tools: [weatherTool],
      input: [
        { role: "user", content: "Weather in Paris?" },
        call,
        { type: "function_call_output", call_id: call.call_id, output: "Sunny, 24 °C" },
      ],
    });
    expect(second.output_text.length).toBeGreaterThan(0);
    const [sent] = await getRequests(stack.upstream.url);
    const serialized = JSON.stringify(sent.body.messages);
    expect(serialized).toContain("Sunny, 24 °C");
    expect(serialized).toContain(call.call_id.replace(/[^a-zA-Z0-9_-]/g, "_"));
  });
});

describe("responses: structured output", () => {
  it("sends text.format (JSON schema) upstream as response_format", async () => {
    const schema = {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
      additionalProperties: false,
    };
    const data = await client.responses.create({
      model: "deepseek-v3",
      input: "Name a city",
      text: { format: { type: "json_schema", name: "city", schema, strict: true } },
    });
    expect(data.status).toBe("completed");
    expect(data.text?.format).toEqual(expect.objectContaining({ type: "json_schema", name: "city" }));
    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.body.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "city", schema, strict: true },
    });
  });
});

describe("responses: what is refused", () => {
  it("answers previous_response_id with a clear 400", async () => {
    const error = await client.responses
      .create({ model: "deepseek-v3", input: "hi", previous_response_id: "resp_123" })
      .then(
        () => null,
        (e: { status: number; message: string }) => e,
      );
    expect(error?.status).toBe(400);
    expect(error?.message).toMatch(/previous_response_id is not supported/);
  });

  it("refuses built-in tools and an unknown model in OpenAI's error shape", async () => {
    const builtIn = await client.responses
      .create({ model: "deepseek-v3", input: "hi", tools: [{ type: "web_search" }] })
      .then(
        () => null,
        (e: { status: number }) => e,
      );
    expect(builtIn?.status).toBe(400);
    const unknown = await client.responses.create({ model: "no-such-model", input: "hi" }).then(
      () => null,
      (e: { status: number; code: string }) => e,
    );
    expect(unknown?.status).toBe(404);
    expect(unknown?.code).toBe("model_not_found");
  });
});

describe("the Vercel AI SDK's default OpenAI provider (Responses API)", () => {
  it("generateText and streamText work, with a tool call executed by the SDK", async () => {
    const provider = createOpenAI({ baseURL: `${stack.app.url}/v1`, apiKey });
    const receipts = async () =>
      Number((await stack.db.query(`SELECT count(*) FROM "RequestLog" WHERE endpoint = 'responses'`)).rows[0].count);
    await stack.settled();
    const before = await receipts();
    const text = await generateText({ model: provider("deepseek-v3"), prompt: "Hello AI SDK", maxRetries: 0 });
    expect(text.text).toContain("Hello AI SDK");
    expect(text.usage.outputTokens).toBeGreaterThan(0);
    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.path).toBe("/v1/chat/completions"); // reached us on /v1/responses, relayed as chat
    await stack.settled();
    expect(await receipts()).toBe(before + 1);

    const streamed = streamText({ model: provider("claude-sonnet"), prompt: "Stream AI SDK", maxRetries: 0 });
    let chunks = "";
    for await (const part of streamed.textStream) chunks += part;
    expect(chunks.length).toBeGreaterThan(0);
    expect(await streamed.text).toBe(chunks);

    // The fake upstream answers with a tool call when the body asks it to: a fetch that adds that
    // knob to the SDK's first request (not to the one carrying the tool's output).
    const knobFetch: typeof fetch = async (url, init) => {
      const body = JSON.parse(String(init?.body)) as { input: unknown[] };
      const answered = JSON.stringify(body.input).includes("function_call_output");
      return fetch(url, {
        ...init,
        body: JSON.stringify(answered ? body : { ...body, fake_tool_call: "get_weather" }),
      });
    };
    const toolProvider = createOpenAI({ baseURL: `${stack.app.url}/v1`, apiKey, fetch: knobFetch });
    let executed: unknown = null;
    const withTool = await generateText({
      model: toolProvider("deepseek-v3"),
      prompt: "Weather in Paris?",
      maxRetries: 0,
      tools: {
        get_weather: tool({
          description: "Weather in a city",
          inputSchema: jsonSchema<{ location: string }>({
            type: "object",
            properties: { location: { type: "string" } },
            required: ["location"],
          }),
          execute: async (input) => {
            executed = input;
            return "Sunny";
          },
        }),
      },
      stopWhen: stepCountIs(2),
      providerOptions: { openai: { strictJsonSchema: false } },
    });
    expect(executed).toEqual(expect.objectContaining({ location: expect.any(String) }));
    expect(withTool.steps.length).toBe(2);
    expect(withTool.text.length).toBeGreaterThan(0);
  });
});

// Unit tests for the fake OpenAI upstream. Run: npx vitest run --project unit e2e/fake-upstream
import { connect } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  FAKE_LEAKS,
  clearRequests,
  clearScenarios,
  getRequests,
  getScenarios,
  getStats,
  leakMarkers,
  resetFakeUpstream,
  setScenario,
  spawnFakeUpstream,
  waitForRequest,
} from "./client";
import { AnthropicStreamDecoder } from "../../lib/gateway/providers/anthropic/stream";
import { startFakeUpstream } from "./server.mjs";

type Srv = { url: string; baseUrl: string; port: number; close(): Promise<void> };
let srv: Srv;

beforeAll(async () => {
  srv = await startFakeUpstream({ port: 0 });
});
afterAll(async () => {
  await srv.close();
});
beforeEach(async () => {
  await resetFakeUpstream(srv.url);
});

const user = (content: unknown) => ({ model: "gpt-4o-mini", messages: [{ role: "user", content }] });

function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  key: string | null = "test-key",
  signal?: AbortSignal,
) {
  return fetch(`${srv.baseUrl}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal,
  });
}
const chat = (body: unknown, headers?: Record<string, string>, key?: string | null, signal?: AbortSignal) =>
  post("/chat/completions", body, headers, key, signal);

/** Minimal SSE reader: collects `data:` payloads; stops at stream end or a transport error. */
async function readSse(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const data: string[] = [];
  let error: unknown = null;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let sep;
      while ((sep = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, sep);
        buffer = buffer.slice(sep + 2);
        for (const line of event.split("\n")) if (line.startsWith("data: ")) data.push(line.slice(6));
      }
    }
  } catch (err) {
    error = err;
  }
  const chunks: any[] = [];
  const malformed: string[] = [];
  for (const d of data) {
    if (d === "[DONE]") continue;
    try {
      chunks.push(JSON.parse(d));
    } catch {
      malformed.push(d);
    }
  }
  const deltas = chunks.filter((c) => c.choices?.length).map((c) => c.choices[0].delta);
  const content = deltas.map((d) => d.content ?? "").join("");
  return { data, chunks, malformed, deltas, content, done: data.at(-1) === "[DONE]", error };
}

const lastRecord = async () => (await getRequests(srv.url)).at(-1)!;

describe("auth and robustness", () => {
  it("requires a bearer token", async () => {
    const res = await chat(user("hi"), {}, null);
    expect(res.status).toBe(401);
    expect((await res.json()).error.type).toBe("invalid_request_error");
  });

  it("rejects bad-key with the exact OpenAI invalid_api_key body", async () => {
    const res = await chat(user("hi"), {}, "bad-key");
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" },
    });
  });

  it("answers invalid JSON with a 400 envelope and keeps serving", async () => {
    const res = await chat("{not json");
    expect(res.status).toBe(400);
    expect((await res.json()).error.type).toBe("invalid_request_error");
    expect((await lastRecord()).rawBody).toBe("{not json");
    expect((await chat(user("still alive"))).status).toBe(200);
  });

  it("validates messages and model, 404s unknown routes", async () => {
    expect((await chat({ model: "m", messages: [] })).status).toBe(400);
    expect((await chat({ messages: [{ role: "user", content: "x" }] })).status).toBe(400);
    expect((await post("/completions", {})).status).toBe(404);
    expect((await fetch(`${srv.url}/chat/completions`, { method: "POST" })).status).toBe(404); // no /v1 prefix
  });

  it("lists models on GET /v1/models", async () => {
    const res = await fetch(`${srv.baseUrl}/models`, { headers: { authorization: "Bearer k" } });
    const body = await res.json();
    expect(body.object).toBe("list");
    expect(body.data.map((m: any) => m.id)).toContain("gpt-4o-mini");
  });
});

describe("non-streaming chat completions", () => {
  it("returns a full deterministic chat.completion", async () => {
    const res = await chat(user("hello world"));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "gpt-4o-mini",
      system_fingerprint: expect.any(String),
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Echo: hello world Echo: hello world Echo: hello", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      // prompt: 2 words + 3 per message; completion: default 8 words
      usage: { prompt_tokens: 5, completion_tokens: 8, total_tokens: 13 },
    });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(typeof body.created).toBe("number");
  });

  it("counts prompt tokens over all messages and text parts", async () => {
    const body = await (
      await chat({
        model: "m",
        messages: [
          { role: "system", content: "be brief" },
          {
            role: "user",
            content: [
              { type: "text", text: "one two" },
              { type: "image_url", image_url: { url: "x" } },
              { type: "text", text: "three" },
            ],
          },
        ],
      })
    ).json();
    expect(body.usage.prompt_tokens).toBe(2 + 3 + 3 + 3);
    expect(body.choices[0].message.content).toBe("Echo: one two three Echo: one two three");
  });

  it("chooses output length via header/body and caps with max_tokens", async () => {
    const viaHeader = await (await chat(user("a"), { "x-fake-output-tokens": "3" })).json();
    expect(viaHeader.choices[0].message.content).toBe("Echo: a Echo:");
    expect(viaHeader.usage.completion_tokens).toBe(3);

    const viaBody = await (await chat({ ...user("a"), fake_output_tokens: 5 })).json();
    expect(viaBody.usage.completion_tokens).toBe(5);
    expect(viaBody.choices[0].finish_reason).toBe("stop");

    const capped = await (await chat({ ...user("a"), fake_output_tokens: 50, max_tokens: 4 })).json();
    expect(capped.usage.completion_tokens).toBe(4);
    expect(capped.choices[0].finish_reason).toBe("length");

    const capped2 = await (await chat({ ...user("a"), max_completion_tokens: 2 })).json();
    expect(capped2.choices[0].message.content).toBe("Echo: a");
    expect(capped2.choices[0].finish_reason).toBe("length");

    const exact = await (await chat({ ...user("a"), fake_output_tokens: 4, max_tokens: 4 })).json();
    expect(exact.choices[0].finish_reason).toBe("stop");
  });

  it("returns n choices and sums completion tokens", async () => {
    const body = await (await chat({ ...user("x"), n: 3, fake_output_tokens: 2 })).json();
    expect(body.choices.map((c: any) => c.index)).toEqual([0, 1, 2]);
    expect(body.usage.completion_tokens).toBe(6);
    expect((await lastRecord()).tokensWritten).toBe(6);
  });

  const weatherTool = {
    type: "function",
    function: {
      name: "get_weather",
      parameters: { type: "object", properties: { location: { type: "string" }, days: { type: "integer" } } },
    },
  };

  it("answers with a tool call when tools are given and the user asks about weather", async () => {
    const body = await (await chat({ ...user("What is the weather in Paris?"), tools: [weatherTool] })).json();
    const choice = body.choices[0];
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls[0];
    expect(call).toMatchObject({ type: "function", function: { name: "get_weather" } });
    expect(call.id).toMatch(/^call_/);
    expect(JSON.parse(call.function.arguments)).toEqual({ location: "What is the weather in Paris?", days: 1 });
    // 1 token per 8 characters of arguments
    expect(body.usage.completion_tokens).toBe(Math.ceil(call.function.arguments.length / 8));
  });

  it("forces a tool call with x-fake-tool-call, and not without a trigger", async () => {
    const other = { type: "function", function: { name: "lookup", parameters: { type: "object", properties: {} } } };
    const forced = await (
      await chat({ ...user("hi"), tools: [weatherTool, other] }, { "x-fake-tool-call": "lookup" })
    ).json();
    expect(forced.choices[0].message.tool_calls[0].function).toEqual({ name: "lookup", arguments: "{}" });
    const plain = await (await chat({ ...user("hi"), tools: [weatherTool] })).json();
    expect(plain.choices[0].message.tool_calls).toBeUndefined();
    expect(plain.choices[0].finish_reason).toBe("stop");
  });

  it("returns a JSON object in json_object / json_schema mode with deterministic tokens", async () => {
    for (const type of ["json_object", "json_schema"]) {
      const body = await (await chat({ ...user('say "hi"'), response_format: { type }, fake_output_tokens: 3 })).json();
      expect(JSON.parse(body.choices[0].message.content)).toEqual({ echo: 'Echo: say "hi"' });
      expect(body.usage.completion_tokens).toBe(3);
    }
  });

  it("adds reasoning_content for reasoner models", async () => {
    const body = await (await chat({ ...user("q"), model: "deepseek-reasoner", fake_output_tokens: 2 })).json();
    expect(body.choices[0].message.reasoning_content).toBe("Thinking about the request.");
    expect(body.choices[0].message.content).toBe("Echo: q");
    expect(body.usage.completion_tokens).toBe(6);
    expect(body.usage.completion_tokens_details.reasoning_tokens).toBe(4);
  });
});

describe("streaming chat completions", () => {
  it("streams role chunk, one chunk per token, finish chunk, usage chunk and [DONE]", async () => {
    const res = await chat({
      ...user("hello world"),
      stream: true,
      stream_options: { include_usage: true },
      fake_output_tokens: 5,
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const s = await readSse(res);
    expect(s.done).toBe(true);
    expect(s.malformed).toEqual([]);
    expect(s.chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "" });
    const tokens = s.chunks.slice(1, 6).map((c) => c.choices[0].delta.content);
    expect(tokens).toEqual(["Echo:", " hello", " world", " Echo:", " hello"]);
    expect(s.chunks[6].choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    expect(s.chunks[7].choices).toEqual([]);
    expect(s.chunks[7].usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 });
    expect(s.chunks).toHaveLength(8);
    expect(s.chunks.every((c) => c.object === "chat.completion.chunk" && c.model === "gpt-4o-mini")).toBe(true);
    const rec = await lastRecord();
    expect(rec).toMatchObject({ stream: true, tokensWritten: 5, usageSent: true, closedEarly: false, status: 200 });
  });

  it("omits the usage chunk unless include_usage is true; honours max_tokens", async () => {
    const s = await readSse(await chat({ ...user("x"), stream: true, max_tokens: 3 }));
    expect(s.done).toBe(true);
    expect(s.chunks.some((c) => c.usage)).toBe(false);
    expect(s.content).toBe("Echo: x Echo:");
    expect(s.chunks.at(-1).choices[0].finish_reason).toBe("length");
    expect((await lastRecord()).usageSent).toBe(false);
  });

  it("streams n choices", async () => {
    const s = await readSse(
      await chat({ ...user("x"), stream: true, n: 2, fake_output_tokens: 2, stream_options: { include_usage: true } }),
    );
    const byChoice = [0, 1].map((i) =>
      s.chunks
        .filter((c) => c.choices[0]?.index === i)
        .map((c) => c.choices[0].delta.content ?? "")
        .join(""),
    );
    expect(byChoice).toEqual(["Echo: x", "Echo: x"]);
    expect(s.chunks.at(-1).usage.completion_tokens).toBe(4);
  });

  it("streams tool calls as header fragment plus argument pieces", async () => {
    const tools = [
      {
        type: "function",
        function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
      },
    ];
    const s = await readSse(
      await chat({ ...user("weather in Oslo"), tools, stream: true, stream_options: { include_usage: true } }),
    );
    const calls = s.deltas.filter((d) => d.tool_calls).map((d) => d.tool_calls[0]);
    expect(calls[0]).toMatchObject({ index: 0, type: "function", function: { name: "get_weather", arguments: "" } });
    expect(calls[0].id).toMatch(/^call_/);
    const args = calls.map((c) => c.function.arguments).join("");
    expect(JSON.parse(args)).toEqual({ city: "weather in Oslo" });
    expect(calls.slice(1).every((c) => c.function.arguments.length <= 8)).toBe(true);
    expect(s.chunks.at(-2).choices[0].finish_reason).toBe("tool_calls");
    expect(s.chunks.at(-1).usage.completion_tokens).toBe(calls.length - 1);
  });

  it("streams valid JSON in json mode and reasoning deltas for reasoners", async () => {
    const json = await readSse(await chat({ ...user("a b"), stream: true, response_format: { type: "json_object" } }));
    expect(JSON.parse(json.content)).toEqual({ echo: "Echo: a b Echo: a b Echo: a" });
    expect(json.deltas.filter((d) => d.content).length).toBe(8);

    const r = await readSse(await chat({ ...user("a"), model: "x-reasoner", stream: true, fake_output_tokens: 1 }));
    expect(r.deltas.map((d) => d.reasoning_content ?? "").join("")).toBe("Thinking about the request.");
    expect(r.content).toBe("Echo:");
  });

  it("delays between chunks (x-fake-chunk-delay-ms)", async () => {
    const t0 = Date.now();
    const s = await readSse(
      await chat({ ...user("x"), stream: true, fake_output_tokens: 4 }, { "x-fake-chunk-delay-ms": "30" }),
    );
    expect(s.done).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(4 * 30); // 4 tokens + finish chunk = 5 delays
  });

  it("stream stays consistent with non-stream content", async () => {
    const body = { ...user("The quick brown fox"), fake_output_tokens: 11 };
    const full = await (await chat(body)).json();
    const s = await readSse(await chat({ ...body, stream: true }));
    expect(s.content).toBe(full.choices[0].message.content);
  });
});

describe("faults", () => {
  it("status:<code> returns OpenAI-shaped errors", async () => {
    const r500 = await chat(user("x"), { "x-fake-fault": "status:500" });
    expect(r500.status).toBe(500);
    expect((await r500.json()).error).toMatchObject({ message: "fake upstream error", type: "server_error" });

    const r400 = await chat({ ...user("x"), fake_fault: "status:400" });
    expect(r400.status).toBe(400);
    expect((await r400.json()).error.type).toBe("invalid_request_error");

    const r429 = await chat(user("x"), { "x-fake-fault": "status:429" });
    expect(r429.status).toBe(429);
    expect(r429.headers.get("retry-after")).toBe("1");
    expect((await r429.json()).error.code).toBe("rate_limit_exceeded");

    const r429b = await chat(user("x"), { "x-fake-fault": "status:429:insufficient_quota;retry-after:7" });
    expect(r429b.headers.get("retry-after")).toBe("7");
    expect((await r429b.json()).error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota" });
  });

  it("rejects unknown fault specs with 400", async () => {
    const res = await chat(user("x"), { "x-fake-fault": "explode" });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("invalid_fake_fault");
  });

  it("hang: never answers and records when the client gave up", async () => {
    const ac = new AbortController();
    const pending = chat(user("x"), { "x-fake-fault": "hang" }, "k", ac.signal).catch((e) => e);
    await waitForRequest(srv.url, (r) => r.faults.includes("hang"));
    expect((await getStats(srv.url)).inFlight).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    const abortedAt = Date.now();
    ac.abort();
    expect(await pending).toBeInstanceOf(Error);
    const rec = await waitForRequest(srv.url, (r) => r.closedAt !== null);
    expect(rec.closedEarly).toBe(true);
    expect(rec.status).toBeNull();
    expect(rec.closedAt! - abortedAt).toBeLessThan(500);
    expect((await getStats(srv.url)).inFlight).toBe(0);
  });

  it("slow-first-byte delays headers", async () => {
    const t0 = Date.now();
    const res = await chat(user("x"), { "x-fake-fault": "slow-first-byte:150" });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(145);
    expect(res.status).toBe(200);
  });

  it("slow-chunks delays stream chunks", async () => {
    const t0 = Date.now();
    const s = await readSse(
      await chat({ ...user("x"), stream: true, fake_output_tokens: 3, fake_fault: "slow-chunks:40" }),
    );
    expect(s.done).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(4 * 40);
  });

  it("cut-after:<k> writes k tokens then destroys the socket", async () => {
    const s = await readSse(
      await chat({ ...user("x"), stream: true, stream_options: { include_usage: true }, fake_fault: "cut-after:3" }),
    );
    expect(s.error).toBeTruthy();
    expect(s.done).toBe(false);
    expect(s.deltas.filter((d) => d.content).length).toBe(3);
    expect(s.chunks.some((c) => c.usage || c.choices[0]?.finish_reason)).toBe(false);
    const rec = await waitForRequest(srv.url, (r) => r.cut);
    expect(rec).toMatchObject({ tokensWritten: 3, usageSent: false, closedEarly: false });

    await expect(chat(user("x"), { "x-fake-fault": "cut-after:0" })).rejects.toThrow(); // non-stream
  });

  it("no-usage / zero-usage / usage:<p>,<c>", async () => {
    const none = await (await chat(user("x"), { "x-fake-fault": "no-usage" })).json();
    expect(none.usage).toBeUndefined();
    const noneStream = await readSse(
      await chat({ ...user("x"), stream: true, stream_options: { include_usage: true }, fake_fault: "no-usage" }),
    );
    expect(noneStream.done).toBe(true);
    expect(noneStream.chunks.some((c) => c.usage)).toBe(false);
    expect((await lastRecord()).usageSent).toBe(false);

    const zero = await (await chat(user("x"), { "x-fake-fault": "zero-usage" })).json();
    expect(zero.usage).toMatchObject({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    expect(zero.choices[0].message.content).toBe("Echo: x Echo: x Echo: x Echo: x");

    const fixed = await readSse(
      await chat(
        { ...user("x"), stream: true, stream_options: { include_usage: true } },
        { "x-fake-fault": "usage:1000,250" },
      ),
    );
    expect(fixed.chunks.at(-1).usage).toMatchObject({
      prompt_tokens: 1000,
      completion_tokens: 250,
      total_tokens: 1250,
    });
    expect(fixed.content).toBe("Echo: x Echo: x Echo: x Echo: x");
    expect((await lastRecord()).usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 250 });
  });

  it("one-write sends a chat stream's headers and all its events in one write", async () => {
    const { port } = new URL(srv.baseUrl);
    const body = JSON.stringify({ ...user("x"), stream: true, fake_output_tokens: 3, fake_fault: "one-write" });
    const reads = await new Promise<string[]>((resolve, reject) => {
      const got: string[] = [];
      const socket = connect(Number(port), "127.0.0.1", () =>
        socket.write(
          `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\ncontent-type: application/json\r\n` +
            `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        ),
      );
      socket.on("data", (d) => got.push(d.toString()));
      socket.on("end", () => resolve(got));
      socket.on("error", reject);
    });
    expect(reads[0]).toMatch(/^HTTP\/1\.1 200/);
    expect(reads[0]).toContain("data: [DONE]");
  });

  it("malformed-sse injects a garbage data line among valid chunks", async () => {
    const s = await readSse(await chat({ ...user("x"), stream: true, fake_fault: "malformed-sse" }));
    expect(s.malformed).toEqual(["{not json"]);
    expect(s.done).toBe(true);
    expect(s.content).toBe("Echo: x Echo: x Echo: x Echo: x");
  });

  it("combines several faults with ';'", async () => {
    const t0 = Date.now();
    const res = await chat(user("x"), { "x-fake-fault": "slow-first-byte:60;status:503" });
    expect(res.status).toBe(503);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it("client abort mid-stream is recorded with tokensWritten so far", async () => {
    const ac = new AbortController();
    const res = await chat(
      { ...user("x"), stream: true, fake_output_tokens: 50, fake_fault: "slow-chunks:20" },
      {},
      "k",
      ac.signal,
    );
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    ac.abort();
    const rec = await waitForRequest(srv.url, (r) => r.closedEarly);
    expect(rec.tokensWritten).toBeGreaterThan(0);
    expect(rec.tokensWritten).toBeLessThan(50);
    await new Promise((r) => setTimeout(r, 60));
    expect((await lastRecord()).tokensWritten).toBe(rec.tokensWritten); // stopped writing
  });
});

describe("provider faults for gateway hardening", () => {
  const channelKey = "sk-chan-leaky-0123456789abcdef";
  const markers = leakMarkers(channelKey);
  const streamBody = { ...user("x"), stream: true, stream_options: { include_usage: true } };

  /** Asserts every leak marker is in the text (so a gateway test asserting their absence is meaningful). */
  const expectAllLeaks = (text: string) => {
    for (const m of markers) expect(text).toContain(m);
  };

  it("leakMarkers: the shared identifiers plus the key's last 8 characters", () => {
    expect(markers).toEqual([...Object.values(FAKE_LEAKS), "89abcdef"]);
    expect(FAKE_LEAKS.orgId).toMatch(/^org-Zx81/);
    expect(FAKE_LEAKS.accountId).toMatch(/^acct_7Hq/);
    expect(FAKE_LEAKS.billingUrl).toBe(`https://${FAKE_LEAKS.host}/v1/billing?account=${FAKE_LEAKS.accountId}`);
  });

  const leakyCases: [number, string | null, string | null, RegExp][] = [
    [400, "invalid_request_error", null, /^Invalid value for 'messages'/],
    [401, "invalid_request_error", "invalid_api_key", /^Incorrect API key provided: sk-chan-leaky-0123456789abcdef\./],
    [402, "insufficient_quota", "insufficient_balance", /^Insufficient balance/],
    [403, "request_forbidden", "unsupported_country_region_territory", /suspended.*region/],
    [
      404,
      "invalid_request_error",
      "model_not_found",
      /^The model `gpt-4o-mini` does not exist or you do not have access to it\./,
    ],
    [422, "invalid_request_error", null, /rejected by api\.fake-provider\.example \(HTTP 422\)/],
    [429, "tokens", "rate_limit_exceeded", /^Rate limit reached for gpt-4o-mini in organization org-/],
    [500, "server_error", null, /^The server had an error/],
    [502, "server_error", null, /^Bad gateway/],
    [503, "server_error", null, /^The server is overloaded or not ready yet\./],
  ];

  it.each(leakyCases)(
    "leaky:%i answers provider wording full of identifiers (stream and not)",
    async (status, type, code, wording) => {
      for (const body of [user("x"), streamBody]) {
        const res = await chat(body, { "x-fake-fault": `leaky:${status}` }, channelKey);
        expect(res.status).toBe(status);
        expect(res.headers.get("content-type")).toBe("application/json");
        expect(res.headers.get("openai-organization")).toBe(FAKE_LEAKS.orgId);
        expect(res.headers.get("server")).toBe(FAKE_LEAKS.internalHost);
        expect(res.headers.get("retry-after")).toBe(status === 429 ? "1" : null);
        const text = await res.text();
        expectAllLeaks(text);
        const { error } = JSON.parse(text);
        expect(error).toMatchObject({ type, code });
        expect(error.message).toMatch(wording);
        expectAllLeaks(error.message); // the message alone leaks everything, not just the envelope
      }
    },
  );

  it("leaky:429:insufficient_quota, retry-after, scenarios, embeddings and bad specs", async () => {
    const quota = await chat(user("x"), { "x-fake-fault": "leaky:429:insufficient_quota;retry-after:9" }, channelKey);
    expect(quota.headers.get("retry-after")).toBe("9");
    const { error } = await quota.json();
    expect(error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota" });
    expect(error.message).toMatch(/^You exceeded your current quota/);

    await setScenario(srv.url, { match: { apiKey: channelKey }, fault: "leaky:503", times: 1 });
    const viaScenario = await post("/embeddings", { model: "e", input: "x" }, {}, channelKey);
    expect(viaScenario.status).toBe(503);
    expectAllLeaks(await viaScenario.text());
    expect((await post("/embeddings", { model: "e", input: "x" }, {}, channelKey)).status).toBe(200);

    for (const bad of ["leaky", "leaky:200", "leaky:abc", "leaky:600"]) {
      const res = await chat(user("x"), { "x-fake-fault": bad });
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe("invalid_fake_fault");
    }
  });

  it("the first error fault wins: header status beats a leaky scenario and vice versa", async () => {
    await setScenario(srv.url, { fault: "leaky:402" });
    expect((await chat(user("x"), { "x-fake-fault": "status:418" })).status).toBe(418);
    expect((await chat(user("x"), { "x-fake-fault": "leaky:404;status:500" })).status).toBe(404);
    expect((await chat(user("x"))).status).toBe(402);
  });

  it("context-length is OpenAI's context_length_exceeded 400 with leaky details (stream and not)", async () => {
    for (const body of [user("x"), streamBody]) {
      const res = await chat({ ...body, fake_fault: "context-length" }, {}, channelKey);
      expect(res.status).toBe(400);
      const { error } = await res.json();
      expect(error).toMatchObject({
        type: "invalid_request_error",
        param: "messages",
        code: "context_length_exceeded",
      });
      expect(error.message).toMatch(
        /^This model's maximum context length is 128000 tokens\. However, your messages resulted in 130000 tokens\./,
      );
      expectAllLeaks(error.message);
    }
    expect((await lastRecord()).status).toBe(400);
  });

  it("content-filter answers the content-policy 400 of each provider family", async () => {
    const expected: Record<string, object> = {
      "content-filter": { type: "invalid_request_error", code: "content_policy_violation" },
      "content-filter:openai": { type: "invalid_request_error", code: "content_policy_violation" },
      "content-filter:azure": {
        type: null,
        param: "prompt",
        code: "content_filter",
        innererror: { code: "ResponsibleAIPolicyViolation", content_filter_result: { violence: { filtered: true } } },
      },
      "content-filter:dashscope": { type: "data_inspection_failed", code: "data_inspection_failed" },
      "content-filter:moonshot": { type: "content_filter" },
    };
    for (const [fault, shape] of Object.entries(expected)) {
      for (const body of [user("x"), streamBody]) {
        const res = await chat(body, { "x-fake-fault": fault }, channelKey);
        expect(res.status).toBe(400);
        const { error } = await res.json();
        expect(error).toMatchObject(shape);
        expect(error.message).toContain(FAKE_LEAKS.accountId);
        expectAllLeaks(error.message);
      }
    }
    const bad = await chat(user("x"), { "x-fake-fault": "content-filter:acme" });
    expect((await bad.json()).error.code).toBe("invalid_fake_fault");
  });

  it("redirect:<code> answers an empty redirect to the metadata address, or to a given URL", async () => {
    const manual = (body: unknown, fault: string) =>
      fetch(`${srv.baseUrl}/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer k", "x-fake-fault": fault },
        body: JSON.stringify(body),
        redirect: "manual", // never follow to 169.254.169.254 from a test
      });
    for (const code of [301, 302, 303, 307, 308]) {
      for (const body of [user("x"), streamBody]) {
        const res = await manual(body, `redirect:${code}`);
        expect(res.status).toBe(code);
        expect(res.headers.get("location")).toBe("http://169.254.169.254/latest/meta-data/");
        expect(await res.text()).toBe("");
      }
    }
    const to = await manual(user("x"), "redirect:307:to=http://10.0.0.1:8080/admin?x=1");
    expect(to.headers.get("location")).toBe("http://10.0.0.1:8080/admin?x=1");
    const bare = await manual(user("x"), "redirect:308:http://[::1]:9/");
    expect(bare.headers.get("location")).toBe("http://[::1]:9/");
    expect((await lastRecord()).status).toBe(308);

    for (const bad of ["redirect", "redirect:200", "redirect:302:not a url"]) {
      const res = await chat(user("x"), { "x-fake-fault": bad });
      expect((await res.json()).error.code).toBe("invalid_fake_fault");
    }
  });

  it("honour:max_tokens ignores max_completion_tokens (DeepSeek-style); default honours both", async () => {
    const honour = { "x-fake-fault": "honour:max_tokens", "x-fake-output-tokens": "12" };
    const uncapped = await (await chat({ ...user("a"), max_completion_tokens: 3 }, honour)).json();
    expect(uncapped.usage.completion_tokens).toBe(12);
    expect(uncapped.choices[0].finish_reason).toBe("stop");
    const rec = await lastRecord();
    expect(rec.body.max_completion_tokens).toBe(3); // the cap fields sent are visible in the record
    expect(rec.body.max_tokens).toBeUndefined();

    const s = await readSse(await chat({ ...streamBody, max_completion_tokens: 3 }, honour));
    expect(s.content.split(" ")).toHaveLength(12);
    expect(s.chunks.at(-1).usage.completion_tokens).toBe(12);

    const both = await (await chat({ ...user("a"), max_completion_tokens: 2, max_tokens: 5 }, honour)).json();
    expect(both.usage.completion_tokens).toBe(5);
    expect(both.choices[0].finish_reason).toBe("length");
    const bothStream = await readSse(await chat({ ...streamBody, max_completion_tokens: 2, max_tokens: 5 }, honour));
    expect(bothStream.content).toBe("Echo: x Echo: x Echo:");

    // Same fault via the British and American spelling, and as a scenario.
    await setScenario(srv.url, { fault: "honor:max_tokens" });
    const viaScenario = await (await chat({ ...user("a"), max_completion_tokens: 1, fake_output_tokens: 4 })).json();
    expect(viaScenario.usage.completion_tokens).toBe(4);
    await clearScenarios(srv.url);

    const byDefault = await (
      await chat({ ...user("a"), max_completion_tokens: 2, max_tokens: 5 }, { "x-fake-output-tokens": "12" })
    ).json();
    expect(byDefault.usage.completion_tokens).toBe(2);
  });

  it("honour:max_completion_tokens refuses max_tokens like OpenAI o-series and caps with max_completion_tokens", async () => {
    const refusal = {
      error: {
        message:
          "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        type: "invalid_request_error",
        param: "max_tokens",
        code: "unsupported_parameter",
      },
    };
    const fault = "honour:max_completion_tokens";
    for (const body of [user("a"), streamBody]) {
      for (const caps of [{ max_tokens: 5 }, { max_tokens: 5, max_completion_tokens: 5 }]) {
        const res = await chat({ ...body, ...caps, fake_fault: fault });
        expect(res.status).toBe(400);
        expect(await res.json()).toEqual(refusal);
      }
    }
    const capped = await (await chat({ ...user("a"), max_completion_tokens: 2, fake_fault: fault })).json();
    expect(capped.choices[0]).toMatchObject({ message: { content: "Echo: a" }, finish_reason: "length" });
    const s = await readSse(await chat({ ...streamBody, max_completion_tokens: 2, fake_fault: fault }));
    expect(s.content).toBe("Echo: x");
    expect(s.chunks.at(-1).usage.completion_tokens).toBe(2);

    const bad = await chat(user("x"), { "x-fake-fault": "honour:max_output_tokens" });
    expect((await bad.json()).error.code).toBe("invalid_fake_fault");
  });

  it("slow-first-byte copes with minutes: no headers meanwhile, clean end when the client leaves", async () => {
    for (const body of [user("x"), streamBody]) {
      await resetFakeUpstream(srv.url);
      const ac = new AbortController();
      const pending = chat(body, { "x-fake-fault": "slow-first-byte:600000" }, "k", ac.signal).catch((e) => e);
      await waitForRequest(srv.url, (r) => r.faults.includes("slow-first-byte:600000"));
      const early = await Promise.race([pending, new Promise((r) => setTimeout(() => r("waiting"), 150))]);
      expect(early).toBe("waiting"); // no headers yet
      expect((await getStats(srv.url)).inFlight).toBe(1);
      const abortedAt = Date.now();
      ac.abort();
      expect(await pending).toBeInstanceOf(Error);
      const rec = await waitForRequest(srv.url, (r) => r.closedAt !== null);
      expect(rec).toMatchObject({ closedEarly: true, status: null, tokensWritten: 0, finishedAt: null });
      expect(rec.closedAt! - abortedAt).toBeLessThan(500);
      expect((await getStats(srv.url)).inFlight).toBe(0);
    }
  });

  it("usage:<p>,<c> reports billing beyond max_tokens while the text respects the cap (stream and not)", async () => {
    const fault = { "x-fake-fault": "usage:9,500" };
    const body = await (await chat({ ...user("a"), max_tokens: 3 }, fault)).json();
    expect(body.choices[0]).toMatchObject({ message: { content: "Echo: a Echo:" }, finish_reason: "length" });
    expect(body.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 500, total_tokens: 509 });
    expect(await lastRecord()).toMatchObject({ tokensWritten: 3, usage: { completion_tokens: 500 } });

    const s = await readSse(await chat({ ...streamBody, max_completion_tokens: 3 }, fault));
    expect(s.done).toBe(true);
    expect(s.content).toBe("Echo: x Echo:");
    expect(s.chunks.at(-2).choices[0].finish_reason).toBe("length");
    expect(s.chunks.at(-1).usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 500, total_tokens: 509 });
    expect(await lastRecord()).toMatchObject({ tokensWritten: 3, usageSent: true, usage: { completion_tokens: 500 } });
  });

  it("stream-error:<k> sends k tokens then a leaky SSE error event and ends without [DONE]", async () => {
    const s = await readSse(await chat({ ...streamBody, fake_fault: "stream-error:2" }, {}, channelKey));
    expect(s.error).toBeNull(); // the body ends cleanly, unlike cut-after
    expect(s.done).toBe(false);
    expect(s.content).toBe("Echo: x");
    const last = s.chunks.at(-1);
    expect(last.error).toMatchObject({ type: "server_error" });
    expectAllLeaks(last.error.message);
    expect(s.chunks.some((c) => c.usage || c.choices?.[0]?.finish_reason)).toBe(false);
    expect(await lastRecord()).toMatchObject({ status: 200, tokensWritten: 2, usageSent: false, closedEarly: false });

    const beyond = await readSse(await chat({ ...streamBody, fake_output_tokens: 2, fake_fault: "stream-error:9" }));
    expect(beyond.content).toBe("Echo: x");
    expect(beyond.chunks.at(-1).error).toBeDefined();

    const plain = await chat({ ...user("x"), fake_fault: "stream-error:2" }, {}, channelKey);
    expect(plain.status).toBe(500);
    expectAllLeaks(await plain.text());

    // The official SDK recognises the event as an error (so a gateway sees it the same way).
    const sdk = new OpenAI({ apiKey: channelKey, baseURL: srv.baseUrl, maxRetries: 0 });
    const stream = await sdk.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "x" }],
      stream: true,
      fake_fault: "stream-error:1",
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    const consume = async () => {
      for await (const chunk of stream) void chunk;
    };
    await expect(consume()).rejects.toThrow(FAKE_LEAKS.orgId);
  });
});

describe("control API scenarios", () => {
  it("matches by apiKey so channels pointed at the same server behave differently", async () => {
    await setScenario(srv.url, { match: { apiKey: "chan-a" }, fault: "status:500" });
    expect((await chat(user("x"), {}, "chan-a")).status).toBe(500);
    expect((await chat(user("x"), {}, "chan-b")).status).toBe(200);
  });

  it("matches by model, honours times, first match wins", async () => {
    const s1 = await setScenario(srv.url, { match: { model: "gpt-4o" }, fault: "status:429", times: 2 });
    await setScenario(srv.url, { match: { model: "gpt-4o" }, fault: "status:502" });
    expect(s1.remaining).toBe(2);
    const m = { model: "gpt-4o", messages: [{ role: "user", content: "x" }] };
    expect((await chat(m)).status).toBe(429);
    expect((await chat(m)).status).toBe(429);
    expect((await chat(m)).status).toBe(502); // first scenario used up
    expect((await chat(user("x"))).status).toBe(200); // other model
    expect((await getScenarios(srv.url)).map((s) => s.fault)).toEqual(["status:502"]);
    const recs = await getRequests(srv.url, { model: "gpt-4o" });
    expect(recs.map((r) => r.scenarioId)).toEqual([s1.id, s1.id, expect.any(Number)]);
  });

  it("per-request faults take precedence; DELETE clears scenarios; invalid scenarios are rejected", async () => {
    await setScenario(srv.url, { fault: "status:500" });
    expect((await chat(user("x"), { "x-fake-fault": "status:418" })).status).toBe(418);
    await clearScenarios(srv.url);
    expect((await chat(user("x"))).status).toBe(200);
    await expect(setScenario(srv.url, { fault: "nonsense" })).rejects.toThrow(/400/);
    await expect(setScenario(srv.url, { fault: "status:500", times: 0 })).rejects.toThrow(/400/);
  });

  it("scenario faults apply to embeddings and streams too", async () => {
    await setScenario(srv.url, { match: { apiKey: "k2" }, fault: "usage:7,0" });
    const e = await (await post("/embeddings", { model: "e", input: "a b c" }, {}, "k2")).json();
    expect(e.usage).toEqual({ prompt_tokens: 7, total_tokens: 7 });
    await setScenario(srv.url, { match: { apiKey: "k3" }, fault: "cut-after:1" });
    const s = await readSse(await chat({ ...user("x"), stream: true }, {}, "k3"));
    expect(s.error).toBeTruthy();
  });
});

describe("recording and stats", () => {
  it("records requests with lower-cased headers, parsed body and filters", async () => {
    await chat({ ...user("one"), fake_output_tokens: 2 }, { "X-Custom-Header": "v" }, "chan-a");
    await chat({ model: "other", messages: [{ role: "user", content: "two" }] }, {}, "chan-b");
    const all = await getRequests(srv.url);
    expect(all).toHaveLength(2);
    expect(all[0]).toMatchObject({
      method: "POST",
      path: "/v1/chat/completions",
      apiKey: "chan-a",
      model: "gpt-4o-mini",
      status: 200,
      tokensWritten: 2,
      usageSent: true,
      closedEarly: false,
      closedAt: null,
      body: { messages: [{ role: "user", content: "one" }] },
    });
    expect(all[0].headers["x-custom-header"]).toBe("v");
    expect(all[0].headers.authorization).toBe("Bearer chan-a");
    expect(all[0].receivedAt).toBeLessThanOrEqual(all[0].finishedAt!);
    expect(await getRequests(srv.url, { model: "other" })).toHaveLength(1);
    expect(await getRequests(srv.url, { apiKey: "chan-a" })).toHaveLength(1);
    await clearRequests(srv.url);
    expect(await getRequests(srv.url)).toEqual([]);
  });

  it("reports stats", async () => {
    await chat(user("x"), {}, "a");
    await chat(user("x"), {}, "a");
    await post("/embeddings", { model: "emb", input: "x" }, {}, "b");
    const stats = await getStats(srv.url);
    expect(stats).toMatchObject({
      total: 3,
      byPath: { "/v1/chat/completions": 2, "/v1/embeddings": 1 },
      byModel: { "gpt-4o-mini": 2, emb: 1 },
      byApiKey: { a: 2, b: 1 },
      inFlight: 0,
    });
    expect(stats.open).toBeGreaterThanOrEqual(1); // our keep-alive connection(s)
  });
});

describe("embeddings", () => {
  it("returns deterministic unit vectors for string and string[] input", async () => {
    const one = await (await post("/embeddings", { model: "text-embedding-3-small", input: "hello there" })).json();
    expect(one).toMatchObject({
      object: "list",
      model: "text-embedding-3-small",
      usage: { prompt_tokens: 2, total_tokens: 2 },
    });
    expect(one.data[0]).toMatchObject({ object: "embedding", index: 0 });
    expect(one.data[0].embedding).toHaveLength(8);
    const norm = Math.hypot(...one.data[0].embedding);
    expect(norm).toBeCloseTo(1, 5);

    const many = await (await post("/embeddings", { model: "e", input: ["hello there", "x"] })).json();
    expect(many.data.map((d: any) => d.index)).toEqual([0, 1]);
    expect(many.data[0].embedding).toEqual(one.data[0].embedding);
    expect(many.data[1].embedding).not.toEqual(one.data[0].embedding);
    expect(many.usage.prompt_tokens).toBe(3);

    const wide = await (await post("/embeddings", { model: "e", input: "x", dimensions: 40 })).json();
    expect(wide.data[0].embedding).toHaveLength(40);
  });

  it("supports encoding_format base64 (little-endian float32)", async () => {
    const floats = await (await post("/embeddings", { model: "e", input: "abc" })).json();
    const b64 = await (await post("/embeddings", { model: "e", input: "abc", encoding_format: "base64" })).json();
    const buf = Buffer.from(b64.data[0].embedding, "base64");
    const decoded = Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(i * 4));
    expect(decoded).toEqual(floats.data[0].embedding);
  });

  it("rejects bad input", async () => {
    expect((await post("/embeddings", { model: "e", input: 42 })).status).toBe(400);
    expect((await post("/embeddings", { model: "e" })).status).toBe(400);
  });
});

describe("official openai SDK compatibility", () => {
  const sdk = () => new OpenAI({ apiKey: "sk-test", baseURL: srv.baseUrl, maxRetries: 0 });

  it("non-stream, stream with usage, and embeddings (SDK default base64)", async () => {
    const client = sdk();
    const c = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(c.choices[0].message.content).toBe("Echo: hi Echo: hi Echo: hi Echo: hi");

    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: any = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(c.choices[0].message.content);
    expect(usage).toMatchObject({ completion_tokens: 8, prompt_tokens: 4 });

    const e = await client.embeddings.create({ model: "text-embedding-3-small", input: "abc" });
    const floats = await (await post("/embeddings", { model: "e", input: "abc" })).json();
    expect(e.data[0].embedding).toEqual(floats.data[0].embedding);
    expect((await lastRecord()).path).toBe("/v1/embeddings");
  });

  it("maps errors to SDK error classes", async () => {
    const bad = new OpenAI({ apiKey: "bad-key", baseURL: srv.baseUrl, maxRetries: 0 });
    await expect(
      bad.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await setScenario(srv.url, { fault: "status:429" });
    await expect(
      sdk().chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });
});

describe("lifecycle", () => {
  it("close() tears down open and hanging connections", async () => {
    const other: Srv = await startFakeUpstream({});
    const pending = fetch(`${other.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer k", "x-fake-fault": "hang" },
      body: JSON.stringify(user("x")),
    }).catch((e) => e);
    await waitForRequest(other.url, () => true);
    const t0 = Date.now();
    await other.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it("keeps at most maxRecords requests while stats keep counting", async () => {
    const small: Srv = await startFakeUpstream({ maxRecords: 2 });
    try {
      for (const content of ["a", "b", "c"]) {
        await fetch(`${small.baseUrl}/chat/completions`, {
          method: "POST",
          headers: { authorization: "Bearer k" },
          body: JSON.stringify(user(content)),
        });
      }
      const recs = await getRequests(small.url);
      expect(recs.map((r) => r.body.messages[0].content)).toEqual(["b", "c"]);
      expect((await getStats(small.url)).total).toBe(3);
    } finally {
      await small.close();
    }
  });

  it("spawnFakeUpstream runs the CLI and stop() ends it", async () => {
    const child = await spawnFakeUpstream();
    try {
      expect(child.port).toBeGreaterThan(0);
      expect(child.baseUrl).toBe(`http://127.0.0.1:${child.port}/v1`);
      const res = await fetch(`${child.baseUrl}/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer k" },
        body: JSON.stringify(user("spawned")),
      });
      expect((await res.json()).choices[0].message.content).toMatch(/^Echo: spawned/);
      expect((await getRequests(child.baseUrl)).length).toBe(1); // helpers accept the /v1 base URL too
    } finally {
      await child.stop();
    }
    await expect(fetch(`${child.url}/health`)).rejects.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------
// Anthropic Messages API
// ---------------------------------------------------------------------------------------------

const claude = (content: unknown, extra: Record<string, unknown> = {}) => ({
  model: "claude-sonnet-4",
  max_tokens: 1024,
  messages: [{ role: "user", content }],
  ...extra,
});

function anthropicPost(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  key: string | null = "test-key",
  signal?: AbortSignal,
) {
  return fetch(`${srv.baseUrl}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
      ...(key === null ? {} : { "x-api-key": key }),
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal,
  });
}
const messages = (body: unknown, headers?: Record<string, string>, key?: string | null) =>
  anthropicPost("/messages", body, headers, key);

/** Reads an Anthropic SSE body: the events in order, each with its `event:` name and parsed `data:`. */
async function readAnthropicSse(res: Response) {
  let text = "";
  let error: unknown = null;
  try {
    text = await res.text();
  } catch (err) {
    error = err;
  }
  const events = text
    .split("\n\n")
    .filter((block) => block.length > 0)
    .map((block) => {
      const lines = block.split("\n");
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
      const raw = lines.find((l) => l.startsWith("data: "))?.slice(6) ?? "";
      let data: any;
      try {
        data = JSON.parse(raw);
      } catch {
        data = undefined;
      }
      return { event, data, raw };
    });
  const deltas = events.filter((e) => e.event === "content_block_delta").map((e) => e.data.delta);
  const text_ = deltas
    .filter((d) => d.type === "text_delta")
    .map((d) => d.text)
    .join("");
  return { text, events, names: events.map((e) => e.event), deltas, content: text_, error };
}

describe("Anthropic Messages API: auth and validation", () => {
  it("authenticates with x-api-key, not a bearer token", async () => {
    const missing = await messages(claude("hi"), { authorization: "Bearer test-key" }, null);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({
      type: "error",
      error: { type: "authentication_error", message: "x-api-key header is required" },
    });
    const bad = await messages(claude("hi"), {}, "bad-key");
    expect(bad.status).toBe(401);
    expect((await bad.json()).error).toEqual({ type: "authentication_error", message: "invalid x-api-key" });
    expect((await messages(claude("hi"))).status).toBe(200);
  });

  it("requires the anthropic-version header, max_tokens, model and messages", async () => {
    const noVersion = await fetch(`${srv.baseUrl}/messages`, {
      method: "POST",
      headers: { "x-api-key": "k", "content-type": "application/json" },
      body: JSON.stringify(claude("hi")),
    });
    expect(noVersion.status).toBe(400);
    expect((await noVersion.json()).error).toEqual({
      type: "invalid_request_error",
      message: "anthropic-version: header is required",
    });
    const { max_tokens: _omitted, ...noMax } = claude("hi");
    void _omitted;
    const refused = async (body: unknown) => {
      const res = await messages(body);
      expect(res.status).toBe(400);
      const json = await res.json();
      expect(json.error.type).toBe("invalid_request_error");
      return json.error.message as string;
    };
    expect(await refused(noMax)).toBe("max_tokens: Field required");
    expect(await refused(claude("hi", { max_tokens: 0 }))).toMatch(/max_tokens/);
    expect(await refused(claude("hi", { model: undefined }))).toBe("model: Field required");
    expect(await refused(claude("hi", { messages: [] }))).toMatch(/at least one message/);
    expect(await refused("{not json")).toMatch(/JSON/);
    expect(await refused(claude("hi", { thinking: { type: "enabled", budget_tokens: 100 } }))).toMatch(/1024/);
    const notFound = await anthropicPost("/messages/batches", claude("hi"));
    expect(notFound.status).toBe(404);
    expect((await notFound.json()).error.type).toBe("not_found_error");
  });
});

describe("Anthropic Messages API: answers", () => {
  it("answers a deterministic Message with usage counted like chat (system as one more message)", async () => {
    const res = await messages(claude("hello world", { system: "Be brief please" }));
    expect(res.status).toBe(200);
    const json = await res.json();
    expect(json).toEqual({
      id: expect.stringMatching(/^msg_/),
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4",
      content: [{ type: "text", text: "Echo: hello world Echo: hello world Echo: hello" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      // (2 words + 3) for the message + (3 words + 3) for the system prompt
      usage: { input_tokens: 11, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 8 },
    });
    const rec = await lastRecord();
    expect(rec).toMatchObject({
      path: "/v1/messages",
      apiKey: "test-key",
      model: "claude-sonnet-4",
      status: 200,
      tokensWritten: 8,
      usageSent: true,
      usage: json.usage,
      body: { system: "Be brief please", max_tokens: 1024 },
    });
    expect(rec.headers["x-api-key"]).toBe("test-key");
    expect(rec.headers["anthropic-version"]).toBe("2023-06-01");
    expect(await getRequests(srv.url, { apiKey: "test-key", path: "/v1/messages" })).toHaveLength(1);
  });

  it("counts text blocks and system blocks; caps with max_tokens (stop_reason max_tokens)", async () => {
    const json = await (
      await messages({
        ...claude([
          { type: "text", text: "a b" },
          { type: "image", source: { type: "url", url: "https://x" } },
        ]),
        system: [{ type: "text", text: "one two" }],
        max_tokens: 3,
        fake_output_tokens: 5,
      })
    ).json();
    expect(json.content[0].text).toBe("Echo: a b");
    expect(json.stop_reason).toBe("max_tokens");
    expect(json.usage).toMatchObject({ input_tokens: 5 + 5, output_tokens: 3 });
    const exact = await (await messages(claude("x", { max_tokens: 3 }), { "x-fake-output-tokens": "3" })).json();
    expect(exact.stop_reason).toBe("end_turn");
  });

  it("reports cache reads and writes with x-fake-cache / fake_cache, input_tokens the uncached rest", async () => {
    const body = claude("one two three four five six seven"); // 7 + 3 = 10 input tokens
    const header = await (await messages(body, { "x-fake-cache": "6,2" })).json();
    expect(header.usage).toEqual({
      input_tokens: 2,
      cache_read_input_tokens: 6,
      cache_creation_input_tokens: 2,
      output_tokens: 8,
    });
    const field = await (await messages({ ...body, fake_cache: "0,10" })).json();
    expect(field.usage).toMatchObject({ input_tokens: 0, cache_creation_input_tokens: 10, cache_read_input_tokens: 0 });
    const bad = await messages(body, { "x-fake-cache": "lots" });
    expect(bad.status).toBe(400);
  });

  it("answers a tool_use block when asked (header, tool_choice any/tool, or the weather word)", async () => {
    const tools = [
      {
        name: "get_weather",
        description: "Get the current weather",
        input_schema: { type: "object", properties: { location: { type: "string" } }, required: ["location"] },
      },
      { name: "get_time", input_schema: { type: "object", properties: { timezone: { enum: ["UTC", "CET"] } } } },
    ];
    const forced = await (await messages(claude("Paris", { tools }), { "x-fake-tool-call": "get_weather" })).json();
    expect(forced.stop_reason).toBe("tool_use");
    expect(forced.content).toEqual([
      { type: "tool_use", id: expect.stringMatching(/^toolu_/), name: "get_weather", input: { location: "Paris" } },
    ]);
    expect(forced.usage.output_tokens).toBe(Math.ceil('{"location":"Paris"}'.length / 8));
    const named = await (
      await messages(claude("x", { tools, tool_choice: { type: "tool", name: "get_time" } }))
    ).json();
    expect(named.content[0]).toMatchObject({ name: "get_time", input: { timezone: "UTC" } });
    const any = await (await messages(claude("x", { tools, tool_choice: { type: "any" } }))).json();
    expect(any.content[0].name).toBe("get_weather");
    const weather = await (await messages(claude("what is the weather in Oslo?", { tools }))).json();
    expect(weather.content[0].type).toBe("tool_use");
    const none = await (await messages(claude("weather?", { tools, tool_choice: { type: "none" } }))).json();
    expect(none.content[0].type).toBe("text");
    // After a tool_result the last user turn has no text: no new call unless forced.
    const result = await (
      await messages({
        ...claude("weather in Oslo?", { tools }),
        messages: [
          { role: "user", content: "weather in Oslo?" },
          { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: {} }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "12°C" }] },
        ],
      })
    ).json();
    expect(result.stop_reason).toBe("end_turn");
  });

  it("puts a signed thinking block first when thinking is enabled", async () => {
    const json = await (
      await messages(claude("x", { max_tokens: 2000, thinking: { type: "enabled", budget_tokens: 1024 } }))
    ).json();
    expect(json.content).toEqual([
      { type: "thinking", thinking: "Thinking about the request.", signature: expect.any(String) },
      { type: "text", text: "Echo: x Echo: x Echo: x Echo: x" },
    ]);
    expect(json.content[0].signature.length).toBeGreaterThan(20);
    expect(json.usage.output_tokens).toBe(12);
  });

  it("count_tokens answers the input tokens /v1/messages would bill, without max_tokens", async () => {
    const body = { model: "claude-sonnet-4", system: "sys", messages: [{ role: "user", content: "a b c" }] };
    const res = await anthropicPost("/messages/count_tokens", body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ input_tokens: 10 });
    expect((await lastRecord()).path).toBe("/v1/messages/count_tokens");
    expect((await anthropicPost("/messages/count_tokens", body, { "anthropic-version": "" })).status).toBe(400);
  });
});

describe("Anthropic Messages API: streaming", () => {
  it("sends Anthropic's exact event sequence, with one ping, consistent with the non-stream answer", async () => {
    const body = claude("hello world", { fake_output_tokens: 3 });
    const s = await readAnthropicSse(await messages({ ...body, stream: true }));
    expect(s.names).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(s.events.every((e) => e.data?.type === e.event)).toBe(true);
    expect(s.events[0].data.message).toMatchObject({
      id: expect.stringMatching(/^msg_/),
      role: "assistant",
      content: [],
      stop_reason: null,
      usage: { input_tokens: 5, output_tokens: 1 },
    });
    expect(s.events[1].data).toEqual({
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    });
    expect(s.deltas).toEqual([
      { type: "text_delta", text: "Echo:" },
      { type: "text_delta", text: " hello" },
      { type: "text_delta", text: " world" },
    ]);
    expect(s.events[7].data).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { input_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 3 },
    });
    expect(await lastRecord()).toMatchObject({ stream: true, tokensWritten: 3, usageSent: true, status: 200 });
    const full = await (await messages(body)).json();
    expect(s.content).toBe(full.content[0].text);
  });

  it("is what the gateway's Anthropic decoder reads: content, finish and usage (cache included)", async () => {
    const res = await messages(claude("a b c", { stream: true, max_tokens: 4 }), { "x-fake-cache": "3,1" });
    const decoder = new AnthropicStreamDecoder("public-model");
    const chunks = decoder.push(await res.text());
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(content).toBe("Echo: a b c");
    expect(decoder.finished).toBe(true);
    expect(decoder.malformedEvents).toBe(0);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe("length");
    expect(decoder.usage).toEqual({
      prompt_tokens: 6,
      completion_tokens: 4,
      total_tokens: 10,
      prompt_tokens_details: { cached_tokens: 3, cache_write_tokens: 1 },
    });
  });

  it("streams a tool call as input_json_delta pieces after an empty first one", async () => {
    const tools = [
      { name: "get_weather", input_schema: { type: "object", properties: { location: { type: "string" } } } },
    ];
    const s = await readAnthropicSse(
      await messages(claude("Paris", { tools, stream: true }), { "x-fake-tool-call": "get_weather" }),
    );
    const start = s.events.find((e) => e.event === "content_block_start")!.data;
    expect(start.content_block).toMatchObject({ type: "tool_use", name: "get_weather", input: {} });
    expect(start.content_block.id).toMatch(/^toolu_/);
    const pieces = s.deltas.map((d) => d.partial_json);
    expect(pieces[0]).toBe("");
    expect(pieces.slice(1).every((p) => p.length > 0 && p.length <= 8)).toBe(true);
    expect(JSON.parse(pieces.join(""))).toEqual({ location: "Paris" });
    const delta = s.events.find((e) => e.event === "message_delta")!.data;
    expect(delta.delta.stop_reason).toBe("tool_use");
    expect(delta.usage.output_tokens).toBe(pieces.length - 1);
    const decoder = new AnthropicStreamDecoder("m");
    const calls = decoder.push(s.text).flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, type: "function", function: { name: "get_weather", arguments: "" } });
  });

  it("streams thinking as thinking_delta words and a signature_delta before the text block", async () => {
    const s = await readAnthropicSse(
      await messages(
        claude("x", { stream: true, max_tokens: 2000, thinking: { type: "enabled", budget_tokens: 1500 } }),
        {
          "x-fake-output-tokens": "1",
        },
      ),
    );
    expect(s.events[1].data.content_block).toEqual({ type: "thinking", thinking: "", signature: "" });
    expect(s.names[2]).toBe("ping");
    const thinking = s.deltas.filter((d) => d.type === "thinking_delta").map((d) => d.thinking);
    expect(thinking.join("")).toBe("Thinking about the request.");
    const kinds = s.deltas.map((d) => d.type);
    expect(kinds).toEqual([...thinking.map(() => "thinking_delta"), "signature_delta", "text_delta"]);
    expect(s.content).toBe("Echo:");
    expect(s.events.find((e) => e.event === "message_delta")!.data.usage.output_tokens).toBe(5);
  });

  it("delays each token with x-fake-chunk-delay-ms", async () => {
    const t0 = Date.now();
    const s = await readAnthropicSse(
      await messages(claude("x", { stream: true, fake_output_tokens: 3 }), { "x-fake-chunk-delay-ms": "30" }),
    );
    expect(s.names.at(-1)).toBe("message_stop");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3 * 30);
  });
});

describe("Anthropic Messages API: faults", () => {
  it.each([
    [400, "invalid_request_error"],
    [401, "authentication_error"],
    [402, "billing_error"],
    [403, "permission_error"],
    [404, "not_found_error"],
    [413, "request_too_large"],
    [429, "rate_limit_error"],
    [500, "api_error"],
    [529, "overloaded_error"],
  ])("status:%i answers Anthropic's %s body", async (status, type) => {
    const res = await messages(claude("x"), { "x-fake-fault": `status:${status}` });
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({
      type: "error",
      error: { type, message: "fake upstream error" },
      request_id: expect.stringMatching(/^req_/),
    });
    expect(res.headers.get("retry-after")).toBe(status === 429 ? "1" : null);
  });

  it("stream-error:<k> sends k deltas, then an overloaded error event, and ends without message_stop", async () => {
    const s = await readAnthropicSse(await messages(claude("x", { stream: true, fake_fault: "stream-error:2" })));
    expect(s.error).toBeNull();
    expect(s.content).toBe("Echo: x");
    expect(s.events.at(-1)).toMatchObject({
      event: "error",
      data: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
    });
    expect(s.names).not.toContain("message_delta");
    expect(s.names).not.toContain("message_stop");
    expect(await lastRecord()).toMatchObject({ status: 200, tokensWritten: 2, usageSent: false });
    const plain = await messages(claude("x", { fake_fault: "stream-error:2" }));
    expect(plain.status).toBe(529);
    expect((await plain.json()).error.type).toBe("overloaded_error");
  });

  it("cut-after:<k> writes k deltas then resets the connection", async () => {
    const s = await readAnthropicSse(await messages(claude("x", { stream: true }), { "x-fake-fault": "cut-after:2" }));
    expect(s.error).toBeTruthy();
    const rec = await lastRecord();
    expect(rec).toMatchObject({ cut: true, tokensWritten: 2, usageSent: false });
    await expect(messages(claude("x"), { "x-fake-fault": "cut-after:0" })).rejects.toThrow();
  });

  it("usage:<input>,<output>, zero-usage and no-usage change only the reported usage", async () => {
    const usage = await (await messages(claude("x", { max_tokens: 2 }), { "x-fake-fault": "usage:9,500" })).json();
    expect(usage.content[0].text).toBe("Echo: x");
    expect(usage.usage).toMatchObject({ input_tokens: 9, output_tokens: 500 });
    const s = await readAnthropicSse(await messages(claude("x", { stream: true }), { "x-fake-fault": "usage:9,500" }));
    expect(s.events.find((e) => e.event === "message_delta")!.data.usage).toMatchObject({
      input_tokens: 9,
      output_tokens: 500,
    });
    const zero = await (await messages(claude("x"), { "x-fake-fault": "zero-usage" })).json();
    expect(zero.usage).toEqual({
      input_tokens: 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 0,
    });
    expect(await (await messages(claude("x"), { "x-fake-fault": "no-usage" })).json()).not.toHaveProperty("usage");
  });

  it("malformed-sse adds one broken event after message_start", async () => {
    const res = await messages(claude("x", { stream: true }), { "x-fake-fault": "malformed-sse" });
    const decoder = new AnthropicStreamDecoder("m");
    decoder.push(await res.text());
    expect(decoder.malformedEvents).toBe(1);
    expect(decoder.finished).toBe(true);
  });

  it("hang and slow-first-byte hold the headers back; scenarios match the x-api-key", async () => {
    const t0 = Date.now();
    expect((await messages(claude("x"), { "x-fake-fault": "slow-first-byte:120" })).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(120);

    const ac = new AbortController();
    const hung = anthropicPost("/messages", claude("x"), { "x-fake-fault": "hang" }, "test-key", ac.signal);
    await waitForRequest(srv.url, (r) => r.path === "/v1/messages" && r.faults.includes("hang"));
    ac.abort();
    await expect(hung).rejects.toThrow();
    await waitForRequest(srv.url, (r) => r.closedEarly);

    await setScenario(srv.url, { match: { apiKey: "anthropic-chan", path: "/v1/messages" }, fault: "status:529" });
    expect((await messages(claude("x"), {}, "anthropic-chan")).status).toBe(529);
    expect((await messages(claude("x"), {}, "other-chan")).status).toBe(200);
  });

  it("context-length and leaky faults answer Anthropic bodies carrying the provider's secrets", async () => {
    const key = "sk-ant-leaky-0123456789abcdef";
    const context = await messages(claude("x"), { "x-fake-fault": "context-length" }, key);
    expect(context.status).toBe(400);
    const body = await context.json();
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toMatch(/^prompt is too long: 210000 tokens > 200000 maximum/);
    for (const marker of leakMarkers(key)) expect(body.error.message).toContain(marker);

    const leaky = await messages(claude("x"), { "x-fake-fault": "leaky:403" }, key);
    expect(leaky.status).toBe(403);
    expect(leaky.headers.get("server")).toBe(FAKE_LEAKS.internalHost);
    expect((await leaky.json()).error).toMatchObject({
      type: "permission_error",
      message: expect.stringMatching(/suspended/),
    });
  });
});

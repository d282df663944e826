import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  close,
  prepareChatBody,
  prepareEmbeddingsBody,
  prepareMessagesBody,
  prepareResponsesBody,
  warm,
} from "./body-pool";
import { GatewayError } from "./errors";
import { prepareChatBody as prepareInline, materializeBody } from "./prepared-body";

// Real worker threads (the default threshold is 256 KiB, so these bodies take the pool).

const MiB = 1024 * 1024;

/** Chat bodies whose every message carries objects nested 27 deep: the slowest shape to parse. */
function denseBody(bytes: number) {
  let nested: unknown = 1;
  for (let i = 0; i < 27; i++) nested = { a: nested };
  const part = { type: "text", text: "x", extra: nested };
  const messages = Math.ceil(bytes / (JSON.stringify(part).length * 50));
  return {
    model: "m",
    messages: Array.from({ length: messages }, () => ({ role: "user", content: Array(50).fill(part) })),
  };
}

beforeAll(async () => {
  await warm();
}, 60_000);

afterAll(async () => {
  await close();
});

describe("body worker pool", () => {
  it("prepares a large body off the main thread, with the same result as inline", async () => {
    const body = denseBody(2 * MiB);
    const bytes = Buffer.from(JSON.stringify(body));
    const expected = prepareInline(bytes, { maxDepth: 32, maxMessages: 10_000, maxTools: 512 });
    const prepared = await prepareChatBody(Buffer.from(bytes));
    expect(prepared.head).toEqual(expected.head);
    expect(prepared.promptBound).toEqual(expected.promptBound);
    expect(prepared.promptTokenEstimate).toBe(expected.promptTokenEstimate);
    expect(materializeBody(prepared)).toEqual(body);
  });

  it("answers malformed large bodies with the same 400s", async () => {
    const tooHot = Buffer.from(JSON.stringify({ ...denseBody(MiB), temperature: 7 }));
    const hot = (await prepareChatBody(tooHot).catch((err: unknown) => err)) as GatewayError;
    expect(hot).toBeInstanceOf(GatewayError);
    expect(hot.message).toBe("Invalid value for 'temperature': must be between 0 and 2.");
    expect(hot.param).toBe("temperature");
    const deep = Buffer.alloc(MiB, "[");
    const error = await prepareChatBody(deep).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(400);
    const notUtf8 = Buffer.concat([Buffer.from('{"model":"e","input":"'), Buffer.alloc(MiB, 0xff), Buffer.from('"}')]);
    await expect(prepareEmbeddingsBody(notUtf8)).rejects.toThrow(/not valid UTF-8/);
  });

  it("keeps the event loop responsive while a big body is prepared", async () => {
    const bytes = Buffer.from(JSON.stringify(denseBody(4 * MiB)));
    const limits = { maxDepth: 32, maxMessages: 10_000, maxTools: 512 };
    const started = performance.now();
    prepareInline(bytes, limits);
    const inlineMs = performance.now() - started;

    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    await prepareChatBody(Buffer.from(bytes));
    await new Promise((resolve) => setTimeout(resolve, 5));
    delay.disable();
    const longestBlockMs = delay.max / 1e6;
    // Relative, so a loaded machine slows both sides alike.
    expect(longestBlockMs).toBeLessThan(inlineMs / 4);
  });

  it("serves concurrent bodies on all workers", async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => ({ ...denseBody(MiB / 2), user: `u${i}` }));
    const prepared = await Promise.all(bodies.map((b) => prepareChatBody(Buffer.from(JSON.stringify(b)))));
    expect(prepared.map((p) => p.head.user)).toEqual(bodies.map((b) => b.user));
  });
});

describe("body worker pool: failures", () => {
  it("fails the jobs of a stopped worker instead of leaving them hanging, then starts new workers", async () => {
    const bytes = () => Buffer.from(JSON.stringify(denseBody(4 * MiB)));
    const inFlight = prepareChatBody(bytes());
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the job reach the worker
    await close();
    await expect(inFlight).rejects.toThrow(/exited/);
    const prepared = await prepareChatBody(bytes());
    expect(prepared.head.model).toBe("m");
  });

  it("prepares a large /v1/messages body off the main thread: its translation, and the client's own body", async () => {
    const image = { type: "image", source: { type: "base64", media_type: "image/png", data: "A".repeat(16 * MiB) } };
    const body = {
      model: "claude-sonnet",
      max_tokens: 100,
      system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: [image, { type: "text", text: "What is it?" }] }],
    };
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const prepared = await prepareMessagesBody(Buffer.from(JSON.stringify(body)));
    delay.disable();
    expect(delay.max / 1e6).toBeLessThan(50); // the parse ran elsewhere (inline, this body blocks ~150 ms: bench/RESULTS.md)
    const chat = materializeBody(prepared.chat) as { messages: Array<{ role: string; content: unknown }> };
    expect(chat.messages[0]).toEqual({ role: "system", content: "Be brief." });
    expect(JSON.stringify(chat.messages[1].content)).toContain("data:image/png;base64,AAAA");
    expect(materializeBody({ ...prepared.chat, head: prepared.native.head, raw: prepared.native.raw })).toEqual(body);
    expect(prepared.chat.promptBound.images).toBe(1);
  });

  it("prepares a large /v1/responses body off the main thread and answers its 400s alike", async () => {
    const input = Array.from({ length: 2_000 }, (_, i) => ({
      role: i % 2 ? "assistant" : "user",
      content: "word ".repeat(300),
    }));
    const prepared = await prepareResponsesBody(Buffer.from(JSON.stringify({ model: "m", input, instructions: "hi" })));
    expect(prepared.request.instructions).toBe("hi");
    expect(prepared.request.input).toEqual([]); // never echoed: not carried back
    expect((materializeBody(prepared.chat) as { messages: unknown[] }).messages).toHaveLength(2_001);
    const refused = await prepareResponsesBody(
      Buffer.from(JSON.stringify({ model: "m", input, previous_response_id: "resp_1" })),
    ).catch((err: unknown) => err as GatewayError);
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).message).toMatch(/previous_response_id is not supported/);
  });
});

import { describe, expect, it } from "vitest";
import { parseChatRequest } from "./chat-request";
import { GatewayError } from "./errors";
import {
  fieldNames,
  materializeBody,
  prepareChatBody,
  prepareEmbeddingsBody,
  rawFieldJson,
  RAW_FIELD_MIN_CHARS,
  upstreamJsonBytes,
  upstreamJsonChunks,
} from "./prepared-body";
import {
  embeddingBoundFromItems,
  embeddingInputUpperBound,
  estimateTokens,
  promptTokenUpperBound,
  promptTokenUpperBoundFromParts,
} from "./tokens";

const limits = { maxDepth: 32, maxMessages: 10_000, maxTools: 512 };
const bytesOf = (value: unknown) => Buffer.from(JSON.stringify(value));

const long = "Tell me about 世界. ".repeat(2_000); // > RAW_FIELD_MIN_CHARS once in JSON
const bigBody = {
  model: "m",
  messages: [
    { role: "system", content: "Be brief." },
    {
      role: "user",
      content: [
        { type: "text", text: long },
        { type: "image_url", image_url: { url: "data:," } },
      ],
    },
  ],
  temperature: 0.5,
  stream: true,
  tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
  vendor_extra: { keep: ["me"] },
};

describe("prepareChatBody", () => {
  it("keeps small fields as values and large ones as their JSON bytes", () => {
    const prepared = prepareChatBody(bytesOf(bigBody), limits);
    expect(prepared.head).toEqual({
      model: "m",
      temperature: 0.5,
      stream: true,
      tools: bigBody.tools,
      vendor_extra: bigBody.vendor_extra,
    });
    expect(prepared.raw.fields.map(([name]) => name)).toEqual(["messages"]);
    expect(JSON.parse(Buffer.from(rawFieldJson(prepared, "messages")!).toString())).toEqual(bigBody.messages);
    expect(JSON.stringify(bigBody.messages).length).toBeGreaterThan(RAW_FIELD_MIN_CHARS);
    expect(fieldNames(prepared).sort()).toEqual(Object.keys(bigBody).sort());
    expect(materializeBody(prepared)).toEqual(bigBody);
  });

  it("measures what the hold and the rate limits need, as the body itself would", () => {
    const prepared = prepareChatBody(bytesOf(bigBody), limits);
    const body = parseChatRequest(bigBody);
    expect(promptTokenUpperBoundFromParts(prepared.promptBound, 128_000)).toBe(promptTokenUpperBound(body, 128_000));
    expect(prepared.promptTokenEstimate).toBe(estimateTokens(JSON.stringify(body.messages)));
    expect(prepared.bodyBytes).toBe(bytesOf(bigBody).length);
  });

  it("builds the upstream JSON from the prepared parts: allow-list, overrides, large fields untouched", () => {
    const prepared = prepareChatBody(bytesOf(bigBody), limits);
    const keep = (name: string) => name !== "vendor_extra";
    const sent = JSON.parse(
      upstreamJsonBytes(prepared, {
        keep,
        set: { model: "upstream", max_tokens: 100, stream_options: { include_usage: true } },
      }).toString(),
    );
    const kept: Record<string, unknown> = { ...bigBody };
    delete kept.vendor_extra;
    expect(sent).toEqual({ ...kept, model: "upstream", max_tokens: 100, stream_options: { include_usage: true } });
    // The large field is a view of the prepared bytes, not a copy.
    const chunks = upstreamJsonChunks(prepared);
    expect(chunks.some((chunk) => chunk.buffer === prepared.raw.bytes.buffer)).toBe(true);
    expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual(bigBody);
    // Every field raw, or none: still valid JSON.
    expect(JSON.parse(upstreamJsonBytes(prepared, { keep: (name) => name === "messages" }).toString())).toEqual({
      messages: bigBody.messages,
    });
    expect(JSON.parse(upstreamJsonBytes(prepared, { keep: () => false }).toString())).toEqual({});
  });

  it("refuses malformed bodies with the same 400s as reading and parsing them", () => {
    const refusal = (bytes: Buffer) => {
      try {
        prepareChatBody(bytes, limits);
      } catch (error) {
        expect(error).toBeInstanceOf(GatewayError);
        return error as GatewayError;
      }
      return expect.fail("expected a refusal");
    };
    expect(refusal(bytesOf({ ...bigBody, temperature: 3 })).message).toBe(
      "Invalid value for 'temperature': must be between 0 and 2.",
    );
    expect(refusal(Buffer.from("[".repeat(100))).message).toMatch(/nested too deeply/);
    expect(refusal(Buffer.from([0x7b, 0xff, 0x7d])).message).toMatch(/not valid UTF-8/);
    expect(refusal(Buffer.from("[]")).message).toBe("The request body must be a JSON object.");
  });
});

describe("prepareEmbeddingsBody", () => {
  it("measures the input per item, as the bound does", () => {
    const input = ["short", "x".repeat(20_000), "世界"];
    const prepared = prepareEmbeddingsBody(bytesOf({ model: "e", input, dimensions: 8 }), limits);
    expect(prepared.head).toEqual({ model: "e", dimensions: 8 });
    expect(embeddingBoundFromItems(prepared.itemBounds, 8192)).toBe(embeddingInputUpperBound(input, 8192));
    expect(prepared.inputTokenEstimate).toBe(input.reduce((sum, s) => sum + estimateTokens(s), 0));
    expect(materializeBody(prepared)).toEqual({ model: "e", input, dimensions: 8 });
  });
});

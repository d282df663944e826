import { describe, expect, it } from "vitest";
import { GatewayError } from "./errors";
import { fromWebRequest } from "./http";
import { readJsonBody } from "./read-body";

function post(body: BodyInit, headers: Record<string, string> = {}) {
  return fromWebRequest(new Request("http://gateway.test/v1/chat/completions", { method: "POST", body, headers }));
}

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => expect.fail("expected the body to be refused"),
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

describe("readJsonBody", () => {
  it("parses a JSON body, non-ASCII text included", async () => {
    expect(await readJsonBody(post('{"a":"héllo 世界 🌍"}'), 1024)).toEqual({ a: "héllo 世界 🌍" });
  });

  it("answers 413 for a body over the cap, declared or streamed", async () => {
    expect((await refusal(readJsonBody(post("x".repeat(2000)), 1024))).status).toBe(413);
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(200).fill(0x20));
        controller.close();
      },
    });
    const request = new Request("http://gateway.test/v1", {
      method: "POST",
      body: chunked,
      duplex: "half",
    } as RequestInit);
    expect((await refusal(readJsonBody(fromWebRequest(request), 1024))).kind).toBe("request_too_large");
  });

  it.each([
    ["an empty body", "", /empty/],
    ["whitespace", " \n\t ", /empty/],
    ["invalid JSON", '{"model": ', /could not parse the JSON body/],
    ["a truncated body", '{"model":"m","messages":[{"role":"user","content":"hi"}', /could not parse the JSON body/],
    ["deep nesting", `{"a":${"[".repeat(40)}${"]".repeat(40)}}`, /nested too deeply: at most 32 levels/],
    ["an overflowing number", '{"temperature": 1e400}', /number out of range \(1e400\)/],
  ])("refuses %s with a 400", async (_name, body, message) => {
    const error = await refusal(readJsonBody(post(body), 1024 * 1024));
    expect(error.status).toBe(400);
    expect(error.type).toBe("invalid_request_error");
    expect(error.message).toMatch(message);
  });

  it("refuses invalid UTF-8 instead of replacing it", async () => {
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
      const body = Buffer.concat([Buffer.from('{"a":"'), Buffer.from(bad), Buffer.from('"}')]);
      const error = await refusal(readJsonBody(post(body), 1024));
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/not valid UTF-8/);
    }
  });

  it("honours the depth limit it is given", async () => {
    await expect(readJsonBody(post("[[[1]]]"), 1024, 3)).resolves.toEqual([[[1]]]);
    expect((await refusal(readJsonBody(post("[[[[1]]]]"), 1024, 3))).status).toBe(400);
  });
});

describe("readJsonBody: a broken body stream", () => {
  it("is the request's fault (400), not ours", async () => {
    const broken = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"model":'));
        controller.error(new Error("connection reset"));
      },
    });
    const request = new Request("http://gateway.test/v1", {
      method: "POST",
      body: broken,
      duplex: "half",
    } as RequestInit);
    const error = await readJsonBody(fromWebRequest(request), 1024).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(400);
  });
});

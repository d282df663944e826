import { afterEach, describe, expect, it, vi } from "vitest";
import { captureLog } from "@/test/log-capture";
import { ERRORS, GatewayError, rateLimitExceeded, type ErrorKind } from "@/lib/gateway/errors";
import { anthropicErrorEvent, anthropicErrorResponse, anthropicErrorType } from "./errors";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("anthropicErrorType", () => {
  it.each([
    [400, "invalid_request_error"],
    [401, "authentication_error"],
    [402, "billing_error"],
    [403, "permission_error"],
    [404, "not_found_error"],
    [405, "invalid_request_error"],
    [413, "request_too_large"],
    [429, "rate_limit_error"],
    [500, "api_error"],
    [502, "api_error"],
    [503, "overloaded_error"],
    [504, "api_error"],
    [529, "overloaded_error"],
  ])("%i → %s", (status, type) => {
    expect(anthropicErrorType(status)).toBe(type);
  });

  it("gives every kind in our error table a type from Anthropic's list", () => {
    const documented = [
      "invalid_request_error",
      "authentication_error",
      "billing_error",
      "permission_error",
      "not_found_error",
      "request_too_large",
      "rate_limit_error",
      "api_error",
      "overloaded_error",
    ];
    for (const kind of Object.keys(ERRORS) as ErrorKind[]) {
      expect(documented).toContain(anthropicErrorType(ERRORS[kind].status));
    }
  });
});

describe("anthropicErrorResponse", () => {
  it("answers a validation error in Anthropic's envelope, with the request id in body and headers", async () => {
    const error = new GatewayError("invalid_request", "Missing required parameter: 'max_tokens'.", {
      param: "max_tokens",
    });
    const response = anthropicErrorResponse(error, "req_011CSHoEeqs5C35K2UUqR7Fy").toWebResponse();
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("x-request-id")).toBe("req_011CSHoEeqs5C35K2UUqR7Fy");
    expect(response.headers.get("request-id")).toBe("req_011CSHoEeqs5C35K2UUqR7Fy");
    expect(await response.text()).toBe(
      '{"type":"error","error":{"type":"invalid_request_error","message":"Missing required parameter: \'max_tokens\'."},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}',
    );
  });

  it("keeps a 429's retry headers, which the Anthropic SDKs honour", async () => {
    const response = anthropicErrorResponse(rateLimitExceeded(1_500), "req_1").toWebResponse();
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("2");
    expect(response.headers.get("retry-after-ms")).toBe("1500");
    expect((await response.json()).error).toEqual({
      type: "rate_limit_error",
      message: "Rate limit exceeded. Try again in 1.5s.",
    });
  });

  it("answers a spent balance with billing_error and x-should-retry: false", async () => {
    const response = anthropicErrorResponse(new GatewayError("insufficient_quota"), "req_2").toWebResponse();
    expect(response.status).toBe(402);
    expect(response.headers.get("x-should-retry")).toBe("false");
    expect((await response.json()).error.type).toBe("billing_error");
  });

  it("answers 'no upstream available' with overloaded_error, keeping our 503", async () => {
    const response = anthropicErrorResponse(new GatewayError("no_channel"), "req_3").toWebResponse();
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      type: "error",
      error: { type: "overloaded_error", message: ERRORS.no_channel.message },
      request_id: "req_3",
    });
  });

  it("never repeats an unknown error's message, and logs it with the request id", async () => {
    const logged = captureLog();
    const response = anthropicErrorResponse(
      new Error("connect ECONNREFUSED 10.0.0.7:5432 password=hunter2"),
      "req_4",
    ).toWebResponse();
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain("hunter2");
    expect(JSON.parse(text).error).toEqual({ type: "api_error", message: ERRORS.internal_error.message });
    expect(logged.lines()).toMatchObject([{ level: "error", requestId: "req_4", err: { type: "Error" } }]);
    expect(logged.text()).not.toContain("hunter2");
    logged.restore();
  });
});

describe("anthropicErrorEvent", () => {
  it("is Anthropic's stream error event", () => {
    expect(anthropicErrorEvent(new GatewayError("upstream_error"))).toBe(
      `event: error\ndata: {"type":"error","error":{"type":"api_error","message":"${ERRORS.upstream_error.message}"}}\n\n`,
    );
  });
});

import { describe, expect, it } from "vitest";
import {
  ERRORS,
  GatewayError,
  errorBody,
  errorResponse,
  rateLimitExceeded,
  sseErrorEvent,
  toGatewayError,
  type ErrorKind,
} from "./errors";

describe("ERRORS table", () => {
  it.each([
    ["invalid_request", 400, "invalid_request_error", null],
    ["invalid_api_key", 401, "invalid_request_error", "invalid_api_key"],
    ["insufficient_quota", 402, "insufficient_quota", "insufficient_quota"],
    ["model_not_allowed", 403, "permission_error", "model_not_allowed"],
    ["ip_not_allowed", 403, "permission_error", "ip_not_allowed"],
    ["model_not_found", 404, "invalid_request_error", "model_not_found"],
    ["request_too_large", 413, "invalid_request_error", "request_too_large"],
    ["rate_limit_exceeded", 429, "requests", "rate_limit_exceeded"],
    ["internal_error", 500, "api_error", "internal_error"],
    ["upstream_error", 502, "api_error", "upstream_error"],
    ["timeout", 502, "api_error", "timeout"],
    ["no_channel", 503, "api_error", "no_channel"],
    ["service_unavailable", 503, "api_error", "service_unavailable"],
  ] as const)("%s → %i %s", (kind, status, type, code) => {
    const err = new GatewayError(kind);
    expect([err.status, err.type, err.code]).toEqual([status, type, code]);
    expect(err.message).toBe(ERRORS[kind].message);
  });

  it("never uses 408/409 and every kind has a message", () => {
    for (const kind of Object.keys(ERRORS) as ErrorKind[]) {
      expect([408, 409]).not.toContain(ERRORS[kind].status);
      expect(ERRORS[kind].message.length).toBeGreaterThan(0);
    }
  });
});

describe("GatewayError", () => {
  it("is an Error with overridable message, param, code, type and headers", () => {
    const err = new GatewayError("invalid_request", "messages is required", {
      param: "messages",
      code: "missing_field",
      headers: { "x-extra": "1" },
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("GatewayError");
    expect(err.kind).toBe("invalid_request");
    expect(err.message).toBe("messages is required");
    expect(err.param).toBe("messages");
    expect(err.code).toBe("missing_field");
    expect(err.headers).toEqual({ "x-extra": "1" });
  });

  it("has no headers unless the table or caller gives some", () => {
    expect(new GatewayError("invalid_request").headers).toBeUndefined();
    expect(new GatewayError("insufficient_quota").headers).toEqual({
      "x-should-retry": "false",
    });
  });

  it("can clear a code explicitly", () => {
    expect(new GatewayError("upstream_error", undefined, { code: null }).code).toBeNull();
  });
});

describe("errorBody", () => {
  it("uses OpenAI's envelope with null param when absent", () => {
    expect(errorBody(new GatewayError("model_not_found", "The model `x` does not exist."))).toEqual({
      error: {
        message: "The model `x` does not exist.",
        type: "invalid_request_error",
        param: null,
        code: "model_not_found",
      },
    });
    expect(errorBody(new GatewayError("invalid_request", "bad", { param: "temperature" })).error.param).toBe(
      "temperature",
    );
  });
});

describe("toGatewayError", () => {
  it("passes GatewayErrors through", () => {
    const err = new GatewayError("no_channel");
    expect(toGatewayError(err)).toBe(err);
  });

  it.each([
    new Error("connect ECONNREFUSED 10.1.2.3:443 with key sk-live-secret"),
    "a thrown string sk-live-secret",
    { message: "sk-live-secret" },
    null,
    undefined,
  ])("hides unknown error %#", (thrown) => {
    const err = toGatewayError(thrown);
    expect(err.kind).toBe("internal_error");
    expect(err.status).toBe(500);
    expect(err.message).toBe(ERRORS.internal_error.message);
    expect(JSON.stringify(errorBody(err))).not.toContain("sk-live-secret");
    expect(JSON.stringify(errorBody(err))).not.toContain("10.1.2.3");
    expect(err.cause).toBe(thrown); // kept for server logs only
  });
});

describe("errorResponse", () => {
  it("answers JSON with status, x-request-id and the extra headers", async () => {
    const res = errorResponse(new GatewayError("insufficient_quota"), "req_123").toWebResponse();
    expect(res.status).toBe(402);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-request-id")).toBe("req_123");
    expect(res.headers.get("x-should-retry")).toBe("false");
    expect(await res.json()).toEqual({
      error: {
        message: ERRORS.insufficient_quota.message,
        type: "insufficient_quota",
        param: null,
        code: "insufficient_quota",
      },
    });
  });

  it("turns unknown errors into a 500 without leaking", async () => {
    const res = errorResponse(new Error("db password hunter2"), "req_1").toWebResponse();
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("hunter2");
  });
});

describe("rateLimitExceeded", () => {
  it("formats the message and retry headers like OpenAI", async () => {
    const err = rateLimitExceeded(1_450, {
      headers: { "x-ratelimit-limit-requests": "60" },
    });
    expect(err.status).toBe(429);
    expect(err.type).toBe("requests");
    expect(err.code).toBe("rate_limit_exceeded");
    expect(err.message).toBe("Rate limit exceeded. Try again in 1.5s.");
    expect(err.headers).toEqual({
      "retry-after": "2",
      "retry-after-ms": "1450",
      "x-ratelimit-limit-requests": "60",
    });
    const res = errorResponse(err, "req_9").toWebResponse();
    expect(res.headers.get("retry-after")).toBe("2");
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("60");
  });

  it("supports token limits and tiny waits", () => {
    const err = rateLimitExceeded(20, { limitType: "tokens" });
    expect(err.type).toBe("tokens");
    expect(err.message).toBe("Rate limit exceeded. Try again in 0.1s.");
    expect(err.headers?.["retry-after"]).toBe("1");
  });
});

describe("sseErrorEvent", () => {
  it("is a single SSE data frame with the error envelope", () => {
    const frame = sseErrorEvent(new GatewayError("upstream_error"));
    expect(frame.startsWith("data: ")).toBe(true);
    expect(frame.endsWith("\n\n")).toBe(true);
    expect(frame.slice(0, -2)).not.toContain("\n");
    expect(JSON.parse(frame.slice("data: ".length))).toEqual({
      error: {
        message: ERRORS.upstream_error.message,
        type: "api_error",
        param: null,
        code: "upstream_error",
      },
    });
  });

  it("hides unknown errors too", () => {
    expect(sseErrorEvent(new Error("secret"))).not.toContain("secret");
  });
});

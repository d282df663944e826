import { describe, expect, it } from "vitest";
import { failureFromError, failureFromStatus, requestError, UpstreamFailure } from "./upstream-failure";

const signal = new AbortController().signal;

describe("failureFromStatus", () => {
  it.each([
    [301, "transient"],
    [307, "transient"],
    [401, "auth"],
    [402, "auth"],
    [403, "auth"],
    [404, "transient"],
    [405, "transient"],
    [408, "transient"],
    [409, "transient"],
    [429, "transient"],
    [500, "transient"],
    [502, "transient"],
    [503, "transient"],
    [400, "request"],
    [413, "request"],
    [422, "request"],
  ])("%i is a %s failure", (status, kind) => {
    const failure = failureFromStatus(status, "");
    expect(failure.kind).toBe(kind);
    expect(failure.retryable).toBe(kind === "transient" || kind === "auth");
  });

  it("never carries the upstream's text in what the tenant sees", () => {
    const body = JSON.stringify({
      error: {
        message: "Insufficient balance on acct_123 (org-abc); see https://provider.example/billing",
        code: 1113,
      },
    });
    const failure = failureFromStatus(400, body);
    expect(failure.clientError!.message).not.toMatch(/acct_|org-|provider\.example/);
    expect(failure.message).not.toMatch(/acct_|org-/);
  });
});

describe("requestError", () => {
  it.each([
    [{ error: { code: "context_length_exceeded", message: "..." } }, "context_length_exceeded"],
    [{ error: { message: "This model's maximum context length is 128000 tokens." } }, "context_length_exceeded"],
    [{ error: { message: "prompt is too long: 210000 tokens > 200000 maximum" } }, "context_length_exceeded"],
    [{ error: { code: "content_policy_violation", message: "x" } }, "content_policy_violation"],
    [{ error: { code: "data_inspection_failed", message: "x" } }, "content_policy_violation"],
    [{ error: { type: "content_filter", message: "x" } }, "content_policy_violation"],
    [{ error: { message: "Unrecognized request argument supplied: foo", param: "foo" } }, "upstream_invalid_request"],
  ])("maps %j to %s", (body, code) => {
    const error = requestError(JSON.stringify(body));
    expect(error.status).toBe(400);
    expect(error.code).toBe(code);
  });

  it("keeps a parameter name the tenant sent, drops anything else in param", () => {
    expect(requestError(JSON.stringify({ error: { message: "bad", param: "messages[0].content" } })).param).toBe(
      "messages[0].content",
    );
    expect(requestError(JSON.stringify({ error: { message: "bad", param: "https://x/y?acct=1" } })).param).toBeNull();
    expect(requestError("not json at all").code).toBe("upstream_invalid_request");
  });
});

describe("failureFromError", () => {
  it.each([
    ["ECONNREFUSED", "transient"],
    ["ECONNRESET", "transient"],
    ["ENOTFOUND", "transient"],
    ["ESSRF", "transient"],
    ["UND_ERR_CONNECT_TIMEOUT", "transient"],
    ["UND_ERR_SOCKET", "transient"],
    ["CERT_HAS_EXPIRED", "transient"],
    ["UND_ERR_HEADERS_TIMEOUT", "timeout"],
    ["UND_ERR_BODY_TIMEOUT", "timeout"],
  ])("a network error %s is a %s failure", (code, kind) => {
    expect(failureFromError(Object.assign(new Error("x"), { code }), signal)?.kind).toBe(kind);
    expect(
      failureFromError(new Error("fetch failed", { cause: Object.assign(new Error("x"), { code }) }), signal)?.kind,
    ).toBe(kind);
  });

  it("is null for an error of our own code: it must neither fail over nor touch a breaker", () => {
    expect(failureFromError(new TypeError("Cannot read properties of undefined"), signal)).toBeNull();
    expect(
      failureFromError(Object.assign(new TypeError("bad arg"), { code: "ERR_INVALID_ARG_TYPE" }), signal),
    ).toBeNull();
    expect(failureFromError(new RangeError("Maximum call stack size exceeded"), signal)).toBeNull();
  });

  it("takes the deadline's own failure from the aborted signal", () => {
    const controller = new AbortController();
    controller.abort(new UpstreamFailure("request deadline exceeded", "timeout"));
    expect(failureFromError(new Error("aborted"), controller.signal)?.kind).toBe("timeout");
  });
});

import { describe, expect, it } from "vitest";
import { errorBody } from "./__fixtures__/messages";
import { failureFromAnthropicStatus, streamErrorFailure } from "./errors";

describe("failureFromAnthropicStatus", () => {
  it.each([
    [401, "auth"],
    [402, "auth"],
    [403, "auth"],
    [404, "transient"],
    [429, "transient"],
    [500, "transient"],
    [504, "transient"],
    [529, "transient"],
  ] as const)("%i → %s, retryable", (status, kind) => {
    const failure = failureFromAnthropicStatus(status, errorBody(status));
    expect(failure).toMatchObject({ kind, status, retryable: true, clientError: undefined });
    expect(failure.message).toContain(`anthropic answered ${status}`);
  });

  it("names the error type for the logs but never repeats Anthropic's message", () => {
    const failure = failureFromAnthropicStatus(529, errorBody(529));
    expect(failure.message).toBe("anthropic answered 529 overloaded_error");
    expect(failureFromAnthropicStatus(401, errorBody(401)).message).not.toContain("invalid x-api-key");
  });

  it("400 invalid_request_error → request, answered in our words", () => {
    const failure = failureFromAnthropicStatus(400, errorBody(400));
    expect(failure).toMatchObject({ kind: "request", status: 400, retryable: false });
    expect(failure.clientError).toMatchObject({ status: 400, code: "upstream_invalid_request" });
    expect(failure.clientError?.message).not.toMatch(/roles must alternate/);
  });

  it("recognises both of Anthropic's context-window wordings as context_length_exceeded", () => {
    for (const message of [
      "prompt is too long: 208310 tokens > 200000 maximum",
      "input length and `max_tokens` exceed context limit: 197626 + 21333 > 200000, decrease input length or `max_tokens` and try again",
    ]) {
      const failure = failureFromAnthropicStatus(400, errorBody(400, message));
      expect(failure.kind).toBe("request");
      expect(failure.clientError).toMatchObject({ status: 400, code: "context_length_exceeded", param: "messages" });
      expect(failure.clientError?.message).toMatch(/context window/);
    }
  });

  it("413 request_too_large → request, a 413 for the tenant", () => {
    const failure = failureFromAnthropicStatus(413, errorBody(413));
    expect(failure).toMatchObject({ kind: "request", status: 413 });
    expect(failure.clientError).toMatchObject({ status: 413, kind: "request_too_large" });
    expect(failure.clientError?.message).not.toMatch(/maximum allowed number of bytes/);
  });

  it("an out-of-credit 400 is about the channel's account, not the request", () => {
    const body = errorBody(
      400,
      "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
    );
    expect(failureFromAnthropicStatus(400, body)).toMatchObject({ kind: "auth", retryable: true });
  });

  it("copes with bodies that are not Anthropic's JSON", () => {
    expect(failureFromAnthropicStatus(502, "<html>Bad Gateway</html>")).toMatchObject({ kind: "transient" });
    expect(failureFromAnthropicStatus(400, "")).toMatchObject({ kind: "request" });
    expect(failureFromAnthropicStatus(307, "")).toMatchObject({ kind: "transient" });
  });
});

describe("streamErrorFailure", () => {
  it("describes a mid-stream error event by its type", () => {
    const overloaded = streamErrorFailure({ type: "overloaded_error", message: "Overloaded" });
    expect(overloaded).toMatchObject({ kind: "transient", status: undefined });
    expect(overloaded.message).toBe("anthropic stream ended with an error event (overloaded_error)");
    expect(streamErrorFailure({ type: "api_error", message: "Internal server error" }).kind).toBe("transient");
    expect(streamErrorFailure({ type: "permission_error", message: "no" }).kind).toBe("auth");
    expect(streamErrorFailure({ type: "mystery_error", message: "?" }).kind).toBe("transient");
    const tooLong = streamErrorFailure({
      type: "invalid_request_error",
      message: "prompt is too long: 5 tokens > 4 maximum",
    });
    expect(tooLong).toMatchObject({ kind: "request" });
    expect(tooLong.clientError?.code).toBe("context_length_exceeded");
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import type { RequestLogRow } from "@/lib/billing/request-log";
import { captureLog } from "@/test/log-capture";
import { logCompletedRequest, logUnauthenticatedRequest } from "./access-log";

afterEach(() => vi.restoreAllMocks());

const row: RequestLogRow = {
  id: "req_0123456789abcdef01234567",
  organizationId: "org_1",
  apiKeyId: "key_1",
  endpoint: "chat.completions",
  modelRequested: "auto",
  modelRouted: "deepseek-v3",
  upstreamModel: "deepseek-chat",
  channelId: "ch_1",
  routeReason: null,
  isStream: true,
  status: 200,
  errorCode: null,
  inputTokens: 12,
  cachedInputTokens: 0,
  outputTokens: 34,
  inputPriceNanos: 270n,
  cachedInputPriceNanos: 70n,
  outputPriceNanos: 1_100n,
  holdNanos: 900_000n,
  costNanos: 12_345_678_901_234_567n,
  usageSource: "UPSTREAM",
  attempts: 1,
  latencyMs: 812,
  ttftMs: 95,
  createdAt: new Date(),
  overageNanos: 0n,
  requestCount: 1,
};

describe("the access log", () => {
  it("writes one line per request with who, what, where, how it went and what it cost", () => {
    const logged = captureLog();
    logCompletedRequest(row);
    expect(logged.lines()).toEqual([
      expect.objectContaining({
        level: "info",
        component: "access",
        msg: "request",
        requestId: row.id,
        organizationId: "org_1",
        keyId: "key_1",
        endpoint: "chat.completions",
        model: "deepseek-v3",
        channelId: "ch_1",
        stream: true,
        status: 200,
        errorCode: null,
        latencyMs: 812,
        ttftMs: 95,
        inputTokens: 12,
        outputTokens: 34,
        costNanos: "12345678901234567", // exact: a bigint as a string, never a float
        attempts: 1,
      }),
    ]);
  });

  it("names the requested model when none was routed (a refusal)", () => {
    const logged = captureLog();
    logCompletedRequest({ ...row, modelRouted: null, modelRequested: "no-such-model", status: 404 });
    expect(logged.lines()[0]).toMatchObject({ model: "no-such-model", status: 404 });
  });

  it("writes a line for a request whose key was not accepted: where it came from, no organization or key", () => {
    const logged = captureLog();
    logUnauthenticatedRequest({
      requestId: "req_1",
      method: "POST",
      path: "/v1/chat/completions",
      status: 401,
      latencyMs: 2,
      clientIp: "203.0.113.9",
    });
    expect(logged.lines()).toEqual([
      expect.objectContaining({
        component: "access",
        msg: "request",
        requestId: "req_1",
        organizationId: null,
        keyId: null,
        method: "POST",
        path: "/v1/chat/completions",
        status: 401,
        latencyMs: 2,
        clientIp: "203.0.113.9",
      }),
    ]);
  });
});

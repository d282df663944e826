import { afterEach, describe, expect, it, vi } from "vitest";
import { captureLog } from "@/test/log-capture";
import { logger, scrubSecrets, serializeError } from "./log";

afterEach(() => vi.restoreAllMocks());

describe("the structured log", () => {
  it("writes one JSON line per event with level, component, fields and message", () => {
    const logged = captureLog();
    logger("billing").warn({ requestId: "req_1", released: 2 }, "released orphaned holds");
    expect(logged.lines()).toMatchObject([
      { level: "warn", component: "billing", requestId: "req_1", released: 2, msg: "released orphaned holds" },
    ]);
    expect(logged.text().trim().split("\n")).toHaveLength(1);
  });

  it("redacts fields named like secrets, at the top level and in headers", () => {
    const logged = captureLog();
    logger("test").info(
      {
        password: "pw-1",
        apiKey: "key-2",
        token: "tok-3",
        headers: { authorization: "Bearer abc-4", cookie: "session=5", "x-api-key": "xk-6" },
        keyId: "key_id_is_fine",
      },
      "event",
    );
    const text = logged.text();
    for (const secret of ["pw-1", "key-2", "tok-3", "abc-4", "session=5", "xk-6"]) expect(text).not.toContain(secret);
    expect(logged.lines()[0]).toMatchObject({ password: "[redacted]", keyId: "key_id_is_fine" });
  });

  it("logs an error as class, scrubbed message and stack, code and status: nothing else of it", () => {
    const cause = new Error("connect to postgres://tokenflow:hunter2@db:5432/tf failed");
    const err = Object.assign(new Error("Invalid API Key provided: sk_test_51AbCdEf", { cause }), {
      code: "api_key_invalid",
      statusCode: 401,
      raw: { headers: { authorization: "Bearer sk_test_51AbCdEf" } },
      requestOptions: { apiKey: "sk_test_51AbCdEf" },
    });
    const logged = captureLog();
    logger("stripe").error({ err }, "could not create a customer");
    const text = logged.text();
    expect(text).not.toContain("51AbCdEf");
    expect(text).not.toContain("hunter2");
    expect(logged.lines()[0].err).toMatchObject({
      type: "Error",
      message: "Invalid API Key provided: sk_test_***",
      code: "api_key_invalid",
      status: 401,
      cause: { message: "connect to postgres://tokenflow:***@db:5432/tf failed" },
    });
    expect(Object.keys(logged.lines()[0].err as object).sort()).toEqual([
      "cause",
      "code",
      "message",
      "stack",
      "status",
      "type",
    ]);
  });

  it("scrubs credentials out of free text, keeping what identifies them", () => {
    expect(scrubSecrets("redis://:s3cret@cache:6379 and https://u:p4ss@host/x")).toBe(
      "redis://:***@cache:6379 and https://u:***@host/x",
    );
    expect(scrubSecrets("Authorization: Bearer eyJhbGciOi.x.y")).toBe("Authorization: Bearer ***");
    expect(scrubSecrets("whsec_abc123 sk_live_abc rk_test_abc")).toBe("whsec_*** sk_live_*** rk_test_***");
    expect(scrubSecrets("key tf-AbCdEfGhIjKlMnOpQrStUvWxYz012345 tf-admin-0123456789abcdef")).toBe(
      "key tf-AbCd*** tf-admin-***",
    );
    expect(scrubSecrets("upstream key sk-proj-abcdefghijklmnop")).toBe("upstream key sk-***");
    expect(scrubSecrets("password=hunter2&user=x api_key: abc")).toBe("password=***&user=x api_key: ***");
    expect(scrubSecrets("nothing to hide in req_61a0012e003b77e51d130069")).toBe(
      "nothing to hide in req_61a0012e003b77e51d130069",
    );
  });

  it("serializes a thrown non-error as text", () => {
    expect(serializeError("Bearer abc")).toEqual({ type: "string", message: "Bearer ***" });
  });
});

import { describe, expect, it } from "vitest";
import { z } from "zod";
import { API_ERROR_STATUS, ApiError, apiErrorBody, apiErrorStatus, validationError } from "./errors";

describe("ApiError", () => {
  it("takes its status from the one table", () => {
    for (const [code, status] of Object.entries(API_ERROR_STATUS)) {
      expect(new ApiError(code as keyof typeof API_ERROR_STATUS, "x").status).toBe(status);
    }
    expect(API_ERROR_STATUS).toMatchObject({
      bad_request: 400,
      validation_error: 400,
      unauthorized: 401,
      forbidden: 403,
      not_found: 404,
      conflict: 409,
      unprocessable: 422,
      internal_error: 500,
    });
  });

  it("serialises code, message and field", () => {
    const err = new ApiError("validation_error", "name is required", { field: "name" });
    expect(apiErrorBody(err)).toEqual({
      error: { code: "validation_error", message: "name is required", field: "name" },
    });
    expect(apiErrorBody(new ApiError("not_found", "Channel not found"))).toEqual({
      error: { code: "not_found", message: "Channel not found" },
    });
  });

  it("never echoes an unknown error's message", () => {
    const body = apiErrorBody(new Error("password=hunter2 at db.internal:5432"), "req_123");
    expect(body.error.code).toBe("internal_error");
    expect(body.error.message).not.toContain("hunter2");
    expect(body.error.message).toContain("req_123");
    expect(apiErrorStatus(new TypeError("boom"))).toBe(500);
  });
});

describe("validationError", () => {
  const schema = z.strictObject({ name: z.string(), nested: z.strictObject({ n: z.number() }).optional() });
  const issuesOf = (value: unknown) => {
    const result = schema.safeParse(value);
    if (result.success) throw new Error("expected failure");
    return result.error.issues;
  };

  it("names an unknown field", () => {
    const err = validationError(issuesOf({ name: "a", extra: 1 }));
    expect(err).toMatchObject({
      code: "validation_error",
      status: 400,
      field: "extra",
      message: 'Unknown field "extra"',
    });
  });

  it("reports an unknown field before a missing one (typos)", () => {
    expect(validationError(issuesOf({ nmae: "a" }))).toMatchObject({ field: "nmae", message: 'Unknown field "nmae"' });
  });

  it("names unknown nested fields with a dotted path", () => {
    expect(validationError(issuesOf({ name: "a", nested: { n: 1, bad: true } })).field).toBe("nested.bad");
  });

  it("says a missing field is required", () => {
    expect(validationError(issuesOf({}))).toMatchObject({ field: "name", message: "name is required" });
  });

  it("prefixes other messages with the field", () => {
    const err = validationError(issuesOf({ name: 5 }));
    expect(err.field).toBe("name");
    expect(err.message).toMatch(/^name: /);
  });

  it("names the root for a non-object body", () => {
    expect(validationError(issuesOf([1, 2])).field).toBe("body");
  });
});

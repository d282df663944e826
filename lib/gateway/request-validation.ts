import { z } from "zod";
import { GatewayError } from "./errors";

// Shared pieces of the /v1 body schemas and the one place a zod issue becomes OpenAI's 400:
// "Missing required parameter: 'x'." / "Invalid value for 'x': <why>." with `param` naming the field.

/** A number in [min, max], with OpenAI's wording. */
export function numberBetween(min: number, max: number) {
  const message = `must be between ${min} and ${max}`;
  return z.number().min(min, message).max(max, message);
}

/** An integer (a safe one: zod's int() refuses anything beyond 2^53) in [min, max]. */
export function integerBetween(min: number, max: number) {
  const message = `must be an integer between ${min} and ${max}`;
  return z.number().int(message).min(min, message).max(max, message);
}

/** A string of at most `max` characters. */
export function boundedString(max: number, min = 0) {
  return z
    .string()
    .min(min, min === 1 ? "must not be empty" : `must have at least ${min} characters`)
    .max(max, `must have at most ${max} characters`);
}

/** Refuses a body that is not a JSON object, then validates; the first issue becomes the error. */
export function parseWith<T>(schema: z.ZodType<T>, body: unknown): T {
  if (!isRecord(body)) throw new GatewayError("invalid_request", "The request body must be a JSON object.");
  const result = schema.safeParse(body, { reportInput: true }); // tells a missing field from a wrong one
  if (result.success) return result.data;
  throw issueError(result.error.issues[0]);
}

/** A 400 naming `param`: "Invalid value for 'param': why." */
export function invalidValue(param: string, why: string): GatewayError {
  return new GatewayError("invalid_request", `Invalid value for '${param}': ${why}.`, { param });
}

/** A 400 for a missing field: "Missing required parameter: 'param'." */
export function missingParameter(param: string): GatewayError {
  return new GatewayError("invalid_request", `Missing required parameter: '${param}'.`, { param });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function issueError(issue: z.core.$ZodIssue, prefix: PropertyKey[] = []): GatewayError {
  const path = [...prefix, ...issue.path];
  // A union names its alternatives; when one of them matched the type and failed deeper inside
  // (e.g. a content part without a type), that deeper problem is the useful one.
  if (issue.code === "invalid_union") {
    const deeper = issue.errors.map((branch) => branch[0]).find((first) => first && first.path.length > 0);
    if (deeper) return issueError(deeper, path);
  }
  const param = path.map(String).join(".");
  if (!param) return new GatewayError("invalid_request", `Invalid request body: ${issue.message}.`);
  if (issue.code === "invalid_type" && issue.input === undefined) return missingParameter(param);
  if (issue.code === "custom" && issue.params?.missing === true) return missingParameter(param);
  if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input")) {
    return invalidValue(
      param,
      `expected ${describeExpected(issue.expected)}, but got ${describeValue(issue.input)} instead`,
    );
  }
  if (issue.code === "invalid_value" && issue.message.startsWith("Invalid option")) {
    return invalidValue(param, `must be one of ${issue.values.map((v) => `'${String(v)}'`).join(", ")}`);
  }
  return invalidValue(param, issue.message); // a schema's own wording
}

const EXPECTED: Record<string, string> = {
  int: "an integer",
  number: "a number",
  string: "a string",
  boolean: "a boolean",
  object: "an object",
  record: "an object",
  array: "an array",
  null: "null",
};

function describeExpected(expected: string): string {
  return EXPECTED[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a number";
  return describeExpected(typeof value);
}

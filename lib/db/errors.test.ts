import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "./errors";

describe("isDatabaseUnavailable", () => {
  it.each([
    Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }),
    new Error("timeout exceeded when trying to connect"),
    new Error("Connection terminated unexpectedly"),
    new Error("Query read timeout"),
    Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }),
    Object.assign(new Error("the database system is shutting down"), { code: "57P03" }),
    Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" }),
    Object.assign(new Error("could not obtain lock"), { code: "55P03" }),
    Object.assign(new Error("sorry, too many clients already"), { code: "53300" }),
    Object.assign(new Error("wrapped"), { cause: new Error("Connection terminated due to connection timeout") }),
    Object.assign(new Error("Invalid `prisma.model.update()` invocation"), { code: "P2039" }),
    Object.assign(new Error("Can't reach database server"), { code: "P1001" }),
  ])("recognises %s", (err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    new TypeError("Cannot read properties of undefined"),
    Object.assign(new Error('relation "x" does not exist'), { code: "42P01" }),
    Object.assign(new Error("duplicate key"), { code: "23505" }),
    Object.assign(new Error("balance would go below zero"), { code: "TF002" }),
    null,
    "a string",
  ])("does not take %s for an outage", (err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});

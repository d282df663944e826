import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureLog } from "@/test/log-capture";
import { checkStartupConfig } from "./startup-config";

const goodKey = randomBytes(32).toString("base64");
// What test/app-server.ts starts the production server with: it must keep passing.
const complete = {
  NODE_ENV: "production" as const,
  DATABASE_URL: "postgres://x",
  TOKENFLOW_ENCRYPTION_KEY: goodKey,
  NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
  NEXTAUTH_URL: "http://127.0.0.1:41234",
  TOKENFLOW_ADMIN_KEY: `tf-admin-${randomBytes(16).toString("hex")}`,
};

afterEach(() => vi.restoreAllMocks());

/** The problems a production start with `env` reports ("" when it starts). */
function refusal(env: Record<string, string | undefined>): string {
  const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
  const logged = captureLog();
  checkStartupConfig(env as NodeJS.ProcessEnv);
  // The whole fatal line (message and fields), so "never printing the key" covers every field.
  const message = logged
    .lines()
    .filter((line) => line.level === "fatal")
    .map((line) => JSON.stringify(line))
    .join("\n");
  expect(exit.mock.calls.length > 0).toBe(message !== "");
  if (message) expect(exit).toHaveBeenCalledWith(1);
  exit.mockRestore();
  logged.restore();
  return message;
}

describe("checkStartupConfig", () => {
  it("accepts a complete production configuration (the integration-test harness's among them)", () => {
    expect(refusal(complete)).toBe("");
    expect(
      refusal({ ...complete, NEXTAUTH_URL: "https://tokenflow.example.com", TOKENFLOW_ADMIN_KEY: undefined }),
    ).toBe("");
    expect(refusal({ ...complete, NEXTAUTH_URL: "http://localhost:3000", TOKENFLOW_ADMIN_KEY: "" })).toBe("");
  });

  it("stops a production server without an auth secret, naming the variable and the fix", () => {
    for (const secret of [undefined, ""]) {
      const message = refusal({ ...complete, NEXTAUTH_SECRET: secret });
      expect(message).toContain("NEXTAUTH_SECRET is not set");
      expect(message).toContain("openssl rand");
    }
  });

  it("requires NEXTAUTH_URL to be https unless it is a loopback host", () => {
    for (const url of [
      "http://localhost:3000",
      "http://LOCALHOST",
      "http://127.0.0.1:3000",
      "http://127.8.9.10/",
      "http://[::1]:3000",
      "http://[::ffff:127.0.0.1]:3000",
      "https://tokenflow.example.com",
      "https://10.0.0.5:8443",
    ]) {
      expect(refusal({ ...complete, NEXTAUTH_URL: url }), url).toBe("");
    }
    for (const url of [
      "http://tokenflow.example.com",
      "http://10.0.0.5:3000",
      "http://0.0.0.0:3000",
      "http://128.0.0.1",
      "http://[::2]:3000",
      "http://localhost.evil.example",
      "http://127.0.0.1.nip.io",
      "ftp://localhost/",
    ]) {
      expect(refusal({ ...complete, NEXTAUTH_URL: url }), url).toContain("NEXTAUTH_URL must use https");
    }
    expect(refusal({ ...complete, NEXTAUTH_URL: undefined })).toContain("NEXTAUTH_URL is not set");
    expect(refusal({ ...complete, NEXTAUTH_URL: "not a url" })).toContain("NEXTAUTH_URL is not a valid URL");
  });

  it("requires TOKENFLOW_ADMIN_KEY, when set, to be at least 32 characters, without printing it", () => {
    const short = "a".repeat(31);
    const message = refusal({ ...complete, TOKENFLOW_ADMIN_KEY: short });
    expect(message).toContain("TOKENFLOW_ADMIN_KEY is shorter than 32 characters");
    expect(message).not.toContain(short);
    expect(refusal({ ...complete, TOKENFLOW_ADMIN_KEY: "a".repeat(32) })).toBe("");
  });

  it("reports every problem at once", () => {
    const message = refusal({ NODE_ENV: "production", NEXTAUTH_URL: "http://example.com", TOKENFLOW_ADMIN_KEY: "x" });
    for (const name of [
      "DATABASE_URL",
      "TOKENFLOW_ENCRYPTION_KEY",
      "NEXTAUTH_SECRET",
      "NEXTAUTH_URL",
      "TOKENFLOW_ADMIN_KEY",
    ]) {
      expect(message).toContain(name);
    }
  });

  it("stops a production server without a usable encryption key, without printing the key", () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const logged = captureLog();
    checkStartupConfig({ ...complete, TOKENFLOW_ENCRYPTION_KEY: undefined });
    expect(exit).toHaveBeenCalledWith(1);
    expect(logged.lines()[0]).toMatchObject({ level: "fatal" });
    expect(logged.lines()[0].msg).toContain("TOKENFLOW_ENCRYPTION_KEY is not set");

    const shortKey = randomBytes(16).toString("base64");
    checkStartupConfig({ ...complete, TOKENFLOW_ENCRYPTION_KEY: shortKey });
    expect(exit).toHaveBeenCalledTimes(2);
    expect(logged.lines().filter((line) => line.level === "fatal")).toHaveLength(2); // (exit is mocked: a warn follows each)
    expect(logged.text()).not.toContain(shortKey);
  });

  it("only warns outside production", () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const logged = captureLog();
    checkStartupConfig({ NODE_ENV: "development" });
    expect(exit).not.toHaveBeenCalled();
    expect(logged.lines().map((line) => line.level)).toEqual(["warn"]);
  });

  it("refuses a Stripe key without its webhook secret in every mode, never printing the key", () => {
    const stripeKey = `sk_test_${randomBytes(12).toString("hex")}`;
    const message = refusal({ ...complete, STRIPE_SECRET_KEY: stripeKey });
    expect(message).toContain("STRIPE_WEBHOOK_SECRET is not");
    expect(message).not.toContain(stripeKey);
    expect(refusal({ NODE_ENV: "development", STRIPE_SECRET_KEY: stripeKey })).toContain("STRIPE_WEBHOOK_SECRET");
    expect(refusal({ ...complete, STRIPE_SECRET_KEY: stripeKey, STRIPE_WEBHOOK_SECRET: "whsec_x" })).toBe("");
    expect(
      refusal({
        ...complete,
        STRIPE_SECRET_KEY: stripeKey,
        STRIPE_WEBHOOK_SECRET: "whsec_x",
        STRIPE_API_BASE_URL: "nope",
      }),
    ).toContain("STRIPE_API_BASE_URL");
  });
});

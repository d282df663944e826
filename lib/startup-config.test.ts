import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { checkStartupConfig } from "./startup-config";

const goodKey = randomBytes(32).toString("base64");

afterEach(() => vi.restoreAllMocks());

describe("checkStartupConfig", () => {
  it("accepts a complete production configuration", () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    checkStartupConfig({ NODE_ENV: "production", DATABASE_URL: "postgres://x", TOKENFLOW_ENCRYPTION_KEY: goodKey });
    expect(exit).not.toHaveBeenCalled();
  });

  it("stops a production server without a usable encryption key, without printing the key", () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    checkStartupConfig({ NODE_ENV: "production", DATABASE_URL: "postgres://x" });
    expect(exit).toHaveBeenCalledWith(1);
    expect(error.mock.calls[0][0]).toContain("TOKENFLOW_ENCRYPTION_KEY is not set");

    const shortKey = randomBytes(16).toString("base64");
    checkStartupConfig({ NODE_ENV: "production", DATABASE_URL: "postgres://x", TOKENFLOW_ENCRYPTION_KEY: shortKey });
    expect(exit).toHaveBeenCalledTimes(2);
    expect(error.mock.calls[1][0]).not.toContain(shortKey);
  });

  it("only warns outside production", () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    checkStartupConfig({ NODE_ENV: "development" });
    expect(exit).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledOnce();
  });
});

import { describe, expect, it } from "vitest";
import { serializeLogRow, type RequestLogRow } from "./request-log";

describe("serializeLogRow", () => {
  it("writes bigints as exact strings, dates as ISO, and fills the columns older receipts lack", () => {
    const row = {
      id: "req_1",
      costNanos: 12_345_678_901_234_567_891n,
      holdNanos: 0n,
      inputTokens: 7,
      ttftMs: null,
      createdAt: new Date(Date.UTC(2026, 11, 1, 2, 3, 4, 5)),
    } as unknown as RequestLogRow;
    expect(JSON.parse(serializeLogRow(row))).toEqual({
      id: "req_1",
      costNanos: "12345678901234567891", // beyond 2^64: never through a float
      holdNanos: "0",
      inputTokens: 7,
      ttftMs: null,
      createdAt: "2026-12-01T02:03:04.005Z",
      cacheWriteInputTokens: 0,
      cacheWriteInputPriceNanos: "0",
    });
    expect(row.costNanos).toBe(12_345_678_901_234_567_891n); // the row itself is left as it was
  });
});

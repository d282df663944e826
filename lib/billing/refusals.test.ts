import { describe, expect, it } from "vitest";
import type { RequestLogRow } from "./request-log";
import { REFUSALS_LOGGED_PER_MINUTE, RefusalLog } from "./refusals";

function refusal(apiKeyId: string, status = 429): RequestLogRow {
  return {
    id: `req_${Math.random()}`,
    organizationId: "org",
    apiKeyId,
    endpoint: "chat.completions",
    modelRequested: "m",
    modelRouted: null,
    upstreamModel: null,
    channelId: null,
    routeReason: null,
    isStream: false,
    status,
    errorCode: "rate_limit_exceeded",
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens: 0,
    inputPriceNanos: 0n,
    cachedInputPriceNanos: 0n,
    outputPriceNanos: 0n,
    holdNanos: 0n,
    costNanos: 0n,
    usageSource: "NONE",
    attempts: 0,
    latencyMs: 0,
    ttftMs: null,
    createdAt: new Date(),
    overageNanos: 0n,
    requestCount: 1,
  };
}

describe("RefusalLog", () => {
  it("writes the first refusals of a minute one by one and the rest as one aggregated receipt per kind", async () => {
    let now = 60_000 * 100 + 5;
    const written: RequestLogRow[] = [];
    const log = new RefusalLog(
      async (row) => void written.push(row),
      () => now,
    );
    for (let i = 0; i < 1_000; i++) await log.record(refusal("k1"));
    for (let i = 0; i < 3; i++) await log.record(refusal("k1", 402));
    expect(written).toHaveLength(REFUSALS_LOGGED_PER_MINUTE);
    await log.flush(); // the minute has not ended: nothing yet
    expect(written).toHaveLength(REFUSALS_LOGGED_PER_MINUTE);
    now += 60_000;
    await log.flush();
    const aggregated = written.slice(REFUSALS_LOGGED_PER_MINUTE);
    expect(aggregated.map((r) => [r.status, r.requestCount]).sort()).toEqual([
      [402, 3],
      [429, 990],
    ]);
    expect(new Set(written.map((r) => r.id)).size).toBe(written.length);
  });

  it("counts each key on its own and starts afresh every minute", async () => {
    let now = 0;
    const written: RequestLogRow[] = [];
    const log = new RefusalLog(
      async (row) => void written.push(row),
      () => now,
    );
    for (let i = 0; i < 15; i++) await log.record(refusal("a"));
    for (let i = 0; i < 5; i++) await log.record(refusal("b"));
    expect(written).toHaveLength(REFUSALS_LOGGED_PER_MINUTE + 5);
    now += 60_000;
    await log.record(refusal("a"));
    expect(written.filter((r) => r.requestCount === 1)).toHaveLength(REFUSALS_LOGGED_PER_MINUTE + 6);
    await log.flush(true);
    expect(written.find((r) => r.requestCount === 5)).toBeTruthy();
  });
});

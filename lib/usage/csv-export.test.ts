import { describe, expect, it } from "vitest";
import { CSV_COLUMNS, csvField, csvRow } from "./csv-export";
import type { RequestLogEntry } from "./request-log";

const entry: RequestLogEntry = {
  id: "req_1",
  createdAt: new Date("2026-11-30T12:00:00.123Z"),
  apiKeyId: "key_1",
  keyName: 'prod, "main"',
  keyPartial: "tf-ab…yz",
  endpoint: "chat.completions",
  modelRequested: "auto",
  modelRouted: "deepseek-v3",
  status: 200,
  errorCode: null,
  inputTokens: 123,
  cachedInputTokens: 4,
  outputTokens: 56,
  costNanos: 33_211n,
  overageNanos: 0n,
  usageSource: "UPSTREAM",
  latencyMs: 800,
  ttftMs: 120,
  requestCount: 1,
};

describe("CSV rows", () => {
  it("have one field per column, exact 9-decimal money and quoted text", () => {
    const row = csvRow(entry);
    expect(row).toBe(
      'req_1,2026-11-30T12:00:00.123Z,"prod, ""main""",key_1,200,auto,deepseek-v3,123,4,56,0.000033211,0.000000000,UPSTREAM,1',
    );
    expect(CSV_COLUMNS).toHaveLength(14);
  });

  it("never let a spreadsheet run a key name as a formula", () => {
    expect(csvField("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvField("+1")).toBe("'+1");
    expect(csvField("@x")).toBe("'@x");
    expect(csvField("plain")).toBe("plain");
    expect(csvField("line\nbreak")).toBe('"line\nbreak"');
  });

  it("leave the key empty for requests without one", () => {
    expect(csvRow({ ...entry, apiKeyId: null, keyName: null, modelRouted: null, requestCount: 42 })).toMatch(
      /^req_1,[^,]+,,,200,auto,,/,
    );
  });
});

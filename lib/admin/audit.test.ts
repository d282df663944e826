import { describe, expect, it } from "vitest";
import { REDACTED, redactForAudit } from "./audit";

describe("redactForAudit", () => {
  it("redacts secret-named fields at any depth and keeps everything else", () => {
    const row = {
      name: "DeepSeek",
      apiKey: "sk-live-abcdef",
      apiKeyEncrypted: "v1:xxxx",
      nested: { password: "hunter2", keyHash: "abc", tokenHash: "def", codes: ["TF-1"], inputTokens: 12 },
      list: [{ secret: "s", maxTokens: 5 }],
      amountNanos: 5n,
      at: new Date("2026-01-01T00:00:00Z"),
      key: "tf-123",
      keyPrefix: "tf-12",
      partialCode: "TF-****-WXYZ",
      empty: null,
    };
    expect(redactForAudit(row)).toEqual({
      name: "DeepSeek",
      apiKey: REDACTED,
      apiKeyEncrypted: REDACTED,
      nested: { password: REDACTED, keyHash: REDACTED, tokenHash: REDACTED, codes: REDACTED, inputTokens: 12 },
      list: [{ secret: REDACTED, maxTokens: 5 }],
      amountNanos: "5",
      at: "2026-01-01T00:00:00.000Z",
      key: REDACTED,
      keyPrefix: "tf-12",
      partialCode: "TF-****-WXYZ",
      empty: null,
    });
  });
});

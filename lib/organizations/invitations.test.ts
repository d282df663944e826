import { randomBytes } from "node:crypto";
import { describe, expect, it, vi } from "vitest";

// Fresh modules per key: the app key is read once per process.
async function withKey(key: string) {
  vi.resetModules();
  vi.stubEnv("TOKENFLOW_ENCRYPTION_KEY", key);
  return import("./invitations");
}

describe("invitation links", () => {
  it("are 32-byte base64url tokens, stable per invitation, different across invitations and keys", async () => {
    const keyA = randomBytes(32).toString("base64");
    const a = await withKey(keyA);
    const token = a.invitationToken("inv_1");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    expect(a.invitationToken("inv_1")).toBe(token);
    expect(a.invitationToken("inv_2")).not.toBe(token);
    expect(a.invitationLink("https://t.example", "inv_1")).toBe(`https://t.example/invite/${token}`);
    expect(a.hashInvitationToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hashInvitationToken(token)).not.toContain(token);

    const b = await withKey(randomBytes(32).toString("base64"));
    expect(b.invitationToken("inv_1")).not.toBe(token);
    vi.unstubAllEnvs();
  });

  it("normalizes emails for comparison", async () => {
    const { normalizeEmail } = await withKey(randomBytes(32).toString("base64"));
    expect(normalizeEmail("  Ada@Example.COM ")).toBe("ada@example.com");
    vi.unstubAllEnvs();
  });
});

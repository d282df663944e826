import * as crypto from "node:crypto";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { CURRENT_PARAMS, hashPassword, needsRehash, verifyPassword } from "./password";

// Records the parameters every scrypt call really ran with (the real scrypt still does the work).
vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  return { ...actual, scrypt: vi.fn(actual.scrypt) };
});
const scryptCalls = () => vi.mocked(crypto.scrypt).mock.calls.map((call) => call[3] as crypto.ScryptOptions);
beforeEach(() => {
  vi.mocked(crypto.scrypt).mockClear();
});

// Hashes take a few hundred ms each on a loaded 2-core machine.
vi.setConfig({ testTimeout: 60_000 });

const LEGACY = { n: 2 ** 15, r: 8, p: 1 }; // what TokenFlow stored before this change

function forged(n: number | string, r: number | string, p: number | string, keyBytes = 32): string {
  const salt = crypto.randomBytes(16).toString("base64url");
  return ["scrypt", n, r, p, salt, crypto.randomBytes(keyBytes).toString("base64url")].join("$");
}

describe("hashPassword / verifyPassword", () => {
  it("hashes with the current parameters, a fresh salt each time, and verifies only the right password", async () => {
    const a = await hashPassword("correct horse");
    const b = await hashPassword("correct horse");
    const { n, r, p } = CURRENT_PARAMS;
    expect(a).toMatch(new RegExp(`^scrypt\\$${n}\\$${r}\\$${p}\\$[\\w-]{22}\\$[\\w-]{43}$`));
    expect(a).not.toBe(b);
    expect(await verifyPassword("correct horse", a)).toBe(true);
    expect(await verifyPassword("correct horsE", a)).toBe(false);
    expect(await verifyPassword("", a)).toBe(false);
  });

  it("follows OWASP's scrypt guidance (N=2^17,r=8,p=1 or an equivalent trade-off)", () => {
    const owaspEquivalents = [
      { n: 2 ** 17, r: 8, p: 1 },
      { n: 2 ** 16, r: 8, p: 2 },
      { n: 2 ** 15, r: 8, p: 3 },
      { n: 2 ** 14, r: 8, p: 5 },
      { n: 2 ** 13, r: 8, p: 10 },
    ];
    expect(owaspEquivalents).toContainEqual(CURRENT_PARAMS);
  });

  it("still verifies hashes made with the old, weaker parameters (alongside one current-cost dummy)", async () => {
    const legacy = await hashPassword("old secret", LEGACY);
    expect(legacy.startsWith("scrypt$32768$8$1$")).toBe(true);
    vi.mocked(crypto.scrypt).mockClear();
    expect(await verifyPassword("old secret", legacy)).toBe(true);
    expect(await verifyPassword("old secreT", legacy)).toBe(false);
    const { n, r, p } = CURRENT_PARAMS;
    expect(scryptCalls()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ N: n, r, p }),
        expect.objectContaining({ N: 2 ** 15, r: 8, p: 1 }),
      ]),
    );
    expect(scryptCalls()).toHaveLength(4);
  });

  it("answers false, without throwing, for a missing or malformed stored hash", async () => {
    for (const stored of [
      null,
      undefined,
      "",
      "plaintext",
      "bcrypt$2b$10$abc",
      "scrypt$32768$8$1$onlysalt",
      "scrypt$32768$8$1$c2FsdHNhbHRzYWx0$aGFzaA$extra",
      "scrypt$32768$8$1$!!notbase64!!$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
      "scrypt$32768$8$1$$",
      "scrypt$abc$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
      forged("0x8000", 8, 1),
      forged("32768.0", 8, 1),
      forged("-32768", 8, 1),
      forged(32768, 8, 1, 4), // a 4-byte key would make a guess far too easy to match
    ]) {
      expect(await verifyPassword("anything", stored), String(stored)).toBe(false);
    }
    expect(scryptCalls()).toHaveLength(14); // one dummy verification each
  });

  it("refuses absurd stored parameters without ever running scrypt with them (no 1 GiB allocation, no minutes of CPU)", async () => {
    const absurd = [
      forged(2 ** 20, 8, 1), // 1 GiB
      forged(2 ** 30, 8, 1), // 128 GiB
      forged(2 ** 17, 64, 1), // r beyond bounds
      forged(2 ** 17, 8, 1000), // minutes of CPU
      forged(2 ** 17, 8, 3), // 3x OWASP's work
      forged(12345, 8, 1), // not a power of two
      forged(1, 8, 1),
      forged("99999999999999999999", 8, 1),
    ];
    for (const stored of absurd) expect(await verifyPassword("anything", stored)).toBe(false);
    // Each one cost exactly one dummy verification at the current parameters, never what the
    // stored parameters asked for.
    const { n, r, p } = CURRENT_PARAMS;
    expect(scryptCalls()).toHaveLength(absurd.length);
    for (const options of scryptCalls()) expect(options).toMatchObject({ N: n, r, p });
  });
});

describe("needsRehash", () => {
  it("is false for a current hash and true for older or odd parameters", async () => {
    expect(needsRehash(await hashPassword("x"))).toBe(false);
    expect(needsRehash(await hashPassword("x", LEGACY))).toBe(true);
    expect(needsRehash(await hashPassword("x", { n: 2 ** 16, r: 8, p: 2 }))).toBe(true);
    expect(needsRehash("garbage")).toBe(true);
  });

  it("upgrade path: verify the legacy hash, re-hash, and the new hash verifies with current parameters", async () => {
    const legacy = await hashPassword("upgrade me", LEGACY);
    expect(await verifyPassword("upgrade me", legacy)).toBe(true);
    expect(needsRehash(legacy)).toBe(true);
    const upgraded = await hashPassword("upgrade me");
    expect(needsRehash(upgraded)).toBe(false);
    expect(await verifyPassword("upgrade me", upgraded)).toBe(true);
    expect(await verifyPassword("upgrade mE", upgraded)).toBe(false);
  });
});

describe("timing", () => {
  it("an unknown account (no hash) costs as much as a wrong password for a real one", async () => {
    const real = await hashPassword("right");
    const time = async (stored: string | null) => {
      const started = performance.now();
      await verifyPassword("wrong", stored);
      return performance.now() - started;
    };
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 5; i++) {
      unknown.push(await time(null));
      wrong.push(await time(real));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    // Without the dummy verification `unknown` would be ~0 ms against ~100+ ms: a loose bound
    // catches that regardless of machine load (the integration test checks the tight bound).
    expect(median(unknown)).toBeGreaterThan(median(wrong) / 2);
  });
});

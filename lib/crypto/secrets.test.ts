import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, lastFour, loadEncryptionKey } from "./secrets";

const KEY_B64 = randomBytes(32).toString("base64");
const key = loadEncryptionKey(KEY_B64);

describe("loadEncryptionKey", () => {
  it("accepts standard and url-safe base64 of 32 bytes", () => {
    const raw = randomBytes(32);
    expect(loadEncryptionKey(raw.toString("base64")).equals(raw)).toBe(true);
    expect(loadEncryptionKey(raw.toString("base64url")).equals(raw)).toBe(true);
    expect(loadEncryptionKey(` ${raw.toString("base64")}\n`).equals(raw)).toBe(true);
  });

  it.each([
    ["16 bytes", randomBytes(16).toString("base64"), /must decode to 32 bytes, got 16/],
    ["33 bytes", randomBytes(33).toString("base64"), /must decode to 32 bytes, got 33/],
    ["empty", "", /is not set/],
    ["not base64", "this is not base64 at all!!!!!!!!!!!!!!!!!!!!!", /not valid base64/],
  ])("refuses %s without echoing the value", (_label, value, message) => {
    let error: Error | undefined;
    try {
      loadEncryptionKey(value);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    if (value) expect(error?.message).not.toContain(value.trim());
  });
});

describe("encryptSecret / decryptSecret", () => {
  it("round-trips, including unicode and empty strings", () => {
    for (const plain of ["sk-abc123", "", "密钥🔑 with spaces", "x".repeat(10_000)]) {
      expect(decryptSecret(encryptSecret(plain, key), key)).toBe(plain);
    }
  });

  it("round-trips arbitrary strings (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (plain) => decryptSecret(encryptSecret(plain, key), key) === plain),
    );
  });

  it("uses the v1:<iv>:<tag>:<ciphertext> format with a 12-byte IV and does not contain the plaintext", () => {
    const stored = encryptSecret("sk-live-secret", key);
    const [version, iv, tag, ciphertext] = stored.split(":");
    expect(version).toBe("v1");
    expect(Buffer.from(iv, "base64url")).toHaveLength(12);
    expect(Buffer.from(tag, "base64url")).toHaveLength(16);
    expect(Buffer.from(ciphertext, "base64url")).toHaveLength("sk-live-secret".length);
    expect(stored).toMatch(/^v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/);
    expect(stored).not.toContain("sk-live-secret");
  });

  it("uses a fresh IV each time", () => {
    const ivs = new Set(Array.from({ length: 200 }, () => encryptSecret("same", key).split(":")[1]));
    expect(ivs.size).toBe(200);
    expect(encryptSecret("same", key)).not.toBe(encryptSecret("same", key));
  });

  it("detects tampering in every part", () => {
    const stored = encryptSecret("sk-abcdef", key);
    const parts = stored.split(":");
    for (const index of [1, 2, 3]) {
      const bytes = Buffer.from(parts[index], "base64url");
      bytes[0] ^= 0x01;
      const tampered = [...parts];
      tampered[index] = bytes.toString("base64url");
      expect(() => decryptSecret(tampered.join(":"), key)).toThrow(/wrong key or tampered data/);
    }
  });

  it("fails with the wrong key", () => {
    const stored = encryptSecret("sk-abcdef", key);
    expect(() => decryptSecret(stored, randomBytes(32))).toThrow(/wrong key or tampered data/);
  });

  it.each([
    "",
    "sk-plaintext",
    "v2:a:b:c",
    "v1:a:b",
    "v1:!!:b:c",
    // truncated tag (GCM would otherwise accept shorter tags)
    (() => {
      const [v, iv, tag, ct] = encryptSecret("sk", key).split(":");
      return [v, iv, Buffer.from(tag, "base64url").subarray(0, 8).toString("base64url"), ct].join(":");
    })(),
  ])("rejects malformed stored value %#", (stored) => {
    expect(() => decryptSecret(stored, key)).toThrow();
  });

  it("refuses keys of the wrong length", () => {
    expect(() => encryptSecret("x", randomBytes(16))).toThrow(/32 bytes/);
    expect(() => decryptSecret(encryptSecret("x", key), randomBytes(31))).toThrow(/32 bytes/);
  });
});

describe("lastFour", () => {
  it("returns the last four characters of a real-length secret", () => {
    expect(lastFour("sk-1234567890abcd")).toBe("abcd");
    expect(lastFour("12345678")).toBe("5678");
    expect(lastFour("sk-密钥密钥🔑🔑ab")).toBe("🔑🔑ab");
  });

  it("reveals nothing for short secrets", () => {
    expect(lastFour("")).toBe("");
    expect(lastFour("abc")).toBe("");
    expect(lastFour("1234567")).toBe("");
  });
});

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

// Channel API keys at rest (DESIGN §8): AES-256-GCM, key from TOKENFLOW_ENCRYPTION_KEY.
// Format: v1:<iv>:<tag>:<ciphertext>, all base64url. The version prefix lets a later key rotation or
// algorithm change coexist with rows written today. GCM authenticates, so any edit to a stored value
// (or the wrong key) makes decryption throw instead of returning garbage.

const VERSION = "v1";
const ALGORITHM = "aes-256-gcm";
const KEY_BYTES = 32;
const IV_BYTES = 12; // the GCM-recommended nonce size; random per secret (2^-32 collision risk only after ~2^32 encryptions per key)
const TAG_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/\-_]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9\-_]*$/;

/**
 * Decodes TOKENFLOW_ENCRYPTION_KEY (standard or url-safe base64) to exactly 32 bytes.
 * Errors describe the problem (length, encoding) and never echo the value.
 */
export function loadEncryptionKey(base64: string): Buffer {
  const text = (base64 ?? "").trim();
  if (!text) throw new Error("TOKENFLOW_ENCRYPTION_KEY is not set; generate one with: openssl rand -base64 32");
  // Buffer.from(…, "base64") silently skips invalid characters, so validate the alphabet first.
  if (!BASE64.test(text)) throw new Error("TOKENFLOW_ENCRYPTION_KEY is not valid base64");
  const key = Buffer.from(text, "base64");
  if (key.length !== KEY_BYTES) {
    throw new Error(
      `TOKENFLOW_ENCRYPTION_KEY must decode to ${KEY_BYTES} bytes, got ${key.length}; generate one with: openssl rand -base64 32`,
    );
  }
  return key;
}

export function encryptSecret(plain: string, key: Buffer): string {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv);
  const ciphertext = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString("base64url"), tag.toString("base64url"), ciphertext.toString("base64url")].join(":");
}

/** Throws (without details that could help an attacker or leak data) on any malformed, tampered or wrong-key input. */
export function decryptSecret(stored: string, key: Buffer): string {
  assertKey(key);
  const parts = typeof stored === "string" ? stored.split(":") : [];
  if (parts.length !== 4 || parts[0] !== VERSION || !parts.slice(1).every((p) => BASE64URL.test(p))) {
    throw new Error("encrypted secret has an unknown format");
  }
  const iv = Buffer.from(parts[1], "base64url");
  const tag = Buffer.from(parts[2], "base64url");
  const ciphertext = Buffer.from(parts[3], "base64url");
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error("encrypted secret has an unknown format");
  try {
    // authTagLength pins the tag size so a truncated tag cannot be accepted.
    const decipher = createDecipheriv(ALGORITHM, key, iv, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch {
    throw new Error("could not decrypt secret: wrong key or tampered data");
  }
}

/**
 * The last four characters, for "sk-…abcd" hints in the admin UI. Secrets shorter than 8 characters
 * give "" so the hint never reveals half or more of a key.
 */
export function lastFour(secret: string): string {
  const chars = Array.from(secret ?? ""); // code points, so a hint never splits a surrogate pair
  return chars.length < 8 ? "" : chars.slice(-4).join("");
}

function assertKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new Error(`encryption key must be ${KEY_BYTES} bytes (use loadEncryptionKey)`);
  }
}

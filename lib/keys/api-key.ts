import { createHash, randomBytes } from "node:crypto";

// tf- + 32 base62-ish chars from 24 random bytes (192 bits). Only the hash is stored.
const KEY_PREFIX = "tf-";

export interface NewApiKey {
  key: string; // shown once, never stored
  keyHash: string;
  partialKey: string;
}

export function generateApiKey(): NewApiKey {
  const key = KEY_PREFIX + randomBytes(24).toString("base64url");
  return { key, keyHash: hashApiKey(key), partialKey: partialOf(key) };
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function looksLikeApiKey(value: string): boolean {
  return value.startsWith(KEY_PREFIX) && value.length >= 20 && value.length <= 200;
}

function partialOf(key: string): string {
  return `${key.slice(0, 7)}…${key.slice(-4)}`;
}

import { createHash } from "node:crypto";
import { getPool } from "@/lib/db/pool";

// Sessions are JWTs (no session table), so "sign out everywhere after a password change" works by
// fingerprint: a session carries a short digest of the password hash it was opened with, and stops
// being valid once the stored hash differs (a reset, a change, or an admin setting one). Digest,
// never the hash itself, though the token is encrypted anyway.

export function passwordVersion(passwordHash: string | null | undefined): string {
  return createHash("sha256")
    .update(passwordHash ?? "no-password")
    .digest("base64url")
    .slice(0, 16);
}

/**
 * Whether a session opened with `version` still matches the user's password. A database error
 * answers true: the caller (getSessionUser) reads the user again anyway and fails on its own, and a
 * blip must not sign everyone out.
 */
export async function isSessionCurrent(userId: string, version: unknown): Promise<boolean> {
  if (typeof version !== "string") return false;
  try {
    const { rows } = await getPool().query<{ passwordHash: string | null }>(
      `SELECT "passwordHash" FROM "User" WHERE id = $1`,
      [userId],
    );
    return rows.length > 0 && passwordVersion(rows[0].passwordHash) === version;
  } catch {
    return true;
  }
}

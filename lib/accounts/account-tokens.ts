import { createHash, randomBytes } from "node:crypto";
import type { Pool, PoolClient } from "pg";

// One-time links mailed to a user (email verification, password reset), kept in next-auth's
// VerificationToken table: identifier = "<purpose>:<userId>", token = sha256 of the link's secret
// (32 random bytes). A database leak therefore reveals no usable link. A new link replaces the
// user's earlier ones of the same purpose; using a link deletes it, in the same statement that
// reads it, so it works once even when clicked twice at the same moment.

export type AccountTokenPurpose = "verify-email" | "reset-password";

type Db = Pool | PoolClient;

export function hashAccountToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A new link secret for `userId`, valid `ttlSeconds`; earlier ones of this purpose stop working. */
export async function issueAccountToken(
  db: Db,
  purpose: AccountTokenPurpose,
  userId: string,
  ttlSeconds: number,
): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  const identifier = `${purpose}:${userId}`;
  await db.query(`DELETE FROM "VerificationToken" WHERE identifier = $1`, [identifier]);
  await db.query(
    `INSERT INTO "VerificationToken" (identifier, token, expires)
     VALUES ($1, $2, (now() AT TIME ZONE 'UTC') + make_interval(secs => $3))`,
    [identifier, hashAccountToken(token), ttlSeconds],
  );
  return token;
}

/** Whether `token` is a live link of this purpose (without using it up): for showing the form. */
export async function isAccountTokenLive(db: Db, purpose: AccountTokenPurpose, token: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM "VerificationToken"
      WHERE token = $1 AND starts_with(identifier, $2) AND expires > (now() AT TIME ZONE 'UTC')`,
    [hashAccountToken(token), `${purpose}:`],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Uses up `token`: the user id it was issued for, or null when it is unknown, used or expired. An
 * expired link stays (a pending email verification still blocks sign-in) until a new one replaces it.
 */
export async function consumeAccountToken(db: Db, purpose: AccountTokenPurpose, token: string): Promise<string | null> {
  if (!token || token.length > 200) return null;
  const { rows } = await db.query<{ identifier: string }>(
    `DELETE FROM "VerificationToken"
      WHERE token = $1 AND starts_with(identifier, $2) AND expires > (now() AT TIME ZONE 'UTC')
     RETURNING identifier`,
    [hashAccountToken(token), `${purpose}:`],
  );
  return rows[0] ? rows[0].identifier.slice(purpose.length + 1) : null;
}

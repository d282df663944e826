import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { getPool } from "@/lib/db/pool";
import { passwordProblem } from "./password-policy";

// The signed-in user's own account (/dashboard/account): name and password.

export interface AccountProfile {
  id: string;
  email: string;
  name: string | null;
  hasPassword: boolean;
  emailVerified: Date | null;
  createdAt: Date;
}

export async function getAccountProfile(userId: string): Promise<AccountProfile | null> {
  const { rows } = await getPool().query<AccountProfile>(
    `SELECT id, email, name, "passwordHash" IS NOT NULL AS "hasPassword", "emailVerified", "createdAt"
       FROM "User" WHERE id = $1 AND "disabledAt" IS NULL`,
    [userId],
  );
  return rows[0] ?? null;
}

export async function updateAccountName(userId: string, name: string): Promise<void> {
  await getPool().query(`UPDATE "User" SET name = $2, "updatedAt" = CURRENT_TIMESTAMP WHERE id = $1`, [
    userId,
    name || null,
  ]);
}

export type ChangePasswordResult =
  { ok: true; passwordHash: string } | { ok: false; field: "currentPassword" | "newPassword"; message: string };

/**
 * Replaces the password after checking the current one. Compare-and-set on the old hash, so two
 * changes at once cannot both win. The caller re-issues this session (others end: see options.ts).
 */
export async function changePassword(
  userId: string,
  currentPassword: string,
  newPassword: string,
): Promise<ChangePasswordResult> {
  const pool = getPool();
  const { rows } = await pool.query<{ passwordHash: string | null }>(
    `SELECT "passwordHash" FROM "User" WHERE id = $1 AND "disabledAt" IS NULL`,
    [userId],
  );
  const stored = rows[0]?.passwordHash;
  if (!(await verifyPassword(currentPassword, stored)) || !stored) {
    return { ok: false, field: "currentPassword", message: "The current password is not right." };
  }
  const problem = passwordProblem(newPassword);
  if (problem) return { ok: false, field: "newPassword", message: problem };
  if (newPassword === currentPassword) {
    return { ok: false, field: "newPassword", message: "Choose a password different from the current one." };
  }
  const passwordHash = await hashPassword(newPassword);
  const updated = await pool.query(
    `UPDATE "User" SET "passwordHash" = $3, "updatedAt" = CURRENT_TIMESTAMP WHERE id = $1 AND "passwordHash" = $2`,
    [userId, stored, passwordHash],
  );
  if (!updated.rowCount) {
    return { ok: false, field: "currentPassword", message: "Your password changed meanwhile: sign in again." };
  }
  return { ok: true, passwordHash };
}

import { hashPassword } from "@/lib/auth/password";
import { getPool } from "@/lib/db/pool";
import { sendEmail } from "@/lib/email/send";
import { forgetAllKeys } from "@/lib/gateway/auth";
import { consumeAccountToken, issueAccountToken, isAccountTokenLive } from "./account-tokens";
import { revokeWhatAnUnprovenHolderLeft } from "./claim";
import { siteBaseUrl } from "./links";
import { passwordProblem } from "./password-policy";
import { passwordResetThrottleChecks, takeFromBudget } from "./throttles";
import { logger } from "@/lib/log";

const log = logger("accounts");

// "Forgot password": whoever asks gets the same answer whether or not the address has an account
// (no enumeration); an account gets a link valid for an hour that works once. Setting the new
// password also verifies the address (the link proved it) and ends every other session (the
// session check in lib/auth/options.ts compares a fingerprint of the password hash).

export const PASSWORD_RESET_TTL_SECONDS = 3600;

export const FORGOT_PASSWORD_ANSWER =
  "If an account exists for that address, we sent it a link to choose a new password. It works once, for one hour.";

/** Mails a reset link when `email` (normalised) belongs to an active account. Answers nothing either way. */
export async function requestPasswordReset(email: string, clientIp: string): Promise<void> {
  // Over budget: silently no email, so the answer is still the same.
  if (!(await takeFromBudget(passwordResetThrottleChecks(email, clientIp)))) return;
  const pool = getPool();
  const { rows } = await pool.query<{ id: string; email: string }>(
    `SELECT id, email FROM "User" WHERE lower(email) = $1 AND "disabledAt" IS NULL`,
    [email],
  );
  const user = rows[0];
  if (!user) return;
  const token = await issueAccountToken(pool, "reset-password", user.id, PASSWORD_RESET_TTL_SECONDS);
  const link = `${siteBaseUrl()}/reset-password?token=${encodeURIComponent(token)}`;
  // Not awaited: an SMTP round trip would make an existing account answer measurably later than an
  // unknown address. (Without SMTP the .eml is written before sendEmail first yields.)
  void sendEmail({
    to: user.email,
    subject: "Reset your TokenFlow password",
    text: [
      "Someone (hopefully you) asked to reset the password of your TokenFlow account.",
      "",
      "Choose a new password here:",
      link,
      "",
      "The link works once, for one hour. If you did not ask for it, ignore this email: your password stays as it is.",
    ].join("\n"),
  }).catch((err: Error) => log.error({ err }, "password reset email failed"));
}

export async function isPasswordResetLinkLive(token: string): Promise<boolean> {
  if (!token || token.length > 200) return false;
  return isAccountTokenLive(getPool(), "reset-password", token);
}

export type ResetPasswordResult =
  // revokedKeys: the keys of an account whose address this link was the first proof of (claim.ts).
  | { ok: true; email: string; revokedKeys: number }
  | { ok: false; reason: "invalid_link" | "weak_password"; message: string };

/** Sets a new password with a reset link, using the link up. */
export async function resetPassword(token: string, newPassword: string): Promise<ResetPasswordResult> {
  const problem = passwordProblem(newPassword);
  // Checked before the link is used, so a refused password does not cost the link.
  if (problem) return { ok: false, reason: "weak_password", message: problem };
  const passwordHash = await hashPassword(newPassword);
  const client = await getPool().connect();
  try {
    await client.query("BEGIN");
    const userId = await consumeAccountToken(client, "reset-password", token);
    const { rows } = userId
      ? await client.query<{ email: string; unverified: boolean }>(
          `UPDATE "User" u
              SET "passwordHash" = $2, "emailVerified" = COALESCE(u."emailVerified", CURRENT_TIMESTAMP),
                  "updatedAt" = CURRENT_TIMESTAMP
             FROM (SELECT id, "emailVerified" IS NULL AS unverified FROM "User" WHERE id = $1 FOR UPDATE) before
            WHERE u.id = before.id AND u."disabledAt" IS NULL
          RETURNING u.email, before.unverified`,
          [userId, passwordHash],
        )
      : { rows: [] };
    if (!rows[0]) {
      await client.query("ROLLBACK");
      return {
        ok: false,
        reason: "invalid_link",
        message: "This link has expired or was already used. Ask for a new one.",
      };
    }
    // The link proved the address: a pending verification is done.
    await client.query(`DELETE FROM "VerificationToken" WHERE identifier = $1`, [`verify-email:${userId}`]);
    const revokedKeys = rows[0].unverified ? await revokeWhatAnUnprovenHolderLeft(client, userId!) : 0;
    await client.query("COMMIT");
    if (revokedKeys > 0) forgetAllKeys();
    return { ok: true, email: rows[0].email, revokedKeys };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

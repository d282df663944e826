import type { Pool, PoolClient } from "pg";
import { getPool } from "@/lib/db/pool";
import { sendEmail } from "@/lib/email/send";
import { consumeAccountToken, issueAccountToken } from "./account-tokens";
import { siteBaseUrl } from "./links";

// Email verification (when the platform setting signup.emailVerification is on): a new account gets
// a link; until it is used the account cannot sign in (lib/auth/sign-in.ts checks for a pending
// link). An expired link can be replaced through "Forgot password": a reset proves the address too.

export const EMAIL_VERIFICATION_TTL_SECONDS = 24 * 3600;

export async function issueEmailVerification(db: Pool | PoolClient, userId: string): Promise<string> {
  return issueAccountToken(db, "verify-email", userId, EMAIL_VERIFICATION_TTL_SECONDS);
}

export async function sendVerificationEmail(email: string, token: string): Promise<void> {
  const link = `${siteBaseUrl()}/verify-email?token=${encodeURIComponent(token)}`;
  await sendEmail({
    to: email,
    subject: "Confirm your email address for TokenFlow",
    text: [
      "Welcome to TokenFlow.",
      "",
      "Confirm your email address to finish creating your account:",
      link,
      "",
      "The link works once, for 24 hours. If you did not sign up, ignore this email.",
    ].join("\n"),
  });
}

/** Uses a verification link: true when it was live (the address is now verified). */
export async function verifyEmail(token: string): Promise<boolean> {
  const client = await getPool().connect();
  try {
    await client.query("BEGIN");
    const userId = await consumeAccountToken(client, "verify-email", token);
    if (userId) {
      await client.query(
        `UPDATE "User" SET "emailVerified" = COALESCE("emailVerified", CURRENT_TIMESTAMP), "updatedAt" = CURRENT_TIMESTAMP
          WHERE id = $1`,
        [userId],
      );
    }
    await client.query("COMMIT");
    return userId !== null;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

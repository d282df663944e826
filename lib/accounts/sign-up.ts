import { randomUUID } from "node:crypto";
import type { PoolClient } from "pg";
import { z } from "zod";
import { hashPassword } from "@/lib/auth/password";
import { creditOrganization } from "@/lib/billing/credits";
import { getPool } from "@/lib/db/pool";
import { createOrganization, personalOrganizationName } from "@/lib/organizations/create";
import { getPlatformSettings } from "@/lib/settings/platform";
import { issueEmailVerification, sendVerificationEmail } from "./email-verification";
import { passwordProblem } from "./password-policy";
import { signupThrottleChecks, takeFromBudget } from "./throttles";
import { logger } from "@/lib/log";

const log = logger("accounts");

// Creating an account at /signup: the user, their personal organization (they own it), the
// platform's starting credit on it (through tf_credit, idempotent by user id), and, when the
// platform asks for it, an email-verification link. All rows in one transaction: a failure leaves
// no half-made account behind.

// Names show in member lists and emails: no control, format (bidi) or line-separator characters.
const UNSAFE_TEXT = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(320, "Use an email address of at most 320 characters.")
  .email("Enter a valid email address.");

export const displayNameSchema = z
  .string()
  .trim()
  .max(100, "Use at most 100 characters.")
  .refine((name) => !UNSAFE_TEXT.test(name), "Use letters, digits, spaces and punctuation only.");

export const signUpSchema = z
  .object({
    email: emailSchema,
    name: displayNameSchema,
    password: z.string().max(1024),
    confirmPassword: z.string().max(1024),
  })
  .superRefine((input, ctx) => {
    const problem = passwordProblem(input.password);
    if (problem) ctx.addIssue({ code: "custom", path: ["password"], message: problem });
    else if (input.password !== input.confirmPassword) {
      ctx.addIssue({ code: "custom", path: ["confirmPassword"], message: "The passwords do not match." });
    }
  });

export type SignUpInput = z.infer<typeof signUpSchema>;

export type SignUpResult =
  | { ok: true; userId: string; organizationId: string; needsEmailVerification: boolean }
  | { ok: false; reason: "closed" | "throttled" | "email_taken"; message: string };

export const SIGN_UP_MESSAGES = {
  closed: "Sign-up is closed on this TokenFlow. Ask an administrator for an invitation.",
  throttled: "Too many sign-ups from this address, try again later.",
  email_taken: "An account with this email address already exists. Sign in, or reset your password.",
} as const;

const refuse = (reason: keyof typeof SIGN_UP_MESSAGES): SignUpResult => ({
  ok: false,
  reason,
  message: SIGN_UP_MESSAGES[reason],
});

/** Creates the account for validated input, from the client address given (for the throttle). */
export async function signUp(input: SignUpInput, clientIp: string): Promise<SignUpResult> {
  const settings = await getPlatformSettings();
  if (!settings.signupOpen) return refuse("closed");
  // Counted before the email check: every attempt that could create an account (or tell that an
  // address has one) spends from the address's budget.
  if (!(await takeFromBudget(signupThrottleChecks(clientIp)))) return refuse("throttled");

  const pool = getPool();
  const taken = await pool.query(`SELECT 1 FROM "User" WHERE lower(email) = $1`, [input.email]);
  if (taken.rowCount) return refuse("email_taken");

  const passwordHash = await hashPassword(input.password);
  const client = await pool.connect();
  let created: CreatedAccount | null;
  let verificationToken: string | null = null;
  try {
    await client.query("BEGIN");
    created = await createAccount(client, {
      email: input.email,
      name: input.name,
      passwordHash,
      isEmailVerified: false,
      signupCreditNanos: settings.signupCreditNanos,
    });
    if (created && settings.signupEmailVerification) {
      verificationToken = await issueEmailVerification(client, created.userId);
    }
    await client.query(created ? "COMMIT" : "ROLLBACK");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  if (!created) return refuse("email_taken"); // the same address signed up a moment ago

  if (verificationToken) {
    // The account exists either way; without the email, "Forgot password" also verifies the address.
    await sendVerificationEmail(input.email, verificationToken).catch((err: Error) =>
      log.error({ err }, "verification email not sent"),
    );
  }
  return { ok: true, ...created, needsEmailVerification: verificationToken !== null };
}

export interface CreatedAccount {
  userId: string;
  organizationId: string;
}

/**
 * Inside the caller's transaction: the user, their personal organization and its starting credit.
 * Null when the email address is taken (nothing written).
 */
export async function createAccount(
  client: PoolClient,
  account: {
    email: string;
    name: string | null;
    passwordHash: string | null;
    isEmailVerified: boolean;
    signupCreditNanos: bigint;
  },
): Promise<CreatedAccount | null> {
  const userId = `user_${randomUUID().replace(/-/g, "")}`;
  const inserted = await client.query(
    `INSERT INTO "User" (id, email, name, "passwordHash", role, "emailVerified", "createdAt", "updatedAt")
     VALUES ($1, $2, $3, $4, 'USER', CASE WHEN $5 THEN CURRENT_TIMESTAMP END, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)
     ON CONFLICT (email) DO NOTHING`,
    [userId, account.email, account.name || null, account.passwordHash, account.isEmailVerified],
  );
  if (!inserted.rowCount) return null;
  const { id: organizationId } = await createOrganization(client, {
    name: personalOrganizationName(account.email, account.name),
    ownerUserId: userId,
    personal: true,
  });
  if (account.signupCreditNanos > 0n) {
    await creditOrganization(client, {
      organizationId,
      amountNanos: account.signupCreditNanos,
      kind: "SIGNUP_CREDIT",
      reference: userId, // one starting credit per user, whatever replays
      note: "Starting credit",
      actorUserId: userId,
    });
  }
  return { userId, organizationId };
}

import { getPool } from "@/lib/db/pool";
import { forgetAllKeys } from "@/lib/gateway/auth";
import { getPlatformSettings } from "@/lib/settings/platform";
import { revokeWhatAnUnprovenHolderLeft } from "./claim";
import { createAccount, emailSchema } from "./sign-up";

// What an OAuth sign-in (GitHub, Google; lib/auth/oauth-providers.ts) means for our accounts:
// 1. a provider account we know → its user;
// 2. else, only with an address the provider says is verified: the user with that address (linked
//    from now on), or a new user with a personal organization and the starting credit, when
//    sign-up is open.
// Never links by an unverified address: whoever controls the provider account could otherwise
// take over the account of the address's real owner. The other way round, an account someone
// signed up for with an address they did not verify loses its password, keys and invitations when
// its owner claims it (claim.ts).

export interface OAuthIdentity {
  provider: string;
  providerAccountId: string;
  email: string | null | undefined;
  isEmailVerified: boolean;
  name: string | null | undefined;
}

/** Why an OAuth sign-in was refused; also the ?error= code /login explains. */
export type OAuthRefusal = "OAuthEmailUnverified" | "SignupClosed" | "AccountDisabled";

export const OAUTH_REFUSAL_MESSAGES: Record<OAuthRefusal, string> = {
  OAuthEmailUnverified:
    "That provider did not confirm a verified email address for your account. Verify it there, or sign in with your password.",
  SignupClosed: "Sign-up is closed on this TokenFlow, and no account uses that email address.",
  AccountDisabled: "This account is disabled.",
};

export type OAuthSignInResult = { ok: true; userId: string } | { ok: false; refusal: OAuthRefusal };

export async function resolveOAuthSignIn(identity: OAuthIdentity): Promise<OAuthSignInResult> {
  const pool = getPool();
  const linked = await findUserForOAuthAccount(identity.provider, identity.providerAccountId);
  if (linked) return linked.disabled ? { ok: false, refusal: "AccountDisabled" } : { ok: true, userId: linked.id };

  const email = emailSchema.safeParse(identity.email ?? "");
  if (!identity.isEmailVerified || !email.success) return { ok: false, refusal: "OAuthEmailUnverified" };

  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const existing = await client.query<{ id: string; disabled: boolean; unverified: boolean }>(
      `SELECT id, "disabledAt" IS NOT NULL AS disabled, "emailVerified" IS NULL AS unverified
         FROM "User" WHERE lower(email) = $1 FOR UPDATE`,
      [email.data],
    );
    let userId = existing.rows[0]?.id;
    let revokedKeys = 0;
    if (existing.rows[0]?.disabled) {
      await client.query("ROLLBACK");
      return { ok: false, refusal: "AccountDisabled" };
    }
    if (userId) {
      // The provider vouched for the address, so it is verified here too. A password set on an
      // account whose address was never verified was set by someone who never proved they own it
      // (anyone can sign up with another's address): it goes, and with it every session it opened
      // (their fingerprint no longer matches). The owner signs in with the provider, or sets a
      // password through "Forgot password".
      await client.query(
        `UPDATE "User" SET "passwordHash" = CASE WHEN "emailVerified" IS NULL THEN NULL ELSE "passwordHash" END,
                "emailVerified" = COALESCE("emailVerified", CURRENT_TIMESTAMP)
          WHERE id = $1`,
        [userId],
      );
      await client.query(`DELETE FROM "VerificationToken" WHERE identifier = $1`, [`verify-email:${userId}`]);
      if (existing.rows[0].unverified) revokedKeys = await revokeWhatAnUnprovenHolderLeft(client, userId);
    } else {
      const settings = await getPlatformSettings(client);
      if (!settings.signupOpen) {
        await client.query("ROLLBACK");
        return { ok: false, refusal: "SignupClosed" };
      }
      const created = await createAccount(client, {
        email: email.data,
        name: identity.name?.trim().slice(0, 100) || null,
        passwordHash: null,
        isEmailVerified: true,
        signupCreditNanos: settings.signupCreditNanos,
      });
      if (!created) throw new Error("the email address was taken during OAuth sign-up");
      userId = created.userId;
    }
    await client.query(
      `INSERT INTO "Account" (id, "userId", type, provider, "providerAccountId")
       VALUES ('acc_' || md5(random()::text || clock_timestamp()::text), $1, 'oauth', $2, $3)
       ON CONFLICT (provider, "providerAccountId") DO NOTHING`,
      [userId, identity.provider, identity.providerAccountId],
    );
    await client.query("COMMIT");
    if (revokedKeys > 0) forgetAllKeys();
    return { ok: true, userId };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export async function findUserForOAuthAccount(
  provider: string,
  providerAccountId: string,
): Promise<{ id: string; passwordHash: string | null; disabled: boolean } | null> {
  const { rows } = await getPool().query<{ id: string; passwordHash: string | null; disabled: boolean }>(
    `SELECT u.id, u."passwordHash", u."disabledAt" IS NOT NULL AS disabled
       FROM "Account" a JOIN "User" u ON u.id = a."userId"
      WHERE a.provider = $1 AND a."providerAccountId" = $2`,
    [provider, providerAccountId],
  );
  return rows[0] ?? null;
}

import type pg from "pg";
import { log } from "@/lib/log";

/**
 * When the owner of an address claims an account whose address was never verified (a provider
 * sign-in vouching for it, or a reset link mailed to it), whoever held that account before may
 * have been someone else: with verification off, anyone can sign up with another person's address.
 * The password already goes (or is replaced); this revokes what that holder could have left
 * behind: the API keys the account created, in any organization (a key would spend the owner's
 * money), and its pending invitations. The owner makes new keys in a minute.
 * Runs in the claim's transaction; the caller drops cached keys (forgetAllKeys) after it commits.
 */
export async function revokeWhatAnUnprovenHolderLeft(client: pg.PoolClient, userId: string): Promise<number> {
  const keys = await client.query(
    `UPDATE "ApiKey" SET "revokedAt" = (now() AT TIME ZONE 'UTC') WHERE "createdById" = $1 AND "revokedAt" IS NULL`,
    [userId],
  );
  await client.query(
    `UPDATE "Invitation" SET "revokedAt" = (now() AT TIME ZONE 'UTC')
      WHERE "invitedById" = $1 AND "acceptedAt" IS NULL AND "revokedAt" IS NULL`,
    [userId],
  );
  const revokedKeys = keys.rowCount ?? 0;
  if (revokedKeys > 0)
    log.info({ userId, revokedKeys }, "an unverified account was claimed: its API keys were revoked");
  return revokedKeys;
}

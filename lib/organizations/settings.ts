import { ApiError } from "@/lib/api/errors";
import { MAX_BALANCE_NANOS } from "@/lib/billing/credits";
import { getPool, withTransaction } from "@/lib/db/pool";
import { forgetAllKeys } from "@/lib/gateway/auth";
import type { MembershipRole } from "@/lib/tenancy/context";
import { organizationNotFound, requireRole, type OrgActor } from "./access";
import { createOrganization } from "./create";

// Organization settings. Any member reads them; admins rename; owners set the low-balance alert
// and delete the organization (not a personal one: every user keeps the workspace they signed up
// with). Deleting is soft (deletedAt): nobody can reach it any more, its keys are revoked so the
// gateway refuses them at once, and its books (ledger, receipts, payments) stay for the operator.

export const MAX_ORGANIZATION_NAME = 100;

export interface OrganizationSettings {
  id: string;
  name: string;
  personal: boolean;
  role: MembershipRole;
  balanceNanos: bigint;
  heldNanos: bigint;
  lowBalanceThresholdNanos: bigint | null;
  createdAt: Date;
  memberCount: number;
}

export async function getOrganizationSettings(actor: OrgActor): Promise<OrganizationSettings> {
  const role = await requireRole(actor, "MEMBER");
  const { rows } = await getPool().query<Omit<OrganizationSettings, "role">>(
    `SELECT o.id, o.name, o.personal, o."balanceNanos", o."heldNanos", o."lowBalanceThresholdNanos", o."createdAt",
            (SELECT count(*)::int FROM "Membership" m WHERE m."organizationId" = o.id) AS "memberCount"
       FROM "Organization" o WHERE o.id = $1 AND o."deletedAt" IS NULL`,
    [actor.organizationId],
  );
  if (!rows[0]) throw organizationNotFound();
  return { ...rows[0], role };
}

// Control characters, line/paragraph separators and bidi overrides would garble lists and emails.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

export function cleanOrganizationName(name: string): string {
  const clean = name.replace(/[ \t\r\n]+/g, " ").trim();
  if (!clean) throw new ApiError("validation_error", "Enter a name.", { field: "name" });
  if (UNPRINTABLE.test(clean)) {
    throw new ApiError("validation_error", "Use letters, digits, spaces and punctuation only.", { field: "name" });
  }
  if (clean.length > MAX_ORGANIZATION_NAME) {
    throw new ApiError("validation_error", `Use at most ${MAX_ORGANIZATION_NAME} characters.`, { field: "name" });
  }
  return clean;
}

export async function renameOrganization(actor: OrgActor, name: string): Promise<string> {
  const clean = cleanOrganizationName(name);
  await requireRole(actor, "ADMIN");
  await getPool().query(
    `UPDATE "Organization" SET name = $2, "updatedAt" = (now() AT TIME ZONE 'UTC') WHERE id = $1 AND "deletedAt" IS NULL`,
    [actor.organizationId, clean],
  );
  return clean;
}

/**
 * The owner's low-balance alert (null turns it off). Settlement notes a crossing (balance + held
 * going from at or above it to below it) and the notification outbox emails the owners once.
 */
export async function setLowBalanceThreshold(actor: OrgActor, thresholdNanos: bigint | null): Promise<void> {
  if (thresholdNanos !== null && (thresholdNanos <= 0n || thresholdNanos > MAX_BALANCE_NANOS)) {
    throw new ApiError("validation_error", "Enter an amount above $0.", { field: "threshold" });
  }
  await requireRole(actor, "OWNER");
  await getPool().query(
    `UPDATE "Organization" SET "lowBalanceThresholdNanos" = $2::bigint, "updatedAt" = (now() AT TIME ZONE 'UTC')
      WHERE id = $1 AND "deletedAt" IS NULL`,
    [actor.organizationId, thresholdNanos?.toString() ?? null],
  );
}

/** Soft-deletes the organization once its exact name is typed; returns how many keys were revoked. */
export async function deleteOrganization(actor: OrgActor, confirmName: string): Promise<{ revokedKeys: number }> {
  const revoked = await withTransaction(async (client) => {
    await requireRole(actor, "OWNER", client);
    const { rows } = await client.query<{ name: string; personal: boolean }>(
      `SELECT name, personal FROM "Organization" WHERE id = $1 AND "deletedAt" IS NULL FOR UPDATE`,
      [actor.organizationId],
    );
    const org = rows[0];
    if (!org) throw organizationNotFound();
    if (org.personal) {
      throw new ApiError("conflict", "Your personal workspace cannot be deleted.");
    }
    if (confirmName.trim() !== org.name) {
      throw new ApiError("validation_error", "Type the organization's name exactly to confirm.", {
        field: "confirmName",
      });
    }
    await client.query(
      `UPDATE "Organization" SET "deletedAt" = (now() AT TIME ZONE 'UTC'), "updatedAt" = (now() AT TIME ZONE 'UTC')
        WHERE id = $1`,
      [actor.organizationId],
    );
    await client.query(
      `UPDATE "Invitation" SET "revokedAt" = (now() AT TIME ZONE 'UTC')
        WHERE "organizationId" = $1 AND "acceptedAt" IS NULL AND "revokedAt" IS NULL`,
      [actor.organizationId],
    );
    const keys = await client.query(
      `UPDATE "ApiKey" SET "revokedAt" = (now() AT TIME ZONE 'UTC') WHERE "organizationId" = $1 AND "revokedAt" IS NULL`,
      [actor.organizationId],
    );
    return keys.rowCount ?? 0;
  });
  // Cached keys (this instance at once, the others through Redis) stop working now, not at TTL.
  forgetAllKeys();
  return { revokedKeys: revoked };
}

/** A new organization with its creator as owner. */
export async function createOrganizationForUser(userId: string, name: string): Promise<{ id: string }> {
  return createOrganization(getPool(), { name: cleanOrganizationName(name), ownerUserId: userId });
}

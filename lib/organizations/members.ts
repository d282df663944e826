import type pg from "pg";
import { ApiError } from "@/lib/api/errors";
import { MAX_BALANCE_NANOS } from "@/lib/billing/credits";
import { getPool, withTransaction } from "@/lib/db/pool";
import { forgetAllKeys } from "@/lib/gateway/auth";
import type { MembershipRole } from "@/lib/tenancy/context";
import { requireRole, type OrgActor } from "./access";

// The members of an organization (ADMIN+): roles, removal and monthly spend caps. Rules:
// - admins manage members and admins; only an owner makes, unmakes or removes an owner;
// - the last owner can be neither demoted nor removed (checked under row locks, so two owners
//   demoting each other at once cannot leave the organization with none);
// - a removed member's keys are revoked at once: keys belong to the organization, but a person who
//   left must not keep spending its balance.

export interface MemberRow {
  membershipId: string;
  userId: string;
  email: string;
  name: string | null;
  role: MembershipRole;
  monthlySpendLimitNanos: bigint | null;
  /** What this member's keys spent this UTC calendar month (settled requests). */
  monthSpentNanos: bigint;
  joinedAt: Date;
}

const memberNotFound = () => new ApiError("not_found", "Member not found.");

function utcMonthStart(now = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
}

/** Members, owners first, then by email, with what their keys spent this month. */
export async function listMembers(actor: OrgActor): Promise<MemberRow[]> {
  await requireRole(actor, "ADMIN");
  const { rows } = await getPool().query<MemberRow>(
    `SELECT m.id AS "membershipId", u.id AS "userId", u.email, u.name, m.role,
            m."monthlySpendLimitNanos", m."createdAt" AS "joinedAt",
            COALESCE((SELECT sum(d."costNanos") FROM "UsageDaily" d JOIN "ApiKey" k ON k.id = d."apiKeyId"
                       WHERE d."organizationId" = m."organizationId" AND k."organizationId" = m."organizationId"
                         AND k."createdById" = m."userId" AND d.day >= $2::date), 0)::bigint AS "monthSpentNanos"
       FROM "Membership" m JOIN "User" u ON u.id = m."userId"
      WHERE m."organizationId" = $1
      ORDER BY CASE m.role WHEN 'OWNER' THEN 0 WHEN 'ADMIN' THEN 1 ELSE 2 END, lower(u.email)`,
    [actor.organizationId, utcMonthStart()],
  );
  return rows;
}

/** Changes a member's role (see the rules above). */
export async function changeMemberRole(actor: OrgActor, membershipId: string, role: MembershipRole): Promise<void> {
  await withTransaction(async (client) => {
    const actorRole = await requireRole(actor, "ADMIN", client);
    // Lock the target and every owner of the organization: the last-owner check holds until commit.
    const { rows } = await client.query<{ id: string; role: MembershipRole; userId: string }>(
      `SELECT id, role, "userId" FROM "Membership"
        WHERE "organizationId" = $1 AND (id = $2 OR role = 'OWNER')
        ORDER BY id FOR UPDATE`,
      [actor.organizationId, membershipId],
    );
    const target = rows.find((r) => r.id === membershipId);
    if (!target) throw memberNotFound();
    if (target.role === role) return;
    if ((role === "OWNER" || target.role === "OWNER") && actorRole !== "OWNER") {
      throw new ApiError("forbidden", "Only an owner can make or unmake an owner.");
    }
    if (target.role === "OWNER" && rows.filter((r) => r.role === "OWNER").length <= 1) {
      throw new ApiError("conflict", "The last owner cannot be demoted. Make someone else an owner first.");
    }
    await client.query(`UPDATE "Membership" SET role = $3 WHERE id = $2 AND "organizationId" = $1`, [
      actor.organizationId,
      membershipId,
      role,
    ]);
    // A member can no longer invite: invitations they sent as an admin must not bring them (or
    // anyone) back in with a role they no longer have the right to give.
    if (role === "MEMBER") await revokeInvitationsBy(client, actor.organizationId, target.userId);
  });
}

/** Revokes the pending invitations someone sent in an organization (they were removed or demoted). */
async function revokeInvitationsBy(client: pg.PoolClient, organizationId: string, userId: string): Promise<void> {
  await client.query(
    `UPDATE "Invitation" SET "revokedAt" = (now() AT TIME ZONE 'UTC')
      WHERE "organizationId" = $1 AND "invitedById" = $2 AND "acceptedAt" IS NULL AND "revokedAt" IS NULL`,
    [organizationId, userId],
  );
}

/** Removes a member and revokes the keys they created in this organization. */
export async function removeMember(actor: OrgActor, membershipId: string): Promise<{ revokedKeys: number }> {
  const revoked = await withTransaction(async (client) => {
    const actorRole = await requireRole(actor, "ADMIN", client);
    const { rows } = await client.query<{ id: string; role: MembershipRole; userId: string }>(
      `SELECT id, role, "userId" FROM "Membership"
        WHERE "organizationId" = $1 AND (id = $2 OR role = 'OWNER')
        ORDER BY id FOR UPDATE`,
      [actor.organizationId, membershipId],
    );
    const target = rows.find((r) => r.id === membershipId);
    if (!target) throw memberNotFound();
    if (target.role === "OWNER" && actorRole !== "OWNER") {
      throw new ApiError("forbidden", "Only an owner can remove an owner.");
    }
    if (target.role === "OWNER" && rows.filter((r) => r.role === "OWNER").length <= 1) {
      throw new ApiError("conflict", "The last owner cannot be removed.");
    }
    await client.query(`DELETE FROM "Membership" WHERE id = $2 AND "organizationId" = $1`, [
      actor.organizationId,
      membershipId,
    ]);
    await revokeInvitationsBy(client, actor.organizationId, target.userId);
    const keys = await client.query(
      `UPDATE "ApiKey" SET "revokedAt" = (now() AT TIME ZONE 'UTC')
        WHERE "organizationId" = $1 AND "createdById" = $2 AND "revokedAt" IS NULL`,
      [actor.organizationId, target.userId],
    );
    return keys.rowCount ?? 0;
  });
  if (revoked > 0) forgetAllKeys();
  return { revokedKeys: revoked };
}

/**
 * Sets (or, with null, clears) a member's monthly spend cap, enforced by admission (tf_admit). A
 * cap set mid-month starts from what the member's keys already spent this month, so it bounds
 * the calendar month, not "from now on".
 */
export async function setMemberSpendLimit(
  actor: OrgActor,
  membershipId: string,
  limitNanos: bigint | null,
): Promise<void> {
  if (limitNanos !== null && (limitNanos < 0n || limitNanos > MAX_BALANCE_NANOS)) {
    throw new ApiError("validation_error", "The cap must be between $0 and $1,000,000,000.", { field: "limit" });
  }
  await requireRole(actor, "ADMIN");
  if (!(await applyMemberSpendLimit(getPool(), actor.organizationId, membershipId, limitNanos))) throw memberNotFound();
  forgetAllKeys(); // a capped member's keys stop using pre-admitted holds (KeyContext.holdPooling)
}

/**
 * The cap's write; false when the membership is not in the organization. A hold records its member
 * only while the member has a cap, and only such holds move the member's month when they settle.
 * So a cap that starts now also takes over the member's requests in flight: their holds are marked
 * and counted as held, and their charges land in the month when they settle, like any later one.
 * Marking comes first: it waits for settlements already under way on those holds (which then no
 * longer need it), and this month's spend is summed by a later statement, which sees what they charged.
 */
export function applyMemberSpendLimit(
  pool: pg.Pool,
  organizationId: string,
  membershipId: string,
  limitNanos: bigint | null,
): Promise<boolean> {
  return withTransaction(async (client) => {
    const { rows } = await client.query<{ userId: string; capped: boolean }>(
      `SELECT "userId", "monthlySpendLimitNanos" IS NOT NULL AS capped FROM "Membership"
        WHERE id = $1 AND "organizationId" = $2 FOR UPDATE`,
      [membershipId, organizationId],
    );
    const member = rows[0];
    if (!member) return false;
    if (member.capped || limitNanos === null) {
      await client.query(`UPDATE "Membership" SET "monthlySpendLimitNanos" = $2::bigint WHERE id = $1`, [
        membershipId,
        limitNanos?.toString() ?? null,
      ]);
      return true;
    }
    const inFlight = await client.query<{ held: bigint | null }>(
      `WITH marked AS (
         UPDATE "Hold" h SET "memberUserId" = $2
          WHERE h.state = 'HELD' AND h."organizationId" = $1 AND h."memberUserId" IS NULL
            AND h."apiKeyId" IN (SELECT k.id FROM "ApiKey" k WHERE k."organizationId" = $1 AND k."createdById" = $2)
         RETURNING h."amountNanos")
       SELECT sum("amountNanos")::bigint AS held FROM marked`,
      [organizationId, member.userId],
    );
    const month = utcMonthStart();
    await client.query(
      `UPDATE "Membership" m
          SET "monthlySpendLimitNanos" = $2::bigint,
              "monthHeldNanos" = m."monthHeldNanos" + $3::bigint,
              "monthSpentNanos" = COALESCE((SELECT sum(d."costNanos") FROM "UsageDaily" d JOIN "ApiKey" k ON k.id = d."apiKeyId"
                                             WHERE d."organizationId" = m."organizationId" AND k."organizationId" = m."organizationId"
                                               AND k."createdById" = m."userId" AND d.day >= $4::date), 0),
              "monthStartsAt" = $4::timestamp
        WHERE m.id = $1`,
      [membershipId, limitNanos.toString(), (inFlight.rows[0]?.held ?? 0n).toString(), month],
    );
    return true;
  }, pool);
}

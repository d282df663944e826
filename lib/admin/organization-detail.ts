import { notFound } from "@/lib/api/errors";
import { getPool } from "@/lib/db/pool";

// What the operator sees about one organization (/admin/tenants/organizations/[id]): funds, spend,
// members, keys, the latest requests and ledger entries. Read-only, across tenants (admin only).
// Money stays bigint nano-USD here; the page formats it.

export const SPEND_WINDOW_DAYS = 30;
const RECENT_ROWS = 20;

export interface OrganizationDetail {
  id: string;
  name: string;
  personal: boolean;
  disabledAt: Date | null;
  deletedAt: Date | null;
  billingReviewReason: string | null;
  createdAt: Date;
  balanceNanos: bigint;
  heldNanos: bigint;
  spentLastWindowNanos: bigint; // the last SPEND_WINDOW_DAYS days of usage charges
  spentTotalNanos: bigint;
  members: {
    userId: string;
    email: string;
    name: string | null;
    role: "OWNER" | "ADMIN" | "MEMBER";
    userDisabled: boolean;
  }[];
  keys: {
    id: string;
    name: string;
    partialKey: string;
    scope: "GATEWAY" | "ADMIN";
    createdByEmail: string | null;
    spentNanos: bigint;
    lastUsedAt: Date | null;
    revokedAt: Date | null;
    expiresAt: Date | null;
  }[];
  recentRequests: {
    id: string;
    createdAt: Date;
    model: string;
    status: number;
    inputTokens: number;
    outputTokens: number;
    costNanos: bigint;
  }[];
  recentLedger: {
    id: string;
    createdAt: Date;
    kind: string;
    amountNanos: bigint;
    note: string | null;
    actorEmail: string | null;
  }[];
}

export async function getOrganizationDetail(id: string): Promise<OrganizationDetail> {
  const pool = getPool();
  const { rows } = await pool.query(
    `SELECT o.id, o.name, o.personal, o."disabledAt", o."deletedAt", o."billingReviewReason", o."createdAt",
            o."balanceNanos", o."heldNanos",
            COALESCE((SELECT -SUM(l."amountNanos") FROM "LedgerEntry" l
                       WHERE l."organizationId" = o.id AND l.kind = 'USAGE'
                         AND l."createdAt" >= (now() AT TIME ZONE 'UTC') - make_interval(days => $2)), 0)::bigint
              AS "spentLastWindowNanos",
            COALESCE((SELECT -SUM(l."amountNanos") FROM "LedgerEntry" l
                       WHERE l."organizationId" = o.id AND l.kind = 'USAGE'), 0)::bigint AS "spentTotalNanos"
       FROM "Organization" o WHERE o.id = $1`,
    [id, SPEND_WINDOW_DAYS],
  );
  const org = rows[0];
  if (!org) throw notFound("Organization");
  const [members, keys, requests, ledger] = await Promise.all([
    pool.query(
      `SELECT u.id AS "userId", u.email, u.name, m.role, (u."disabledAt" IS NOT NULL) AS "userDisabled"
         FROM "Membership" m JOIN "User" u ON u.id = m."userId"
        WHERE m."organizationId" = $1
        ORDER BY CASE m.role WHEN 'OWNER' THEN 0 WHEN 'ADMIN' THEN 1 ELSE 2 END, m."createdAt"
        LIMIT 200`,
      [id],
    ),
    pool.query(
      `SELECT k.id, k.name, k."partialKey", k.scope, u.email AS "createdByEmail", k."spentNanos", k."lastUsedAt",
              k."revokedAt", k."expiresAt"
         FROM "ApiKey" k LEFT JOIN "User" u ON u.id = k."createdById"
        WHERE k."organizationId" = $1
        ORDER BY k."revokedAt" IS NOT NULL, k."createdAt" DESC
        LIMIT 200`,
      [id],
    ),
    pool.query(
      `SELECT r.id, r."createdAt", COALESCE(r."modelRouted", r."modelRequested") AS model, r.status,
              r."inputTokens", r."outputTokens", r."costNanos"
         FROM "RequestLog" r
        WHERE r."organizationId" = $1
        ORDER BY r."createdAt" DESC, r.id DESC
        LIMIT ${RECENT_ROWS}`,
      [id],
    ),
    pool.query(
      `SELECT l.id, l."createdAt", l.kind, l."amountNanos", l.note, u.email AS "actorEmail"
         FROM "LedgerEntry" l LEFT JOIN "User" u ON u.id = l."actorUserId"
        WHERE l."organizationId" = $1 AND l.kind <> 'USAGE'
        ORDER BY l."createdAt" DESC, l.id DESC
        LIMIT ${RECENT_ROWS}`,
      [id],
    ),
  ]);
  return {
    id: org.id,
    name: org.name,
    personal: org.personal,
    disabledAt: org.disabledAt,
    deletedAt: org.deletedAt,
    billingReviewReason: org.billingReviewReason,
    createdAt: org.createdAt,
    balanceNanos: org.balanceNanos,
    heldNanos: org.heldNanos,
    spentLastWindowNanos: org.spentLastWindowNanos,
    spentTotalNanos: org.spentTotalNanos,
    members: members.rows,
    keys: keys.rows,
    recentRequests: requests.rows,
    recentLedger: ledger.rows,
  };
}

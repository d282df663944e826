import { randomUUID } from "node:crypto";
import { z } from "zod";
import { nanosToUsd } from "@/lib/billing/money";
import { generateRedemptionCode, hashRedemptionCode, partialRedemptionCode } from "@/lib/billing/redemption";
import { ApiError, notFound } from "@/lib/api/errors";
import { getPrisma } from "@/lib/db/client";
import { getPool } from "@/lib/db/pool";
import { recordAudit } from "./audit";
import type { AdminActor } from "./auth";
import { futureDate, idRef, intInRange, MAX_CREDIT_NANOS, queryInt, usdAmount } from "./fields";

// Prepaid credit codes, the operator's side: batches created, listed (with status and who redeemed
// them), exported and revoked by admins. Every write is audited. The code format
// and redeeming one (the tenant's side) live in lib/billing/redemption.ts.

// A batch is worth at most MAX_CREDIT_NANOS in total (amountUsd × count), like one credit adjustment.
export const createRedemptionCodesSchema = z
  .strictObject({
    amountUsd: usdAmount("positive", MAX_CREDIT_NANOS),
    count: intInRange(1, 1000),
    expiresAt: futureDate.nullish(),
  })
  .refine((batch) => batch.amountUsd * BigInt(batch.count) <= MAX_CREDIT_NANOS, {
    path: ["amountUsd"],
    message: `amountUsd × count must be at most ${nanosToUsd(MAX_CREDIT_NANOS)} USD per batch`,
  });

export const REDEMPTION_CODE_STATUSES = ["unused", "redeemed", "expired", "revoked"] as const;
export type RedemptionCodeStatus = (typeof REDEMPTION_CODE_STATUSES)[number];

export const listRedemptionCodesQuery = z.object({
  batchId: idRef.optional(),
  status: z
    .enum(REDEMPTION_CODE_STATUSES, { error: `must be one of ${REDEMPTION_CODE_STATUSES.join(", ")}` })
    .optional(),
  limit: queryInt(1, 1000, 1000),
});

/** Batch revoke: the given codes, or every code of a batch; used, revoked and unknown ones are skipped. */
export const revokeRedemptionCodesSchema = z
  .strictObject({
    ids: z.array(idRef).min(1, "must name at least one code").max(1000, "must name at most 1000 codes").optional(),
    batchId: idRef.optional(),
  })
  .refine((body) => (body.ids === undefined) !== (body.batchId === undefined), {
    path: ["ids"],
    message: "send either ids (a list of code ids) or batchId, not both",
  });

export interface RedemptionCodeJson {
  id: string;
  batchId: string;
  partialCode: string;
  amountUsd: string;
  expiresAt: string | null;
  status: RedemptionCodeStatus;
  redeemed: boolean;
  redeemedAt: string | null;
  redeemedByOrgId: string | null;
  redeemedByOrgName: string | null;
  redeemedByUserId: string | null;
  redeemedByEmail: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export async function createRedemptionCodes(
  input: z.output<typeof createRedemptionCodesSchema>,
  actor: AdminActor,
): Promise<{ batchId: string; codes: string[]; amountUsd: string; expiresAt: string | null }> {
  const batchId = randomUUID();
  const codes = Array.from({ length: input.count }, () => generateRedemptionCode());
  await getPrisma().redemptionCode.createMany({
    data: codes.map((code) => ({
      batchId,
      codeHash: hashRedemptionCode(code),
      partialCode: partialRedemptionCode(code),
      amountNanos: input.amountUsd,
      expiresAt: input.expiresAt ?? null,
      createdById: actor.userId,
    })),
  });
  const amountUsd = nanosToUsd(input.amountUsd);
  const expiresAt = input.expiresAt?.toISOString() ?? null;
  // The codes themselves never reach the audit log (nor any table): partials only.
  await recordAudit(actor, {
    action: "redemption_codes.create",
    targetType: "RedemptionCodeBatch",
    targetId: batchId,
    before: null,
    after: { batchId, count: input.count, amountUsd, expiresAt, partialCodes: codes.map(partialRedemptionCode) },
  });
  return { batchId, codes, amountUsd, expiresAt };
}

interface CodeRow {
  id: string;
  batchId: string;
  partialCode: string;
  amountNanos: bigint;
  expiresAt: Date | null;
  redeemedAt: Date | null;
  redeemedByOrgId: string | null;
  redeemedByOrgName: string | null;
  redeemedByUserId: string | null;
  redeemedByEmail: string | null;
  revokedAt: Date | null;
  createdAt: Date;
}

const CODE_COLUMNS = `r.id, r."batchId", r."partialCode", r."amountNanos", r."expiresAt", r."redeemedAt",
  r."redeemedByOrgId", o.name AS "redeemedByOrgName", r."redeemedByUserId", u.email AS "redeemedByEmail",
  r."revokedAt", r."createdAt"`;
const CODE_FROM = `"RedemptionCode" r
  LEFT JOIN "Organization" o ON o.id = r."redeemedByOrgId"
  LEFT JOIN "User" u ON u.id = r."redeemedByUserId"`;

// Stored timestamps are UTC `timestamp` (Prisma's DateTime), hence now() AT TIME ZONE 'UTC'.
const STATUS_WHERE: Record<RedemptionCodeStatus, string> = {
  redeemed: `r."redeemedAt" IS NOT NULL`,
  revoked: `r."redeemedAt" IS NULL AND r."revokedAt" IS NOT NULL`,
  expired: `r."redeemedAt" IS NULL AND r."revokedAt" IS NULL AND r."expiresAt" <= (now() AT TIME ZONE 'UTC')`,
  unused: `r."redeemedAt" IS NULL AND r."revokedAt" IS NULL AND (r."expiresAt" IS NULL OR r."expiresAt" > (now() AT TIME ZONE 'UTC'))`,
};

/** A code's state; a redeemed code stays redeemed whatever happens to it afterwards. */
export function redemptionCodeStatus(
  row: { redeemedAt: Date | null; revokedAt: Date | null; expiresAt: Date | null },
  now = new Date(),
): RedemptionCodeStatus {
  if (row.redeemedAt) return "redeemed";
  if (row.revokedAt) return "revoked";
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return "expired";
  return "unused";
}

function toCodeJson(row: CodeRow, now = new Date()): RedemptionCodeJson {
  return {
    id: row.id,
    batchId: row.batchId,
    partialCode: row.partialCode,
    amountUsd: nanosToUsd(row.amountNanos),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    status: redemptionCodeStatus(row, now),
    redeemed: row.redeemedAt !== null,
    redeemedAt: row.redeemedAt?.toISOString() ?? null,
    redeemedByOrgId: row.redeemedByOrgId,
    redeemedByOrgName: row.redeemedByOrgName,
    redeemedByUserId: row.redeemedByUserId,
    redeemedByEmail: row.redeemedByEmail,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Codes of one batch (or the newest codes of all batches), optionally of one status, newest first. */
export async function listRedemptionCodes(
  query: z.output<typeof listRedemptionCodesQuery>,
): Promise<{ data: RedemptionCodeJson[] }> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (query.batchId) {
    values.push(query.batchId);
    where.push(`r."batchId" = $${values.length}`);
  }
  if (query.status) where.push(STATUS_WHERE[query.status]);
  values.push(query.limit);
  const { rows } = await getPool().query<CodeRow>(
    `SELECT ${CODE_COLUMNS} FROM ${CODE_FROM}
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY r."createdAt" DESC, r.id ASC
      LIMIT $${values.length}`,
    values,
  );
  const now = new Date();
  return { data: rows.map((row) => toCodeJson(row, now)) };
}

/** Counts per status over all codes (the console's headline numbers). */
export async function countRedemptionCodes(): Promise<Record<RedemptionCodeStatus, number>> {
  const { rows } = await getPool().query<Record<RedemptionCodeStatus, number>>(
    `SELECT ${REDEMPTION_CODE_STATUSES.map((s) => `count(*) FILTER (WHERE ${STATUS_WHERE[s]})::int AS ${s}`).join(", ")}
       FROM "RedemptionCode" r`,
  );
  return rows[0];
}

async function readCode(id: string): Promise<RedemptionCodeJson | null> {
  const { rows } = await getPool().query<CodeRow>(`SELECT ${CODE_COLUMNS} FROM ${CODE_FROM} WHERE r.id = $1`, [id]);
  return rows[0] ? toCodeJson(rows[0]) : null;
}

/**
 * Revokes one unused (or expired) code so it can never be redeemed. A redeemed code cannot be
 * revoked: its credit is already in a balance (take it back with a credit adjustment). Revoking a
 * revoked code changes nothing.
 */
export async function revokeRedemptionCode(id: string, actor: AdminActor): Promise<RedemptionCodeJson> {
  const before = await readCode(id);
  if (!before) throw notFound("Redemption code");
  if (before.status === "redeemed") {
    throw new ApiError(
      "conflict",
      `Redemption code ${before.partialCode} was already redeemed; a redeemed code cannot be revoked`,
    );
  }
  if (before.status === "revoked") return before;
  // The same guard as redemption's claim, so a code redeemed a moment ago is not reported revoked.
  const { rowCount } = await getPool().query(
    `UPDATE "RedemptionCode" SET "revokedAt" = (now() AT TIME ZONE 'UTC')
      WHERE id = $1 AND "redeemedAt" IS NULL AND "revokedAt" IS NULL`,
    [id],
  );
  const after = (await readCode(id))!;
  if (!rowCount) {
    if (after.status === "redeemed")
      throw new ApiError(
        "conflict",
        `Redemption code ${after.partialCode} was redeemed just now; it cannot be revoked`,
      );
    return after;
  }
  await recordAudit(actor, {
    action: "redemption_code.revoke",
    targetType: "RedemptionCode",
    targetId: id,
    before: { ...before },
    after: { ...after },
  });
  return after;
}

/** Revokes every still-unredeemed code among `ids` (or of `batchId`); one audit event for the lot. */
export async function revokeRedemptionCodes(
  input: z.output<typeof revokeRedemptionCodesSchema>,
  actor: AdminActor,
): Promise<{ revoked: RedemptionCodeJson[]; skipped: number }> {
  const { rows } = await getPool().query<{ id: string }>(
    `UPDATE "RedemptionCode" SET "revokedAt" = (now() AT TIME ZONE 'UTC')
      WHERE ${input.batchId ? `"batchId" = $1` : `id = ANY($1::text[])`}
        AND "redeemedAt" IS NULL AND "revokedAt" IS NULL
      RETURNING id`,
    [input.batchId ?? input.ids],
  );
  const ids = rows.map((row) => row.id);
  const revoked = ids.length
    ? (
        await getPool().query<CodeRow>(`SELECT ${CODE_COLUMNS} FROM ${CODE_FROM} WHERE r.id = ANY($1::text[])`, [ids])
      ).rows.map((row) => toCodeJson(row))
    : [];
  const requested = input.ids ? new Set(input.ids).size : ids.length;
  if (revoked.length) {
    await recordAudit(actor, {
      action: "redemption_codes.revoke",
      targetType: input.batchId ? "RedemptionCodeBatch" : "RedemptionCode",
      targetId: input.batchId ?? (ids.length === 1 ? ids[0] : null),
      before: { status: "unused", ids },
      after: {
        status: "revoked",
        revokedAt: revoked[0].revokedAt,
        revokedCodes: revoked.map((code) => ({
          id: code.id,
          partialCode: code.partialCode,
          amountUsd: code.amountUsd,
        })),
      },
    });
  }
  return { revoked, skipped: Math.max(0, requested - revoked.length) };
}

// ---------- CSV ----------

const CSV_COLUMNS = [
  "id",
  "batchId",
  "partialCode",
  "amountUsd",
  "status",
  "expiresAt",
  "redeemedAt",
  "redeemedByEmail",
  "redeemedByOrgId",
  "redeemedByOrgName",
  "revokedAt",
  "createdAt",
] as const satisfies ReadonlyArray<keyof RedemptionCodeJson>;

/**
 * One CSV cell: quoted when it holds a comma, quote or line break; a leading =, +, -, @, tab or CR
 * is prefixed with ' so a spreadsheet shows text instead of running a formula (OWASP CSV injection).
 */
export function csvCell(value: string | null): string {
  if (value === null) return "";
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The list as CSV (partial codes only: full codes are never stored). */
export function redemptionCodesCsv(codes: RedemptionCodeJson[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const code of codes) lines.push(CSV_COLUMNS.map((column) => csvCell(code[column])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

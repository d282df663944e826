import { randomUUID } from "node:crypto";
import { z } from "zod";
import { nanosToUsd } from "@/lib/billing/money";
import { generateRedemptionCode, hashRedemptionCode, partialRedemptionCode } from "@/lib/billing/redemption";
import { getPrisma } from "@/lib/db/client";
import { recordAudit } from "./audit";
import type { AdminActor } from "./auth";
import { futureDate, idRef, intInRange, MAX_CREDIT_NANOS, queryInt, usdAmount } from "./fields";

// Prepaid credit codes, the operator's side: batches created and listed by admins. The code format
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

export const listRedemptionCodesQuery = z.object({
  batchId: idRef.optional(),
  limit: queryInt(1, 1000, 1000),
});

export interface RedemptionCodeJson {
  id: string;
  batchId: string;
  partialCode: string;
  amountUsd: string;
  expiresAt: string | null;
  redeemed: boolean;
  redeemedAt: string | null;
  redeemedByOrgId: string | null;
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
  await recordAudit(actor, {
    action: "redemption_codes.create",
    targetType: "RedemptionCodeBatch",
    targetId: batchId,
    data: { count: input.count, amountUsd, expiresAt },
  });
  return { batchId, codes, amountUsd, expiresAt };
}

/** Codes of one batch (or the newest codes of all batches), newest first. */
export async function listRedemptionCodes(
  query: z.output<typeof listRedemptionCodesQuery>,
): Promise<{ data: RedemptionCodeJson[] }> {
  const rows = await getPrisma().redemptionCode.findMany({
    where: query.batchId ? { batchId: query.batchId } : {},
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
    take: query.limit,
  });
  return {
    data: rows.map((row) => ({
      id: row.id,
      batchId: row.batchId,
      partialCode: row.partialCode,
      amountUsd: nanosToUsd(row.amountNanos),
      expiresAt: row.expiresAt?.toISOString() ?? null,
      redeemed: row.redeemedAt !== null,
      redeemedAt: row.redeemedAt?.toISOString() ?? null,
      redeemedByOrgId: row.redeemedByOrgId,
      createdAt: row.createdAt.toISOString(),
    })),
  };
}

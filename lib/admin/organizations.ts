import { z } from "zod";
import { ApiError, notFound } from "@/lib/api/errors";
import { nanosToUsd } from "@/lib/billing/money";
import {
  BalanceTooHighError,
  BalanceTooLowError,
  creditOrganization,
  MAX_BALANCE_NANOS,
  OrganizationNotFoundError,
} from "@/lib/billing/credits";
import { getPrisma } from "@/lib/db/client";
import { getPool } from "@/lib/db/pool";
import type { Prisma } from "@/generated/prisma/client";
import { forgetAllKeys } from "@/lib/gateway/auth";
import { defaultLowBalanceThresholdNanos } from "@/lib/organizations/create";
import { recordAudit } from "./audit";
import { isRecordNotFound } from "./db-errors";
import type { AdminActor } from "./auth";
import { freeText, intInRange, MAX_CREDIT_NANOS, MAX_RPM_LIMIT, pageQuery, text, usdAmount } from "./fields";

// Organizations across tenants (admin only). Balances change only through creditOrganization,
// which writes the ledger entry in the same step.

export const createOrganizationSchema = z.strictObject({ name: text(200) });

export const listOrganizationsQuery = z.object({
  q: freeText(200).optional(),
  ...pageQuery,
});

export const updateOrganizationSchema = z.strictObject({
  name: text(200).optional(),
  rpmLimit: intInRange(1, MAX_RPM_LIMIT).nullish(),
  disabled: z.boolean().optional(),
});

export const creditOrganizationSchema = z.strictObject({
  amountUsd: usdAmount("non_zero", MAX_CREDIT_NANOS),
  note: freeText(500).optional(),
  // Idempotency key, required: a retried request (say after a timeout) with the same reference changes
  // nothing (scoped per organization), so a caller cannot credit twice by accident.
  reference: text(200),
});

// A type (not an interface) so it passes as an audit record.
export type OrganizationJson = {
  id: string;
  name: string;
  balanceUsd: string;
  heldUsd: string;
  rpmLimit: number | null;
  disabled: boolean;
  keyCount: number; // keys not revoked
  createdAt: string;
};

const withKeyCount = { _count: { select: { apiKeys: { where: { revokedAt: null } } } } } as const;

function toOrganizationJson(row: {
  id: string;
  name: string;
  balanceNanos: bigint;
  heldNanos: bigint;
  rpmLimit: number | null;
  disabledAt: Date | null;
  createdAt: Date;
  _count: { apiKeys: number };
}): OrganizationJson {
  return {
    id: row.id,
    name: row.name,
    balanceUsd: nanosToUsd(row.balanceNanos),
    heldUsd: nanosToUsd(row.heldNanos),
    rpmLimit: row.rpmLimit,
    disabled: row.disabledAt !== null,
    keyCount: row._count.apiKeys,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function createOrganization(
  input: z.output<typeof createOrganizationSchema>,
  actor: AdminActor,
): Promise<OrganizationJson> {
  // Like every new organization, it starts with the platform's default low-balance alert.
  const lowBalanceThresholdNanos = await defaultLowBalanceThresholdNanos(getPool());
  const row = await getPrisma().organization.create({
    data: { name: input.name, lowBalanceThresholdNanos },
    include: withKeyCount,
  });
  await recordAudit(actor, {
    action: "organization.create",
    targetType: "Organization",
    targetId: row.id,
    data: { name: row.name },
    after: { ...toOrganizationJson(row) },
  });
  return toOrganizationJson(row);
}

/**
 * Newest first; `q` matches the name (case-insensitive substring), the exact id, or a member's email
 * (substring), so an operator can find a tenant from the address in a support email.
 */
export async function listOrganizations(
  query: z.output<typeof listOrganizationsQuery>,
): Promise<{ data: OrganizationJson[]; nextCursor: string | null }> {
  const rows = await getPrisma().organization.findMany({
    where: query.q
      ? {
          OR: [
            { name: { contains: query.q, mode: "insensitive" } },
            { id: query.q },
            { memberships: { some: { user: { email: { contains: query.q, mode: "insensitive" } } } } },
          ],
        }
      : {},
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: query.limit + 1,
    ...(query.cursor ? { cursor: { id: query.cursor }, skip: 1 } : {}),
    include: withKeyCount,
  });
  const page = rows.slice(0, query.limit);
  return {
    data: page.map(toOrganizationJson),
    nextCursor: rows.length > query.limit ? page[page.length - 1].id : null,
  };
}

export async function getOrganization(id: string): Promise<OrganizationJson> {
  const row = await getPrisma().organization.findUnique({ where: { id }, include: withKeyCount });
  if (!row) throw notFound("Organization");
  return toOrganizationJson(row);
}

/**
 * Renames, limits or disables an organization. A disabled organization's keys are refused at once
 * on every instance (the key cache is dropped everywhere); its balance is untouched.
 */
export async function updateOrganization(
  id: string,
  patch: z.output<typeof updateOrganizationSchema>,
  actor: AdminActor,
): Promise<OrganizationJson> {
  const data: Prisma.OrganizationUpdateInput = {};
  if (patch.name !== undefined) data.name = patch.name;
  if (patch.rpmLimit !== undefined) data.rpmLimit = patch.rpmLimit;
  if (patch.disabled !== undefined) data.disabledAt = patch.disabled ? new Date() : null;
  const previous = await getPrisma().organization.findUnique({ where: { id }, include: withKeyCount });
  if (!previous) throw notFound("Organization");
  let row;
  try {
    row = await getPrisma().organization.update({ where: { id }, data, include: withKeyCount });
  } catch (err) {
    if (isRecordNotFound(err)) throw notFound("Organization");
    throw err;
  }
  forgetAllKeys();
  const after = toOrganizationJson(row);
  await recordAudit(actor, {
    action: "organization.update",
    targetType: "Organization",
    targetId: id,
    data: patch,
    before: toOrganizationJson(previous),
    after,
  });
  return after;
}

/**
 * Adds (or, negative, removes) funds as an ADJUSTMENT ledger entry carrying the note. A debit never
 * takes the balance below zero; a credit always lands, also on a balance a refund or dispute left
 * negative (tf_credit).
 */
export async function adjustOrganizationCredit(
  organizationId: string,
  input: z.output<typeof creditOrganizationSchema>,
  actor: AdminActor,
): Promise<{ balanceUsd: string }> {
  const { rows: previous } = await getPool().query<{ balanceNanos: bigint; heldNanos: bigint }>(
    `SELECT "balanceNanos", "heldNanos" FROM "Organization" WHERE id = $1`,
    [organizationId],
  );
  if (!previous[0]) throw notFound("Organization");
  const reference = `${organizationId}:${input.reference}`;
  // A retry changes nothing and is not audited again.
  if (sameAdjustment(await adjustmentAmount(reference), input.amountUsd))
    return { balanceUsd: nanosToUsd(previous[0].balanceNanos) };
  let balanceNanos: bigint;
  try {
    balanceNanos = await creditOrganization(getPool(), {
      organizationId,
      amountNanos: input.amountUsd,
      kind: "ADJUSTMENT",
      reference,
      note: input.note ?? null,
      actorUserId: actor.userId,
    });
  } catch (err) {
    if (err instanceof OrganizationNotFoundError) throw notFound("Organization");
    if (err instanceof BalanceTooLowError)
      throw new ApiError("balance_too_low", "This adjustment would take the balance below zero.");
    if (err instanceof BalanceTooHighError) throw balanceTooHigh("amountUsd");
    throw err;
  }
  // A concurrent call with the same reference may have landed first (tf_credit then changed nothing).
  sameAdjustment(await adjustmentAmount(reference), input.amountUsd);
  await recordAudit(actor, {
    action: "organization.credit",
    targetType: "Organization",
    targetId: organizationId,
    data: { amountUsd: nanosToUsd(input.amountUsd), note: input.note ?? null, reference: input.reference },
    // Read just before the credit: a request settling in between moves it too (the ledger is exact).
    before: { balanceUsd: nanosToUsd(previous[0].balanceNanos), heldUsd: nanosToUsd(previous[0].heldNanos) },
    after: { balanceUsd: nanosToUsd(balanceNanos) },
  });
  return { balanceUsd: nanosToUsd(balanceNanos) };
}

async function adjustmentAmount(reference: string): Promise<bigint | undefined> {
  const { rows } = await getPool().query<{ amountNanos: bigint }>(
    `SELECT "amountNanos" FROM "LedgerEntry" WHERE kind = 'ADJUSTMENT' AND reference = $1`,
    [reference],
  );
  return rows[0]?.amountNanos;
}

/**
 * Whether an adjustment with this reference already landed. The same reference for another amount
 * is a caller's mistake, not a retry: refused, rather than answered as if this amount had landed.
 */
function sameAdjustment(landed: bigint | undefined, amountNanos: bigint): boolean {
  if (landed === undefined) return false;
  if (landed !== amountNanos)
    throw new ApiError(
      "conflict",
      `reference: an adjustment of ${nanosToUsd(landed)} USD already used this reference.`,
      { field: "reference" },
    );
  return true;
}

/** A credit refused by tf_credit's ceiling on balance + held. */
export function balanceTooHigh(field: string): ApiError {
  return new ApiError(
    "validation_error",
    `${field}: the balance would exceed its maximum of ${nanosToUsd(MAX_BALANCE_NANOS)} USD`,
    { field },
  );
}

import { ApiError, notFound } from "@/lib/api/errors";
import { getPrisma } from "@/lib/db/client";
import { forgetKey } from "@/lib/gateway/auth";
import type { MembershipRole } from "@/lib/tenancy/context";
import { generateApiKey } from "./api-key";
import {
  createApiKeyInputSchema,
  updateApiKeyLimitsInputSchema,
  type CreateApiKeyInput,
  type SpendPeriod,
  type UpdateApiKeyLimitsInput,
} from "./input";
import { currentPeriodSpentNanos } from "./period";

// API keys of one organization: the one place keys are issued, listed, limited and revoked, for
// the dashboard (a member acting in their organization) and the management API (a platform
// operator). Every query carries the organization id, so a key id of another organization is
// "not found" and nothing about it leaks. The full key exists once, in createApiKey's answer.

/** Who acts: a member of the organization (with their role there), or a platform operator. */
export type KeyActor =
  { kind: "member"; userId: string; role: MembershipRole } | { kind: "platform"; userId: string | null };

export type ApiKeyStatus = "active" | "expired" | "revoked";

export interface ApiKeyRecord {
  id: string;
  organizationId: string;
  name: string;
  scope: "GATEWAY" | "ADMIN";
  partialKey: string;
  allowedModels: string[];
  allowedIps: string[];
  expiresAt: Date | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxConcurrency: number | null;
  spendLimitNanos: bigint | null;
  spendLimitPeriod: SpendPeriod;
  /** All time. */
  spentNanos: bigint;
  /** What counts against the cap now: all time for TOTAL, else this day/week/month. */
  periodSpentNanos: bigint;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  createdBy: { id: string; email: string; name: string | null } | null;
  status: ApiKeyStatus;
}

export interface ListApiKeysFilters {
  /** "all" (default), only usable keys ("active"), or only revoked and expired ones ("inactive"). */
  status?: "all" | "active" | "inactive";
  /** Platform callers may list ADMIN-scope keys too; tenants see gateway keys only. */
  includeAdminScope?: boolean;
}

const SELECT = {
  id: true,
  organizationId: true,
  name: true,
  scope: true,
  partialKey: true,
  allowedModels: true,
  allowedIps: true,
  expiresAt: true,
  rpmLimit: true,
  tpmLimit: true,
  maxConcurrency: true,
  spendLimitNanos: true,
  spendLimitPeriod: true,
  spentNanos: true,
  periodSpentNanos: true,
  periodStartsAt: true,
  lastUsedAt: true,
  revokedAt: true,
  createdAt: true,
  createdBy: { select: { id: true, email: true, name: true } },
} as const;

type KeyRow = Omit<ApiKeyRecord, "status"> & { periodStartsAt: Date | null };

function toRecord(row: KeyRow, now = new Date()): ApiKeyRecord {
  const { periodStartsAt, ...rest } = row;
  return {
    ...rest,
    periodSpentNanos: currentPeriodSpentNanos({ ...row, periodStartsAt }, now),
    status: keyStatus(row, now),
  };
}

export function keyStatus(key: { revokedAt: Date | null; expiresAt: Date | null }, now = new Date()): ApiKeyStatus {
  if (key.revokedAt) return "revoked";
  if (key.expiresAt && key.expiresAt.getTime() <= now.getTime()) return "expired";
  return "active";
}

/** Tenants change keys from ADMIN up; the platform operator always may. */
function assertMayManage(actor: KeyActor): void {
  // Type-only import of the roles: this module also runs outside Next (scripts, tests).
  if (actor.kind === "member" && actor.role !== "OWNER" && actor.role !== "ADMIN") {
    throw new ApiError("forbidden", "Only owners and admins of this organization can create or change API keys.");
  }
}

/** Tenants reach their gateway keys only; ADMIN-scope keys are the platform's credentials. */
function scopeFor(actor: KeyActor) {
  return actor.kind === "member" ? { scope: "GATEWAY" as const } : {};
}

function validation(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): ApiError {
  const issue = error.issues[0];
  const field = issue.path.map(String).join(".");
  return new ApiError("validation_error", field ? `${field} ${issue.message}` : issue.message, { field });
}

/** Issues a gateway key; the answer is the only place the full key ever appears. */
export async function createApiKey(
  organizationId: string,
  actor: KeyActor,
  input: CreateApiKeyInput,
): Promise<ApiKeyRecord & { key: string }> {
  assertMayManage(actor);
  const parsed = createApiKeyInputSchema.safeParse(input);
  if (!parsed.success) throw validation(parsed.error);
  const prisma = getPrisma();
  const organization = await prisma.organization.findFirst({
    where: { id: organizationId, deletedAt: null },
    select: { id: true },
  });
  if (!organization) throw notFound("Organization");
  const { key, keyHash, partialKey } = generateApiKey();
  const row = await prisma.apiKey.create({
    data: { organizationId, createdById: actor.userId, scope: "GATEWAY", keyHash, partialKey, ...parsed.data },
    select: SELECT,
  });
  return { ...toRecord(row), key };
}

/** The organization's keys, newest first. */
export async function listApiKeys(organizationId: string, filters: ListApiKeysFilters = {}): Promise<ApiKeyRecord[]> {
  const now = new Date();
  const usable = { revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] };
  const unusable = { OR: [{ revokedAt: { not: null } }, { expiresAt: { lte: now } }] };
  const rows = await getPrisma().apiKey.findMany({
    where: {
      organizationId,
      ...(filters.includeAdminScope ? {} : { scope: "GATEWAY" }),
      ...(filters.status === "active" ? usable : filters.status === "inactive" ? unusable : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    select: SELECT,
  });
  return rows.map((row) => toRecord(row, now));
}

/** One key of the organization, or a not_found error (also for another organization's key id). */
export async function getApiKey(organizationId: string, keyId: string, actor?: KeyActor): Promise<ApiKeyRecord> {
  const row = await getPrisma().apiKey.findFirst({
    where: { id: keyId, organizationId, ...(actor ? scopeFor(actor) : { scope: "GATEWAY" }) },
    select: SELECT,
  });
  if (!row) throw notFound("API key");
  return toRecord(row);
}

/**
 * Changes a key's name and limits (never its secret). Every instance drops its cached copy of the
 * key at once (Redis pub/sub), so new limits apply to the next request everywhere.
 */
export async function updateApiKeyLimits(
  organizationId: string,
  keyId: string,
  input: UpdateApiKeyLimitsInput,
  actor: KeyActor,
): Promise<ApiKeyRecord> {
  assertMayManage(actor);
  const parsed = updateApiKeyLimitsInputSchema.safeParse(input);
  if (!parsed.success) throw validation(parsed.error);
  const prisma = getPrisma();
  const where = { id: keyId, organizationId, ...scopeFor(actor) };
  const { count } = await prisma.apiKey.updateMany({ where, data: parsed.data });
  if (count === 0) throw notFound("API key");
  const row = await prisma.apiKey.findFirstOrThrow({ where, select: { ...SELECT, keyHash: true } });
  forgetKey(row.keyHash);
  const { keyHash: _secret, ...rest } = row;
  void _secret;
  return toRecord(rest);
}

/**
 * Revokes a key: the row stays (for logs and receipts), every instance refuses the key from the
 * next request on (cache dropped here and, through Redis pub/sub, everywhere else). Idempotent:
 * revoking again keeps the first revokedAt.
 */
export async function revokeApiKey(
  organizationId: string,
  keyId: string,
  actor: KeyActor,
): Promise<{ id: string; revokedAt: Date; alreadyRevoked: boolean }> {
  assertMayManage(actor);
  const prisma = getPrisma();
  const where = { id: keyId, organizationId, ...scopeFor(actor) };
  const { count } = await prisma.apiKey.updateMany({
    where: { ...where, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  const row = await prisma.apiKey.findFirst({ where, select: { id: true, keyHash: true, revokedAt: true } });
  if (!row?.revokedAt) throw notFound("API key");
  forgetKey(row.keyHash);
  return { id: row.id, revokedAt: row.revokedAt, alreadyRevoked: count === 0 };
}

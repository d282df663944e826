import { isIP } from "node:net";
import { z } from "zod";
import { notFound } from "@/lib/api/errors";
import { nanosToUsd } from "@/lib/billing/money";
import { getPrisma } from "@/lib/db/client";
import { SPEND_PERIODS } from "@/lib/keys/input";
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRecord, type KeyActor } from "@/lib/keys/manage";
import { recordAudit } from "./audit";
import type { AdminActor } from "./auth";
import {
  futureDate,
  intInRange,
  MAX_CONCURRENCY_LIMIT,
  MAX_CREDIT_NANOS,
  MAX_RPM_LIMIT,
  MAX_TPM_LIMIT,
  modelRef,
  text,
  usdAmount,
  usdOrNull,
} from "./fields";

// Gateway API keys of any organization over the management API (admin only): JSON in and out around
// the tenant key domain (lib/keys/manage.ts), plus the audit trail. The full key exists once, in the
// create answer; the database keeps its sha256 and a short partial.

/** "203.0.113.7", "2001:db8::1", "10.0.0.0/8", "2001:db8::/32" → canonical lower-case text, or null. */
export function normalizeIpOrCidr(value: string): string | null {
  const trimmed = value.trim().toLowerCase();
  const [address, prefix, ...rest] = trimmed.split("/");
  if (rest.length > 0) return null;
  const family = isIP(address);
  if (family === 0) return null;
  if (prefix === undefined) return address;
  if (!/^\d{1,3}$/.test(prefix)) return null;
  const bits = Number(prefix);
  if (bits > (family === 4 ? 32 : 128)) return null;
  return `${address}/${bits}`;
}

const ipOrCidr = z.string().transform((value, ctx) => {
  const normalized = value.length > 100 ? null : normalizeIpOrCidr(value);
  if (normalized === null) {
    ctx.addIssue({ code: "custom", message: "is not an IP address or CIDR range" });
    return z.NEVER;
  }
  return normalized;
});

const dedupe = <T>(items: T[]): T[] => [...new Set(items)];

// Optional limits also accept null ("no limit"), as JSON clients often send it.
export const createApiKeySchema = z.strictObject({
  name: text(100),
  allowedModels: z.array(modelRef).max(500, "must list at most 500 models").transform(dedupe).nullish(),
  allowedIps: z.array(ipOrCidr).max(100, "must list at most 100 addresses").transform(dedupe).nullish(),
  expiresAt: futureDate.nullish(),
  rpmLimit: intInRange(1, MAX_RPM_LIMIT).nullish(),
  tpmLimit: intInRange(1, MAX_TPM_LIMIT).nullish(),
  maxConcurrency: intInRange(1, MAX_CONCURRENCY_LIMIT).nullish(),
  spendLimitUsd: usdAmount("non_negative", MAX_CREDIT_NANOS).nullish(),
  spendLimitPeriod: z.enum(SPEND_PERIODS, { error: "must be TOTAL, DAILY, WEEKLY or MONTHLY" }).optional(),
});
export type CreateApiKeyInput = z.output<typeof createApiKeySchema>;

export interface ApiKeyJson {
  id: string;
  organizationId: string;
  name: string;
  scope: "GATEWAY" | "ADMIN";
  partialKey: string;
  allowedModels: string[];
  allowedIps: string[];
  expiresAt: string | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxConcurrency: number | null;
  spendLimitUsd: string | null;
  spendLimitPeriod: "TOTAL" | "DAILY" | "WEEKLY" | "MONTHLY";
  spentUsd: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

function toApiKeyJson(row: ApiKeyRecord): ApiKeyJson {
  return {
    id: row.id,
    organizationId: row.organizationId,
    name: row.name,
    scope: row.scope,
    partialKey: row.partialKey,
    allowedModels: row.allowedModels,
    allowedIps: row.allowedIps,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    rpmLimit: row.rpmLimit,
    tpmLimit: row.tpmLimit,
    maxConcurrency: row.maxConcurrency,
    spendLimitUsd: usdOrNull(row.spendLimitNanos),
    spendLimitPeriod: row.spendLimitPeriod,
    spentUsd: nanosToUsd(row.spentNanos),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Issues a gateway key for an organization; the answer is the only place the full key appears. */
export async function createOrganizationApiKey(
  organizationId: string,
  input: CreateApiKeyInput,
  actor: AdminActor,
): Promise<ApiKeyJson & { key: string }> {
  // JSON clients send null for "no limit"; the domain takes null or absence alike.
  const created = await createApiKey(organizationId, platformActor(actor), {
    name: input.name,
    allowedModels: input.allowedModels ?? [],
    allowedIps: input.allowedIps ?? [],
    expiresAt: input.expiresAt ?? null,
    rpmLimit: input.rpmLimit ?? null,
    tpmLimit: input.tpmLimit ?? null,
    maxConcurrency: input.maxConcurrency ?? null,
    spendLimitNanos: input.spendLimitUsd ?? null,
    spendLimitPeriod: input.spendLimitPeriod ?? "TOTAL",
  });
  await recordAudit(actor, {
    action: "api_key.create",
    targetType: "ApiKey",
    targetId: created.id,
    data: { organizationId, name: created.name, partialKey: created.partialKey },
    after: { ...toApiKeyJson(created) }, // the key itself is shown once to the caller, never recorded
  });
  return { ...toApiKeyJson(created), key: created.key };
}

/** All keys of an organization, revoked ones included (with revokedAt), newest first. */
export async function listOrganizationApiKeys(organizationId: string): Promise<{ data: ApiKeyJson[] }> {
  const organization = await getPrisma().organization.findUnique({
    where: { id: organizationId },
    select: { id: true },
  });
  if (!organization) throw notFound("Organization");
  const keys = await listApiKeys(organizationId, { includeAdminScope: true });
  return { data: keys.map(toApiKeyJson) };
}

/** Revokes a key (the row stays, for the logs). Idempotent: revoking again keeps the first revokedAt. */
export async function revokeOrganizationApiKey(
  id: string,
  actor: AdminActor,
): Promise<{ id: string; revokedAt: string }> {
  // The operator names a key by id alone: find its organization (a cross-tenant read, admin only).
  const existing = await getPrisma().apiKey.findUnique({ where: { id }, select: { organizationId: true } });
  if (!existing) throw notFound("API key");
  const revoked = await revokeApiKey(existing.organizationId, id, platformActor(actor));
  if (!revoked.alreadyRevoked) {
    await recordAudit(actor, {
      action: "api_key.revoke",
      targetType: "ApiKey",
      targetId: id,
      data: { organizationId: existing.organizationId },
      before: { revokedAt: null },
      after: { revokedAt: revoked.revokedAt.toISOString() },
    });
  }
  return { id, revokedAt: revoked.revokedAt.toISOString() };
}

function platformActor(actor: AdminActor): KeyActor {
  return { kind: "platform", userId: actor.userId };
}

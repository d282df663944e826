import { isIP } from "node:net";
import { z } from "zod";
import { notFound } from "@/lib/api/errors";
import { nanosToUsd } from "@/lib/billing/money";
import { getPrisma } from "@/lib/db/client";
import { forgetKey } from "@/lib/gateway/auth";
import { generateApiKey } from "@/lib/keys/api-key";
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

// Gateway API keys of any organization (admin only). The full key exists once, in the create
// answer; the database keeps its sha256 and a short partial.

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
  spentUsd: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

function toApiKeyJson(row: {
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
  spentNanos: bigint;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}): ApiKeyJson {
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
  const prisma = getPrisma();
  const organization = await prisma.organization.findUnique({ where: { id: organizationId }, select: { id: true } });
  if (!organization) throw notFound("Organization");
  const { key, keyHash, partialKey } = generateApiKey();
  const row = await prisma.apiKey.create({
    data: {
      organizationId,
      createdById: actor.userId,
      name: input.name,
      scope: "GATEWAY",
      keyHash,
      partialKey,
      allowedModels: input.allowedModels ?? [],
      allowedIps: input.allowedIps ?? [],
      expiresAt: input.expiresAt ?? null,
      rpmLimit: input.rpmLimit ?? null,
      tpmLimit: input.tpmLimit ?? null,
      maxConcurrency: input.maxConcurrency ?? null,
      spendLimitNanos: input.spendLimitUsd ?? null,
    },
  });
  await recordAudit(actor, {
    action: "api_key.create",
    targetType: "ApiKey",
    targetId: row.id,
    data: { organizationId, name: row.name, partialKey },
  });
  return { ...toApiKeyJson(row), key };
}

/** All keys of an organization, revoked ones included (with revokedAt), newest first. */
export async function listOrganizationApiKeys(organizationId: string): Promise<{ data: ApiKeyJson[] }> {
  const prisma = getPrisma();
  const organization = await prisma.organization.findUnique({ where: { id: organizationId }, select: { id: true } });
  if (!organization) throw notFound("Organization");
  const rows = await prisma.apiKey.findMany({
    where: { organizationId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
  });
  return { data: rows.map(toApiKeyJson) };
}

/** Revokes a key (the row stays, for the logs). Idempotent: revoking again keeps the first revokedAt. */
export async function revokeApiKey(id: string, actor: AdminActor): Promise<{ id: string; revokedAt: string }> {
  const prisma = getPrisma();
  const existing = await prisma.apiKey.findUnique({
    where: { id },
    select: { id: true, keyHash: true, revokedAt: true },
  });
  if (!existing) throw notFound("API key");
  let revokedAt = existing.revokedAt;
  if (!revokedAt) {
    await prisma.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
    const after = await prisma.apiKey.findUnique({ where: { id }, select: { revokedAt: true } });
    revokedAt = after?.revokedAt ?? new Date();
    await recordAudit(actor, { action: "api_key.revoke", targetType: "ApiKey", targetId: id });
  }
  forgetKey(existing.keyHash);
  return { id, revokedAt: revokedAt.toISOString() };
}

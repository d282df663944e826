import { onInvalidation, publishInvalidation } from "@/lib/cache/invalidation";
import { hotPathDb } from "@/lib/db/hot-path";
import { DB_QUERY_TIMEOUT_MS, timedQuery } from "@/lib/db/pool";
import { hashApiKey, looksLikeApiKey } from "@/lib/keys/api-key";
import { isIpAllowed, trustedClientIp } from "./client-ip";
import { gatewayConfig } from "./config";
import { GatewayError } from "./errors";
import { TtlCache } from "./ttl-cache";
import type { HeaderReader } from "./http";
import { logger } from "@/lib/log";

const log = logger("gateway");

export interface KeyContext {
  apiKeyId: string;
  organizationId: string;
  allowedModels: string[]; // empty = all
  allowedIps: string[];
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxConcurrency: number | null;
  orgRpmLimit: number | null;
  /** No spend limit on the key and no monthly cap on its member: it may use pre-admitted holds (lib/billing/hold-pool.ts). */
  holdPooling: boolean;
  /** The organization's balance when the key was read (sizes the hold pool; never decides admission). */
  orgBalanceNanos: bigint;
}

interface KeyRow extends KeyContext {
  revoked: boolean;
  expiresAt: Date | null;
  orgDisabled: boolean;
  /** The user who created the key is disabled: their keys stop with them (admin console, issue 11). */
  creatorDisabled: boolean;
}

// Revocation reaches other instances within the cache TTL (a couple of seconds).
const cache = new TtlCache<KeyRow | null>(gatewayConfig().TOKENFLOW_CACHE_TTL_MS);

/** Bearer token or x-api-key → the key's context. Unknown, revoked and expired keys look the same. */
export async function authenticateRequest(headers: HeaderReader): Promise<KeyContext> {
  const token = readToken(headers);
  if (!token || !looksLikeApiKey(token)) throw invalidKey();
  const keyHash = hashApiKey(token);
  const row = await cache.get(keyHash, () => loadKey(keyHash));
  return admitKey(row, headers, invalidKey);
}

/**
 * The dashboard's playground: the same checks as a bearer key, for a key the signed-in member picked
 * by id (the server never holds the secret). Read fresh, so a key revoked a moment ago is refused.
 * A key of another organization (or an admin key) is "not found", like an id that does not exist.
 */
export async function authenticateKeyById(
  organizationId: string,
  apiKeyId: string,
  headers: HeaderReader,
): Promise<KeyContext> {
  const row = await loadKeyRow(`k.id = $1 AND k."organizationId" = $2`, [apiKeyId, organizationId]);
  if (!row) throw new GatewayError("not_found", "No such API key in this organization.", { code: "key_not_found" });
  return admitKey(
    row,
    headers,
    () =>
      new GatewayError("invalid_api_key", "This API key is revoked or expired: pick another key.", {
        code: "key_inactive",
      }),
  );
}

function admitKey(row: KeyRow | null, headers: HeaderReader, refuse: () => GatewayError): KeyContext {
  if (
    !row ||
    row.revoked ||
    row.orgDisabled ||
    row.creatorDisabled ||
    (row.expiresAt && row.expiresAt.getTime() <= Date.now())
  ) {
    throw refuse();
  }
  if (row.allowedIps.length > 0) {
    const ip = trustedClientIp(headers);
    if (!ip || !isIpAllowed(ip, row.allowedIps)) {
      throw new GatewayError(
        "ip_not_allowed",
        ip
          ? `This API key may not be used from ${ip}.`
          : "This API key is restricted to certain IP addresses, and this server cannot verify the client address.",
      );
    }
  }
  touchLastUsed(row.apiKeyId);
  return row;
}

// lastUsedAt is informational: written at most once a minute per key per instance, off the hot path.
const lastTouched = new Map<string, number>();
function touchLastUsed(apiKeyId: string) {
  const now = Date.now();
  if ((lastTouched.get(apiKeyId) ?? 0) > now - 60_000) return;
  if (lastTouched.size > 50_000) lastTouched.clear();
  lastTouched.set(apiKeyId, now);
  // Through the hot path's gate like every /v1 query: it holds a pool connection too, and the gate
  // must count it to see a database gone silent (calls waiting for a slot, not in the pool's queue).
  hotPathDb
    .query(
      timedQuery(
        `UPDATE "ApiKey" SET "lastUsedAt" = $2 WHERE id = $1`,
        [apiKeyId, new Date(now).toISOString()],
        DB_QUERY_TIMEOUT_MS,
      ),
    )
    .catch((err) => log.error({ err }, "could not record key use"));
}

/** After revocation: drops the key from this instance's cache and tells the others. */
export function forgetKey(keyHash: string) {
  cache.delete(keyHash);
  publishInvalidation({ kind: "key", keyHash });
}

/**
 * After an organization or user change (disabled, limits): drops every cached key here and elsewhere.
 */
export function forgetAllKeys() {
  cache.clear();
  publishInvalidation({ kind: "keys" });
}

onInvalidation((message) => {
  if (message.kind === "key") cache.delete(message.keyHash);
  if (message.kind === "keys") cache.clear();
});

function readToken(headers: HeaderReader): string | null {
  const authorization = headers.get("authorization");
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? match[1] : null;
  }
  return headers.get("x-api-key")?.trim() || null;
}

function invalidKey() {
  return new GatewayError(
    "invalid_api_key",
    "Incorrect API key provided. You can find your API keys in the TokenFlow dashboard.",
  );
}

function loadKey(keyHash: string): Promise<KeyRow | null> {
  return loadKeyRow(`k."keyHash" = $1`, [keyHash]);
}

async function loadKeyRow(where: string, values: string[]): Promise<KeyRow | null> {
  const { rows } = await hotPathDb.query(
    timedQuery(
      `SELECT k.id, k."organizationId", k."allowedModels", k."allowedIps", k."rpmLimit", k."tpmLimit", k."maxConcurrency",
            k."revokedAt" IS NOT NULL AS revoked, k."expiresAt", (o."disabledAt" IS NOT NULL OR o."deletedAt" IS NOT NULL) AS "orgDisabled", o."rpmLimit" AS "orgRpmLimit",
            (u."disabledAt" IS NOT NULL) AS "creatorDisabled", o."balanceNanos" AS "orgBalanceNanos",
            (k."spendLimitNanos" IS NULL AND NOT EXISTS (
               SELECT 1 FROM "Membership" m WHERE m."organizationId" = k."organizationId" AND m."userId" = k."createdById"
                  AND m."monthlySpendLimitNanos" IS NOT NULL)) AS "holdPooling"
       FROM "ApiKey" k JOIN "Organization" o ON o.id = k."organizationId"
       LEFT JOIN "User" u ON u.id = k."createdById"
      WHERE ${where} AND k.scope = 'GATEWAY'`,
      values,
      DB_QUERY_TIMEOUT_MS,
    ),
  );
  const r = rows[0];
  if (!r) return null;
  return {
    apiKeyId: r.id,
    organizationId: r.organizationId,
    allowedModels: r.allowedModels ?? [],
    allowedIps: r.allowedIps ?? [],
    rpmLimit: r.rpmLimit,
    tpmLimit: r.tpmLimit,
    maxConcurrency: r.maxConcurrency,
    orgRpmLimit: r.orgRpmLimit,
    revoked: r.revoked,
    expiresAt: r.expiresAt,
    orgDisabled: r.orgDisabled,
    creatorDisabled: r.creatorDisabled === true,
    holdPooling: r.holdPooling === true,
    orgBalanceNanos: BigInt(r.orgBalanceNanos),
  };
}

import { createHash, timingSafeEqual } from "node:crypto";
import { ApiError } from "@/lib/api/errors";
import { getPool } from "@/lib/db/pool";
import { getSessionUser, isSameOriginMutation } from "@/lib/auth/session";
import { hashApiKey, looksLikeApiKey } from "@/lib/keys/api-key";
import { clientIpForThrottling } from "@/lib/gateway/client-ip";

// Who may call the management API (DESIGN §7), tried in this order:
//   1. `Authorization: Bearer $TOKENFLOW_ADMIN_KEY` (the bootstrap key; off when the env var is unset);
//   2. `Authorization: Bearer tf-…` of an ApiKey with scope ADMIN whose creator is a platform ADMIN;
//   3. an admin's dashboard session (next-auth cookie; mutations only from our own origin).

/** `ip`: the caller's address, for the audit log (clientIpForThrottling's rule: trusted header or socket). */
export type AdminActor = (
  | { kind: "bootstrap_key"; userId: null }
  | { kind: "api_key"; userId: string; apiKeyId: string }
  | { kind: "session"; userId: string }
) & { ip?: string | null };

const UNAUTHORIZED_MESSAGE =
  "Admin authentication required: sign in as an admin, or send Authorization: Bearer <TOKENFLOW_ADMIN_KEY or an admin API key>.";

export async function authenticateAdmin(request: Request): Promise<AdminActor> {
  const actor = await identifyAdmin(request);
  const ip = clientIpForThrottling(request.headers);
  return { ...actor, ip: ip === "unknown" ? null : ip };
}

async function identifyAdmin(request: Request): Promise<AdminActor> {
  const token = readBearerToken(request.headers);
  if (token) {
    if (matchesBootstrapKey(token, process.env.TOKENFLOW_ADMIN_KEY)) return { kind: "bootstrap_key", userId: null };
    if (looksLikeApiKey(token)) {
      const actor = await findAdminApiKey(hashApiKey(token));
      if (actor) return actor;
    }
    // A bearer token that matched nothing is refused outright, even if a session cookie came along.
    throw new ApiError("unauthorized", UNAUTHORIZED_MESSAGE);
  }
  const session = await getAdminSession(request);
  if (session) return session;
  throw new ApiError("unauthorized", UNAUTHORIZED_MESSAGE);
}

/**
 * The next-auth session of a platform admin (role re-read from the database; a disabled user has
 * none). Cookie-authenticated mutations must come from this site's own origin (CSRF, DESIGN §8).
 */
export async function getAdminSession(request: Request): Promise<AdminActor | null> {
  // next-auth's cookie is "next-auth.session-token" (prefixed "__Secure-" over https).
  if (!request.headers.get("cookie")?.includes("next-auth.session-token")) return null;
  const user = await getSessionUser();
  if (!user) return null;
  if (user.role !== "ADMIN") throw new ApiError("forbidden", "This account is not a platform admin.");
  if (!isSameOriginMutation(request)) throw new ApiError("forbidden", "Cross-site request refused.");
  return { kind: "session", userId: user.id };
}

export function readBearerToken(headers: Headers): string | null {
  const authorization = headers.get("authorization");
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? match[1] : null;
}

/**
 * Constant-time comparison with the bootstrap key. Both sides are hashed first so the comparison
 * takes the same time whatever the lengths; an unset or blank env var turns this method off.
 */
export function matchesBootstrapKey(token: string, configured: string | undefined): boolean {
  const expected = configured?.trim();
  if (!expected) return false;
  const a = createHash("sha256").update(token).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

async function findAdminApiKey(keyHash: string): Promise<AdminActor | null> {
  const { rows } = await getPool().query<{ id: string; userId: string }>(
    `SELECT k.id, u.id AS "userId"
       FROM "ApiKey" k JOIN "User" u ON u.id = k."createdById"
      WHERE k."keyHash" = $1 AND k.scope = 'ADMIN'
        AND k."revokedAt" IS NULL AND (k."expiresAt" IS NULL OR k."expiresAt" > CURRENT_TIMESTAMP)
        AND u.role = 'ADMIN' AND u."disabledAt" IS NULL`,
    [keyHash],
  );
  const row = rows[0];
  return row ? { kind: "api_key", userId: row.userId, apiKeyId: row.id } : null;
}

import { getToken } from "next-auth/jwt";
import { getPool } from "@/lib/db/pool";
import type { SessionUser } from "./session";
import { passwordVersion } from "./session-version";
import type { HeaderReader } from "@/lib/http/header-reader";

// The signed-in user of a raw web Request, for the few cookie-authenticated routes our own server
// answers outside Next.js (the playground's stream runs next to /v1, in the gateway's process state).
// Same rules as getSessionUser: next-auth's JWT cookie, then the user re-read (disabled = signed out)
// and the session's password fingerprint checked (a password change ends it), which next-auth's jwt
// callback does for pages but getToken() alone does not.

export async function sessionUserOfRequest(headers: HeaderReader): Promise<SessionUser | null> {
  const cookies = parseCookies(headers.get("cookie"));
  // Only the cookie counts: next-auth would also take an Authorization bearer, which is a key here.
  const token = await getToken({ req: { cookies, headers: {} } as never }).catch(() => null);
  const id = typeof token?.sub === "string" ? token.sub : null;
  if (!id) return null;
  const { rows } = await getPool().query<SessionUser & { passwordHash: string | null }>(
    `SELECT id, email, role, "passwordHash" FROM "User" WHERE id = $1 AND "disabledAt" IS NULL`,
    [id],
  );
  const user = rows[0];
  if (!user || passwordVersion(user.passwordHash) !== token?.pv) return null;
  return { id: user.id, email: user.email, role: user.role };
}

export function parseCookies(header: string | null): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    try {
      cookies[name] = decodeURIComponent(raw);
    } catch {
      cookies[name] = raw;
    }
  }
  return cookies;
}

import type { HeaderReader } from "@/lib/http/header-reader";

/**
 * CSRF defence for cookie-authenticated mutations (DESIGN §8): browsers send Origin on every
 * cross-site POST/PATCH/DELETE, so a mutation is accepted only from this site's own origin.
 */
export function isSameOriginMutation(request: { method: string; headers: HeaderReader }): boolean {
  if (request.method === "GET" || request.method === "HEAD") return true;
  const origin = request.headers.get("origin");
  if (!origin) return false;
  const allowed = new Set<string>();
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  if (host) {
    allowed.add(`http://${host}`);
    allowed.add(`https://${host}`);
  }
  for (const configured of [process.env.NEXTAUTH_URL, process.env.TOKENFLOW_PUBLIC_URL]) {
    if (configured) {
      try {
        allowed.add(new URL(configured).origin);
      } catch {
        /* ignore a malformed setting */
      }
    }
  }
  return allowed.has(origin);
}

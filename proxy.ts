// Pages only: a fresh CSP nonce per request. Next reads the nonce from the request's
// Content-Security-Policy header and stamps it on its own scripts while rendering, so every page
// renders dynamically (the root layout awaits connection()). /api, /v1 and static files are not
// matched: they get their headers from next.config.mjs, and a proxy would buffer request bodies.
import { NextResponse, type NextRequest } from "next/server";
import { newCspNonce, pageContentSecurityPolicy } from "@/lib/http/content-security-policy";

export function proxy(request: NextRequest) {
  const policy = pageContentSecurityPolicy(newCspNonce(), { isDev: process.env.NODE_ENV === "development" });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("content-security-policy", policy);
  return response;
}

export const config = {
  matcher: [
    {
      // Files from public/ (icons, robots.txt, the manifest, the Open Graph card) are not pages either.
      source: "/((?!api/|api$|v1/|v1$|_next/static|_next/image|.*\\.(?:ico|png|svg|txt|webmanifest)$).*)",
      // Prefetches of next/link are RSC payloads, not documents: no policy needed.
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};

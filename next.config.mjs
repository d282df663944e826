// Security headers (DESIGN §8). Pages get their Content-Security-Policy with a per-request nonce
// from proxy.ts; the /api routes answer JSON (and next-auth's small HTML pages: inline <style>, a
// sign-out form, no script), so theirs is static and shuts everything else off.
const API_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
  // Production builds only (the value is fixed at build time): browsers ignore it over plain http,
  // and a developer's localhost must not be pinned to https for two years.
  ...(process.env.NODE_ENV === "production"
    ? [{ key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" }]
    : []),
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  // The Docker image runs from .next/standalone (the build's traced minimal node_modules), with our
  // own server bundled beside it by scripts/package-standalone.mjs. The tracing root is pinned to
  // this folder, so the standalone layout does not depend on lockfiles in the folders above.
  output: "standalone",
  outputFileTracingRoot: import.meta.dirname,
  // Read at run time from process.cwd() (the password policy), which no import names: traced by hand.
  outputFileTracingIncludes: { "/**": ["./lib/accounts/common-passwords.txt"] },
  poweredByHeader: false,
  reactStrictMode: true,
  // pg, pglite and undici are server-only Node packages; keep them out of the bundler. prom-client
  // too: Next's route handlers (the Stripe webhook) then load the same copy as the server process,
  // which owns the one registry (lib/metrics/registry.ts).
  serverExternalPackages: ["pg", "@electric-sql/pglite", "@electric-sql/pglite-socket", "undici", "prom-client"],
  async headers() {
    return [
      {
        source: "/:path*",
        headers: SECURITY_HEADERS,
      },
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: API_CONTENT_SECURITY_POLICY }] },
    ];
  },
};

export default nextConfig;

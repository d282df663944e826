// The site address put in emailed links. Never taken from the request's Host header: a forged Host
// on a "forgot password" request would otherwise mail the victim a reset link to the attacker's site.
export function siteBaseUrl(): string {
  const configured = process.env.NEXTAUTH_URL || process.env.TOKENFLOW_PUBLIC_URL;
  if (configured) return configured.replace(/\/+$/, "");
  return `http://localhost:${process.env.PORT ?? 3000}`;
}

// The base URL clients should use for this server: TOKENFLOW_PUBLIC_URL when set (behind a proxy
// that rewrites Host), else what the request itself says.
export function publicBaseUrl(headers: Headers): string {
  const configured = process.env.TOKENFLOW_PUBLIC_URL;
  if (configured) return configured.replace(/\/+$/, "");
  const host = headers.get("x-forwarded-host") ?? headers.get("host") ?? "localhost:3000";
  const proto =
    headers.get("x-forwarded-proto") ?? (host.startsWith("localhost") || host.startsWith("127.") ? "http" : "https");
  return `${proto.split(",")[0].trim()}://${host.split(",")[0].trim()}`;
}

import { BlockList, isIP } from "node:net";
import type { HeaderReader } from "./http";

// Client addresses for per-key IP allow-lists and per-IP throttles. A Next.js route handler cannot see the TCP peer address, and Next only
// fills x-forwarded-for when the client did not send one, so the address is trusted only from the
// header a deployment's own proxy sets (TOKENFLOW_CLIENT_IP_HEADER, e.g. "x-real-ip"). Without that
// setting, keys with an allow-list are refused: failing closed beats trusting a spoofable header.

/** The client address reported by the trusted proxy header, or null when there is none. */
export function trustedClientIp(
  headers: HeaderReader,
  headerName = process.env.TOKENFLOW_CLIENT_IP_HEADER,
): string | null {
  if (!headerName) return null;
  return parseAddress(headers.get(headerName));
}

/**
 * Set by TokenFlow's own HTTP server on every request from the socket's remote address, after
 * deleting any value the client sent, so it is trustworthy when present.
 */
export const PEER_ADDRESS_HEADER = "x-tokenflow-peer-address";

/**
 * The address per-IP throttles (e.g. sign-in attempts) count against, by the same rule as key IP
 * allow-lists: the trusted proxy header when one is configured; else the socket address our server
 * puts in PEER_ADDRESS_HEADER; else the literal "unknown" (one shared bucket). Accepts next-auth's
 * plain header object as well as web Headers.
 */
export function clientIpForThrottling(
  headers: Headers | Record<string, string | string[] | undefined>,
  headerName = process.env.TOKENFLOW_CLIENT_IP_HEADER,
): string {
  return clientAddress(headers instanceof Headers ? headers : toHeaders(headers), headerName);
}

/** clientIpForThrottling's rule for the gateway's own request headers. */
export function clientAddress(headers: HeaderReader, headerName = process.env.TOKENFLOW_CLIENT_IP_HEADER): string {
  return trustedClientIp(headers, headerName) ?? parseAddress(headers.get(PEER_ADDRESS_HEADER)) ?? "unknown";
}

function toHeaders(plain: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(plain)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      try {
        headers.append(name, item);
      } catch {
        /* a header name or value web Headers refuses cannot be one we read */
      }
    }
  }
  return headers;
}

function parseAddress(value: string | null): string | null {
  if (!value) return null;
  // A proxy that appends (x-forwarded-for style) puts the address it saw last.
  const candidate = value
    .split(",")
    .pop()!
    .trim()
    .replace(/^\[|\]$/g, "");
  const unmapped = candidate.startsWith("::ffff:") && isIP(candidate.slice(7)) === 4 ? candidate.slice(7) : candidate;
  return isIP(unmapped) ? unmapped : null;
}

/** Whether `ip` is inside any of the allow-list entries (addresses or CIDRs). */
export function isIpAllowed(ip: string, allowList: string[]): boolean {
  const list = new BlockList();
  for (const entry of allowList) {
    const [address, prefix] = entry.split("/");
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list.check(ip, isIP(ip) === 6 ? "ipv6" : "ipv4");
}

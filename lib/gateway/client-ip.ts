import { BlockList, isIP } from "node:net";

// Per-key IP allow-lists. A Next.js route handler cannot see the TCP peer address, and Next only
// fills x-forwarded-for when the client did not send one, so the address is trusted only from the
// header a deployment's own proxy sets (TOKENFLOW_CLIENT_IP_HEADER, e.g. "x-real-ip"). Without that
// setting, keys with an allow-list are refused: failing closed beats trusting a spoofable header.

/** The client address reported by the trusted proxy header, or null when there is none. */
export function trustedClientIp(headers: Headers, headerName = process.env.TOKENFLOW_CLIENT_IP_HEADER): string | null {
  if (!headerName) return null;
  const value = headers.get(headerName);
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

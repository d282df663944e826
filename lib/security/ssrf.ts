import dns from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { Agent, buildConnector } from "undici";

// SSRF guard for server-side fetches to admin-typed upstream base URLs (DESIGN §8).
// Two layers, because a check at save time alone is defeated by DNS rebinding:
//   1. validateUpstreamUrl: when an admin saves a channel, with a reason they can act on;
//   2. createGuardedAgent: every connection the relay opens re-resolves and re-checks the address
//      the socket will actually use (also for IP-literal hosts, which never hit a DNS lookup).
// Anything loopback/private/link-local/metadata/reserved is refused unless TOKENFLOW_ALLOWED_UPSTREAMS
// lists the host, the address, or a CIDR containing it. Redirects are not followed (DESIGN §8):
// callers fetch with `redirect: "manual"`; any connection still goes through the guarded agent.

export const ALLOWED_UPSTREAMS_ENV = "TOKENFLOW_ALLOWED_UPSTREAMS";

export interface AllowList {
  /** Lower-case hostnames without trailing dot; every address they resolve to is trusted. */
  readonly hosts: ReadonlySet<string>;
  /** Exact addresses and CIDRs. */
  readonly addresses: BlockList;
  /** The entries as parsed, for display/logging (the env var is configuration, not a secret). */
  readonly entries: readonly string[];
}

type DnsLookup = typeof dns.lookup;

// ---------- allow list ----------

/** Parses the comma-separated env value. Throws on a malformed entry so a typo fails at startup. */
export function parseAllowList(env: string | undefined): AllowList {
  const hosts = new Set<string>();
  const addresses = new BlockList();
  const entries: string[] = [];
  for (const rawEntry of (env ?? "").split(",")) {
    const entry = rawEntry.trim().toLowerCase();
    if (!entry) continue;
    if (!addAllowEntry(entry, hosts, addresses)) {
      throw new Error(
        `${ALLOWED_UPSTREAMS_ENV}: invalid entry ${JSON.stringify(entry)} (expected hostname, IP or CIDR)`,
      );
    }
    entries.push(entry);
  }
  return { hosts, addresses, entries };
}

export function allowListFromEnv(env: NodeJS.ProcessEnv = process.env): AllowList {
  return parseAllowList(env[ALLOWED_UPSTREAMS_ENV]);
}

function addAllowEntry(entry: string, hosts: Set<string>, addresses: BlockList): boolean {
  const slash = entry.indexOf("/");
  if (slash !== -1) {
    const ip = stripBrackets(entry.slice(0, slash));
    const prefixText = entry.slice(slash + 1);
    const family = isIP(ip);
    if (!family || !/^\d{1,3}$/.test(prefixText)) return false;
    const prefix = Number(prefixText);
    if (prefix > (family === 4 ? 32 : 128)) return false;
    addresses.addSubnet(ip, prefix, family === 4 ? "ipv4" : "ipv6");
    return true;
  }
  const ip = stripBrackets(entry);
  const family = isIP(ip);
  if (family) {
    addresses.addAddress(ip, family === 4 ? "ipv4" : "ipv6");
    return true;
  }
  // Normalise like the URLs we will compare against (IDN → punycode, "0x7f.1" → 127.0.0.1).
  const host = normaliseHostname(entry);
  if (!host) return false;
  const hostFamily = isIP(stripBrackets(host));
  if (hostFamily) addresses.addAddress(stripBrackets(host), hostFamily === 4 ? "ipv4" : "ipv6");
  else hosts.add(host);
  return true;
}

function normaliseHostname(value: string): string | null {
  if (/[\s/@?#:\\]/.test(value)) return null; // ports, paths and credentials are not hostnames
  try {
    const host = new URL(`http://${value}`).hostname;
    return host.endsWith(".") ? host.slice(0, -1) : host;
  } catch {
    return null;
  }
}

export function isAllowedHost(allow: AllowList, hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return allow.hosts.has(host);
}

export function isAllowedAddress(allow: AllowList, ip: string): boolean {
  const address = stripZone(stripBrackets(ip));
  const family = isIP(address);
  if (!family) return false;
  // BlockList also matches IPv4 rules against IPv4-mapped IPv6 addresses (::ffff:a.b.c.d).
  return allow.addresses.check(address, family === 4 ? "ipv4" : "ipv6");
}

// ---------- address classification ----------

type Range4 = readonly [base: string, prefix: number, label: string];

// Order matters only for the label; every range here is refused.
const FORBIDDEN_V4: readonly Range4[] = [
  ["255.255.255.255", 32, "broadcast"],
  ["169.254.169.254", 32, "cloud metadata"],
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"], // also Alibaba Cloud metadata 100.100.100.200
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"], // IETF protocol assignments; Oracle Cloud metadata 192.0.0.192
  ["192.0.2.0", 24, "reserved"], // documentation
  ["192.88.99.0", 24, "reserved"], // deprecated 6to4 relay anycast
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "reserved"], // benchmarking
  ["198.51.100.0", 24, "reserved"], // documentation
  ["203.0.113.0", 24, "reserved"], // documentation
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];

const FORBIDDEN_V4_PARSED = FORBIDDEN_V4.map(([base, prefix, label]) => ({
  base: parseIPv4(base) as number,
  mask: prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0,
  label,
}));

/** True when a connection to this address must be refused (absent an allow-list entry). */
export function isForbiddenAddress(ip: string): boolean {
  return classifyAddress(ip) !== null;
}

/**
 * Why an address is forbidden ("loopback", "private", …), or null for a public unicast address.
 * Anything that is not a valid IP literal is forbidden: fail closed.
 */
export function classifyAddress(ip: string): string | null {
  const address = stripZone(stripBrackets(ip.trim()));
  const family = isIP(address);
  if (family === 4) return classifyV4(parseIPv4(address) as number);
  if (family === 6) {
    const groups = parseIPv6(address);
    return groups ? classifyV6(groups) : "invalid address";
  }
  return "invalid address";
}

function classifyV4(value: number): string | null {
  for (const range of FORBIDDEN_V4_PARSED) {
    if ((value & range.mask) >>> 0 === range.base) return range.label;
  }
  return null;
}

function classifyV6(g: readonly number[]): string | null {
  const embedded = (hi: number, lo: number, prefix: string): string | null => {
    const label = classifyV4(((hi << 16) | lo) >>> 0);
    return label && `${prefix} ${label}`;
  };
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);

  // Forms that embed an IPv4 address the kernel or a translator will actually connect to.
  if (zeroUpTo(5) && g[5] === 0xffff) return embedded(g[6], g[7], "IPv4-mapped");
  if (zeroUpTo(4) && g[4] === 0xffff && g[5] === 0) return embedded(g[6], g[7], "IPv4-translated");
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    return embedded(g[6], g[7], "NAT64");
  }
  if (g[0] === 0x2002) return embedded(g[1], g[2], "6to4");

  if (g.every((x) => x === 0)) return "unspecified";
  if (zeroUpTo(7) && g[7] === 1) return "loopback";
  if (zeroUpTo(6)) return "IPv4-compatible (deprecated)";
  if ((g[0] & 0xfe00) === 0xfc00) return "private"; // unique local fc00::/7, incl. AWS fd00:ec2::254
  if ((g[0] & 0xffc0) === 0xfe80) return "link-local";
  if ((g[0] & 0xffc0) === 0xfec0) return "site-local (deprecated)";
  if ((g[0] & 0xff00) === 0xff00) return "multicast";
  // Everything globally routable today lives in 2000::/3; the rest (::/8 incl. 64:ff9b:1::/48,
  // 100::/64 discard, …) is reserved or special-purpose.
  if ((g[0] & 0xe000) !== 0x2000) return "reserved";
  if (g[0] === 0x2001 && g[1] === 0) return "Teredo tunnel"; // reaches an arbitrary IPv4 peer
  if (g[0] === 0x2001 && g[1] === 0x0db8) return "reserved"; // documentation
  if (g[0] === 0x2001 && g[1] === 0x0002 && g[2] === 0) return "reserved"; // benchmarking
  if (g[0] === 0x2001 && (g[1] & 0xffe0) === 0x0020) return "reserved"; // ORCHIDv2 2001:20::/28
  if (g[0] === 0x2001 && (g[1] & 0xfff0) === 0x0010) return "reserved"; // ORCHID 2001:10::/28
  if (g[0] === 0x3fff && (g[1] & 0xf000) === 0) return "reserved"; // documentation 3fff::/20
  return null;
}

function parseIPv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value >>> 0;
}

/** Eight 16-bit groups, or null. Handles "::" and a dotted IPv4 tail. */
function parseIPv6(text: string): number[] | null {
  let s = text.toLowerCase();
  const lastColon = s.lastIndexOf(":");
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseIPv4(tail);
    if (v4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const split = (part: string) => (part === "" ? [] : part.split(":"));
  const head = split(halves[0]);
  const rest = halves.length === 2 ? split(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  if (!groups.every((x) => /^[0-9a-f]{1,4}$/.test(x))) return null;
  return groups.map((x) => parseInt(x, 16));
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function stripZone(ip: string): string {
  const percent = ip.indexOf("%");
  return percent === -1 ? ip : ip.slice(0, percent);
}

/** Null when the address may be used, else the reason label. */
function refusalFor(allow: AllowList, address: string): string | null {
  const label = classifyAddress(address);
  if (label === null || isAllowedAddress(allow, address)) return null;
  return label;
}

// ---------- save time ----------

export type UpstreamUrlCheck =
  | {
      ok: true;
      url: URL;
      /** false when DNS gave no answer; the connect-time guard still applies */ resolved: boolean;
    }
  | { ok: false; reason: string };

export interface ValidateOptions {
  /** Injected resolver (tests); defaults to the OS resolver like the connection itself. */
  lookup?: (host: string) => Promise<readonly { address: string; family: number }[]>;
  /** Refuse hosts that do not resolve now. Off by default: offline installs and not-yet-live DNS. */
  requireResolvable?: boolean;
}

const MAX_URL_LENGTH = 2048;
const ALLOW_HINT = `add it to ${ALLOWED_UPSTREAMS_ENV} to allow it`;

/**
 * Checks an admin-typed upstream base URL before it is saved. Reasons name the host (admin input)
 * and the kind of address, never the URL itself (it may carry credentials) or resolver internals.
 */
export async function validateUpstreamUrl(
  raw: string,
  allow: AllowList,
  options: ValidateOptions = {},
): Promise<UpstreamUrlCheck> {
  if (typeof raw !== "string" || raw.length > MAX_URL_LENGTH)
    return { ok: false, reason: "URL is missing or too long" };
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { ok: false, reason: "not a valid absolute URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, reason: "only http and https URLs are allowed" };
  }
  if (url.username || url.password) {
    return {
      ok: false,
      reason: "URL must not contain credentials; store the API key separately",
    };
  }
  // WHATWG URL already canonicalised the host: "2130706433", "0x7f.1", "017700000001" → 127.0.0.1,
  // IPv6 compressed and bracketed, IDN → punycode, lower case.
  const host = stripBrackets(url.hostname);
  if (!host) return { ok: false, reason: "URL has no host" };

  if (isIP(host)) {
    const refusal = refusalFor(allow, host);
    return refusal
      ? {
          ok: false,
          reason: `host ${host} is a ${refusal} address; ${ALLOW_HINT}`,
        }
      : { ok: true, url, resolved: true };
  }
  if (isAllowedHost(allow, host)) return { ok: true, url, resolved: true };

  let addresses: readonly { address: string; family: number }[];
  try {
    addresses = await (options.lookup ?? defaultLookupAll)(host);
  } catch {
    addresses = [];
  }
  if (addresses.length === 0) {
    return options.requireResolvable
      ? { ok: false, reason: `host ${host} could not be resolved` }
      : { ok: true, url, resolved: false };
  }
  // ANY forbidden answer refuses: a host that mixes public and private records is a rebinding setup.
  for (const { address } of addresses) {
    const refusal = refusalFor(allow, address);
    if (refusal)
      return {
        ok: false,
        reason: `host ${host} resolves to a ${refusal} address; ${ALLOW_HINT}`,
      };
  }
  return { ok: true, url, resolved: true };
}

function defaultLookupAll(host: string) {
  return dns.promises.lookup(host, { all: true, verbatim: true });
}

// ---------- connect time ----------

export class SsrfError extends Error {
  readonly code = "ESSRF";
  constructor(message: string) {
    super(message);
    this.name = "SsrfError";
  }
}

/**
 * A `lookup` for net.connect / tls.connect / undici `connect: { lookup }` that refuses forbidden
 * answers. Runs on every new connection, so a DNS answer that changed since save time is caught.
 * Supports both the single-address and the `all: true` (happy eyeballs) calling conventions.
 */
export function createGuardedLookup(allow: AllowList, resolve: DnsLookup = dns.lookup): LookupFunction {
  return (hostname, options, callback) => {
    const opts: dns.LookupOptions = typeof options === "object" && options !== null ? options : {};
    resolve(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const list = addresses as dns.LookupAddress[];
      if (!isAllowedHost(allow, hostname)) {
        for (const { address } of list) {
          const refusal = refusalFor(allow, address);
          if (refusal) return callback(refusedError(hostname, refusal), "", 0);
        }
      }
      if (opts.all) return callback(null, list);
      if (list.length === 0)
        return callback(
          Object.assign(new Error(`no address for ${hostname}`), {
            code: "ENOTFOUND",
          }),
          "",
          0,
        );
      callback(null, list[0].address, list[0].family);
    });
  };
}

export interface GuardedAgentOptions {
  connectTimeoutMs: number;
  keepAliveTimeoutMs: number;
  connections?: number;
  /** Injected resolver (tests); the guard still checks whatever it returns. */
  resolve?: DnsLookup;
}

/**
 * undici Agent whose every connection passes the SSRF guard. Node's net.connect skips `lookup`
 * entirely for IP-literal hosts (verified in ssrf.test.ts), so the connector checks literals itself.
 */
export function createGuardedAgent(allow: AllowList, opts: GuardedAgentOptions): Agent {
  const lookup = createGuardedLookup(allow, opts.resolve);
  const base = buildConnector({ timeout: opts.connectTimeoutMs, lookup });
  const connect: buildConnector.connector = (connectOpts, callback) => {
    const host = stripBrackets(connectOpts.hostname);
    if (isIP(host)) {
      const refusal = refusalFor(allow, host);
      if (refusal) {
        // Async like a real connect failure; undici does not expect a re-entrant callback.
        queueMicrotask(() => callback(refusedError(host, refusal), null));
        return;
      }
    }
    base(connectOpts, callback);
  };
  return new Agent({
    connect,
    keepAliveTimeout: opts.keepAliveTimeoutMs,
    ...(opts.connections !== undefined ? { connections: opts.connections } : {}),
  });
}

function refusedError(host: string, label: string): SsrfError {
  return new SsrfError(`refused to connect to ${host}: ${label} address not in ${ALLOWED_UPSTREAMS_ENV}`);
}

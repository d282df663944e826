import dns from "node:dns";
import http from "node:http";
import type { AddressInfo, LookupFunction } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, request } from "undici";
import {
  classifyAddress,
  createGuardedAgent,
  createGuardedLookup,
  isAllowedAddress,
  isAllowedHost,
  isForbiddenAddress,
  parseAllowList,
  validateUpstreamUrl,
  type AllowList,
} from "./ssrf";

const NONE = parseAllowList(undefined);

// A resolver that answers from a table, like a hostile DNS server would (no network needed).
const fakeRecords: Record<string, { address: string; family: number }[]> = {
  "rebind.test": [{ address: "127.0.0.1", family: 4 }],
  "mixed.test": [
    { address: "8.8.8.8", family: 4 },
    { address: "10.0.0.5", family: 4 },
  ],
  "public.test": [
    { address: "8.8.8.8", family: 4 },
    { address: "2001:4860:4860::8888", family: 6 },
  ],
  "metadata.test": [{ address: "169.254.169.254", family: 4 }],
  "mapped.test": [{ address: "::ffff:127.0.0.1", family: 6 }],
};
const fakeLookupAll = async (host: string) => {
  const records = fakeRecords[host];
  if (!records) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
  return records;
};
const fakeDnsLookup = ((host: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
  const records = fakeRecords[host];
  if (!records) return callback(Object.assign(new Error("not found"), { code: "ENOTFOUND" }));
  if (options.all) return callback(null, records);
  callback(null, records[0].address, records[0].family);
}) as unknown as typeof dns.lookup;

describe("isForbiddenAddress", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["::1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["fd00:ec2::254", "private"],
    ["169.254.169.254", "cloud metadata"],
    ["169.254.1.1", "link-local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.100.100.200", "carrier-grade NAT"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "broadcast"],
    ["192.0.0.192", "reserved"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
    ["::ffff:7f00:1", "IPv4-mapped loopback"],
    ["[::ffff:7f00:1]", "IPv4-mapped loopback"],
    ["::ffff:169.254.169.254", "IPv4-mapped cloud metadata"],
    ["0:0:0:0:0:ffff:a00:1", "IPv4-mapped private"],
    ["::ffff:0:7f00:1", "IPv4-translated loopback"],
    ["::127.0.0.1", "IPv4-compatible (deprecated)"],
    ["::7f00:1", "IPv4-compatible (deprecated)"],
    ["64:ff9b::7f00:1", "NAT64 loopback"],
    ["64:ff9b::169.254.169.254", "NAT64 cloud metadata"],
    ["64:ff9b:1::1", "reserved"],
    ["2002:7f00:1::", "6to4 loopback"],
    ["2002:a9fe:a9fe::1", "6to4 cloud metadata"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo tunnel"],
    ["2001:db8::1", "reserved"],
    ["100::1", "reserved"],
    ["fec0::1", "site-local (deprecated)"],
  ])("refuses %s (%s)", (ip, label) => {
    expect(isForbiddenAddress(ip)).toBe(true);
    expect(classifyAddress(ip)).toBe(label);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "104.18.6.192",
    "172.15.255.255",
    "172.32.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "2001:4860:4860::8888",
    "2606:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
  ])("allows public %s", (ip) => {
    expect(isForbiddenAddress(ip)).toBe(false);
  });

  it.each(["localhost", "", "not-an-ip", "0x7f.1", "2130706433", "1.2.3", "::ffff:300.0.0.1"])(
    "fails closed on non-literal %j",
    (value) => {
      expect(isForbiddenAddress(value)).toBe(true);
    },
  );
});

describe("parseAllowList", () => {
  it("parses hostnames, addresses and CIDRs", () => {
    const allow = parseAllowList(" Fake-Upstream.local. , 127.0.0.1, 10.0.0.0/8 ,fd00::/8,[::1],, ");
    expect(allow.entries).toEqual(["fake-upstream.local.", "127.0.0.1", "10.0.0.0/8", "fd00::/8", "[::1]"]);
    expect(isAllowedHost(allow, "FAKE-UPSTREAM.local")).toBe(true);
    expect(isAllowedHost(allow, "other.local")).toBe(false);
    expect(isAllowedAddress(allow, "127.0.0.1")).toBe(true);
    expect(isAllowedAddress(allow, "127.0.0.2")).toBe(false);
    expect(isAllowedAddress(allow, "10.200.3.4")).toBe(true);
    expect(isAllowedAddress(allow, "11.0.0.1")).toBe(false);
    expect(isAllowedAddress(allow, "fd00:ec2::254")).toBe(true);
    expect(isAllowedAddress(allow, "fc00::1")).toBe(false);
    expect(isAllowedAddress(allow, "::1")).toBe(true);
    expect(isAllowedAddress(allow, "[::1]")).toBe(true);
  });

  it("is empty for unset or blank env", () => {
    expect(parseAllowList(undefined).entries).toEqual([]);
    expect(parseAllowList("  , ").entries).toEqual([]);
  });

  it("normalises encoded IPv4 entries like URLs do", () => {
    expect(isAllowedAddress(parseAllowList("0x7f.1"), "127.0.0.1")).toBe(true);
  });

  it.each(["10.0.0.0/33", "fd00::/129", "10.0.0.0/x", "host:8080", "http://x.com", "a b", "user@host"])(
    "rejects invalid entry %j",
    (entry) => {
      expect(() => parseAllowList(`ok.example, ${entry}`)).toThrow(/TOKENFLOW_ALLOWED_UPSTREAMS: invalid entry/);
    },
  );
});

describe("validateUpstreamUrl (save time)", () => {
  const check = (raw: string, allow: AllowList = NONE) => validateUpstreamUrl(raw, allow, { lookup: fakeLookupAll });

  it("WHATWG URL canonicalises encoded IPv4 hosts", () => {
    expect(new URL("http://2130706433").hostname).toBe("127.0.0.1");
    expect(new URL("http://0x7f.1").hostname).toBe("127.0.0.1");
    expect(new URL("http://017700000001").hostname).toBe("127.0.0.1");
    expect(new URL("http://[::ffff:127.0.0.1]").hostname).toBe("[::ffff:7f00:1]");
  });

  it.each([
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:8080/v1",
    "http://10.0.0.1/v1",
    "https://192.168.0.10/v1",
    "http://[::ffff:127.0.0.1]/v1",
    "http://[::1]:3000/",
    "http://[fd00:ec2::254]/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://017700000001/",
    "http://127.1/",
    "http://0/",
    "http://rebind.test/v1",
    "http://metadata.test/",
    "http://mapped.test/",
  ])("refuses %s", async (raw) => {
    const result = await check(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/address; add it to TOKENFLOW_ALLOWED_UPSTREAMS/);
  });

  it("refuses localhost with the real resolver", async () => {
    const result = await validateUpstreamUrl("http://localhost:3000/v1", NONE);
    expect(result).toEqual({
      ok: false,
      reason: expect.stringMatching(/^host localhost resolves to a loopback address/),
    });
  });

  it("refuses a host if ANY resolved address is forbidden", async () => {
    const result = await check("https://mixed.test/v1");
    expect(result).toEqual({
      ok: false,
      reason: expect.stringContaining("private address"),
    });
  });

  it("accepts public hosts and literals", async () => {
    const result = await check("https://public.test/v1");
    expect(result.ok && result.url.href).toBe("https://public.test/v1");
    expect(result.ok && result.resolved).toBe(true);
    expect((await check("https://8.8.8.8/v1")).ok).toBe(true);
    expect((await check("https://[2001:4860:4860::8888]/v1")).ok).toBe(true);
  });

  it("accepts forbidden targets that the allow list names", async () => {
    expect((await check("http://127.0.0.1:4000/v1", parseAllowList("127.0.0.1"))).ok).toBe(true);
    expect((await check("http://2130706433:4000/v1", parseAllowList("127.0.0.0/8"))).ok).toBe(true);
    expect((await check("http://[::ffff:127.0.0.1]/v1", parseAllowList("127.0.0.1"))).ok).toBe(true);
    expect((await check("http://rebind.test/v1", parseAllowList("rebind.test"))).ok).toBe(true);
    expect((await check("http://rebind.test/v1", parseAllowList("127.0.0.1"))).ok).toBe(true);
    expect((await check("http://mixed.test/v1", parseAllowList("10.0.0.0/8"))).ok).toBe(true);
    expect((await check("http://[fd00:ec2::254]/", parseAllowList("fd00::/8"))).ok).toBe(true);
    expect((await check("http://localhost/", parseAllowList("localhost"))).ok).toBe(true);
  });

  it("an allow-listed address does not unlock a different forbidden one", async () => {
    expect((await check("http://10.0.0.1/", parseAllowList("127.0.0.1"))).ok).toBe(false);
  });

  it.each([
    ["ftp://example.com/", /only http and https/],
    ["file:///etc/passwd", /only http and https/],
    ["demo://local", /only http and https/],
    ["javascript:alert(1)", /only http and https/],
    ["not a url", /not a valid absolute URL/],
    ["/relative/path", /not a valid absolute URL/],
    ["", /not a valid absolute URL/],
  ])("refuses %j", async (raw, reason) => {
    expect(await check(raw)).toEqual({
      ok: false,
      reason: expect.stringMatching(reason),
    });
  });

  it("refuses credentials without echoing them", async () => {
    const result = await check("https://user:sk-secret-123@public.test/v1");
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(/credentials/);
      expect(result.reason).not.toContain("sk-secret-123");
      expect(result.reason).not.toContain("user");
    }
  });

  it("refuses overly long URLs", async () => {
    expect((await check(`https://public.test/${"a".repeat(3000)}`)).ok).toBe(false);
  });

  it("unresolvable hosts pass unless required (the connect-time guard still applies)", async () => {
    expect(await check("https://nowhere.test/v1")).toMatchObject({
      ok: true,
      resolved: false,
    });
    const strict = await validateUpstreamUrl("https://nowhere.test/v1", NONE, {
      lookup: fakeLookupAll,
      requireResolvable: true,
    });
    expect(strict).toEqual({
      ok: false,
      reason: "host nowhere.test could not be resolved",
    });
  });
});

describe("createGuardedLookup", () => {
  const lookupOnce = (allow: AllowList, host: string, options: dns.LookupOptions) =>
    new Promise<{
      err: NodeJS.ErrnoException | null;
      address: unknown;
      family?: number;
    }>((resolve) => {
      createGuardedLookup(allow, fakeDnsLookup)(host, options, (err, address, family) =>
        resolve({ err, address, family }),
      );
    });

  it("refuses forbidden answers with code ESSRF", async () => {
    for (const host of ["rebind.test", "metadata.test", "mixed.test", "mapped.test"]) {
      const { err } = await lookupOnce(NONE, host, {});
      expect(err?.code).toBe("ESSRF");
      const all = await lookupOnce(NONE, host, { all: true });
      expect(all.err?.code).toBe("ESSRF");
    }
  });

  it("passes public answers in both calling conventions", async () => {
    expect(await lookupOnce(NONE, "public.test", {})).toEqual({
      err: null,
      address: "8.8.8.8",
      family: 4,
    });
    const all = await lookupOnce(NONE, "public.test", { all: true });
    expect(all.err).toBeNull();
    expect(all.address).toEqual(fakeRecords["public.test"]);
  });

  it("honours the allow list by host and by address", async () => {
    expect((await lookupOnce(parseAllowList("rebind.test"), "rebind.test", {})).err).toBeNull();
    expect((await lookupOnce(parseAllowList("127.0.0.0/8"), "rebind.test", {})).err).toBeNull();
  });

  it("passes resolver errors through", async () => {
    expect((await lookupOnce(NONE, "nowhere.test", {})).err?.code).toBe("ENOTFOUND");
  });
});

describe("createGuardedAgent (connect time, real sockets on 127.0.0.1)", () => {
  let server: http.Server;
  let port = 0;
  const agents: Agent[] = [];
  const agentFor = (allow: AllowList) => {
    const agent = createGuardedAgent(allow, {
      connectTimeoutMs: 2_000,
      keepAliveTimeoutMs: 1_000,
      connections: 4,
      resolve: fakeDnsLookup,
    });
    agents.push(agent);
    return agent;
  };
  const get = async (url: string, dispatcher: Agent) => {
    const res = await request(url, { dispatcher });
    return { status: res.statusCode, body: await res.body.text() };
  };
  const refusal = (url: string, dispatcher: Agent) =>
    request(url, { dispatcher }).then(
      () => null,
      (err: NodeJS.ErrnoException) => err.code,
    );

  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end("pong"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await Promise.all(agents.map((agent) => agent.close()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("plain undici lookup is skipped for IP literals, which is why the connector checks them", async () => {
    let called = 0;
    const naive = new Agent({
      connect: {
        lookup: ((hostname, options, callback) => {
          called++;
          dns.lookup(hostname, options, callback as never);
        }) as LookupFunction,
      },
    });
    agents.push(naive);
    expect(await get(`http://127.0.0.1:${port}/`, naive)).toEqual({
      status: 200,
      body: "pong",
    });
    expect(called).toBe(0);
  });

  it.each([
    "http://127.0.0.1:PORT/",
    "http://2130706433:PORT/",
    "http://0x7f.1:PORT/",
    "http://017700000001:PORT/",
    "http://[::ffff:127.0.0.1]:PORT/",
    "http://rebind.test:PORT/",
    "http://169.254.169.254:PORT/",
    "http://metadata.test:PORT/",
  ])("refuses %s", async (url) => {
    expect(await refusal(url.replace("PORT", String(port)), agentFor(NONE))).toBe("ESSRF");
  });

  it("refuses localhost through the real resolver", async () => {
    const agent = createGuardedAgent(NONE, {
      connectTimeoutMs: 2_000,
      keepAliveTimeoutMs: 1_000,
    });
    agents.push(agent);
    expect(await refusal(`http://localhost:${port}/`, agent)).toBe("ESSRF");
  });

  it("guards https connections too (lookup reaches tls.connect)", async () => {
    for (const url of ["https://rebind.test:1/", "https://127.0.0.1:1/", "https://[::1]:1/"]) {
      expect(await refusal(url, agentFor(NONE))).toBe("ESSRF");
    }
    // Allowed: the guard lets it through and the (closed) port answers for itself.
    const code = await refusal("https://rebind.test:1/", agentFor(parseAllowList("rebind.test")));
    expect(code).not.toBe("ESSRF");
    expect(code).toBeTruthy();
  });

  it("surfaces ESSRF as the cause of a fetch failure", async () => {
    const err = await fetch(`http://127.0.0.1:${port}/`, {
      dispatcher: agentFor(NONE),
    } as RequestInit).then(
      () => null,
      (e: Error & { cause?: NodeJS.ErrnoException }) => e,
    );
    expect(err?.cause?.code).toBe("ESSRF");
  });

  it("connects when the address or host is allow-listed", async () => {
    const byAddress = agentFor(parseAllowList("127.0.0.1"));
    expect(await get(`http://127.0.0.1:${port}/`, byAddress)).toEqual({
      status: 200,
      body: "pong",
    });
    expect(await get(`http://2130706433:${port}/`, byAddress)).toEqual({
      status: 200,
      body: "pong",
    });
    expect(await get(`http://rebind.test:${port}/`, byAddress)).toEqual({
      status: 200,
      body: "pong",
    });
    const byCidr = agentFor(parseAllowList("127.0.0.0/8"));
    expect(await get(`http://127.0.0.1:${port}/`, byCidr)).toEqual({
      status: 200,
      body: "pong",
    });
    const byHost = agentFor(parseAllowList("rebind.test"));
    expect(await get(`http://rebind.test:${port}/`, byHost)).toEqual({
      status: 200,
      body: "pong",
    });
    // Allowing a hostname does not allow the address when it is used as a literal.
    expect(await refusal(`http://127.0.0.1:${port}/`, byHost)).toBe("ESSRF");
  });
});

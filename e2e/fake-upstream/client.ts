// Test helpers for the fake OpenAI upstream (e2e/fake-upstream/server.mjs):
//   * spawnFakeUpstream() — start it as a child process on a random port,
//   * a tiny client for its /__control API (recorded requests, stats, fault scenarios).
// All helpers take the server's `url` (origin, e.g. http://127.0.0.1:4010); a trailing "/v1" is tolerated.

import { fixtureServerPath, spawnFixture } from "../spawn-fixture";
import leaks from "./leaks.json";

export interface FakeUpstreamHandle {
  /** Origin, e.g. http://127.0.0.1:4010 (control API lives here). */
  url: string;
  /** `${url}/v1` — what a gateway channel's base URL should be. */
  baseUrl: string;
  port: number;
  /** Terminates the child (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. */
  stop(): Promise<void>;
}

export interface RecordedRequest {
  id: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (null if empty or invalid; then `rawBody` holds the text). */
  body: any;
  rawBody?: string;
  /** Bearer token = channel tag. */
  apiKey: string | null;
  model: string | null;
  stream: boolean;
  /** Epoch ms. */
  receivedAt: number;
  /** HTTP status sent (null if headers never went out). */
  status: number | null;
  /** Epoch ms when the response was fully written. */
  finishedAt: number | null;
  /** The client closed the connection before the response finished. */
  closedEarly: boolean;
  /** Epoch ms of that early close. */
  closedAt: number | null;
  /** The fake destroyed the socket itself (cut-after fault). */
  cut: boolean;
  /** Fault specs applied (header, body, scenario — in that order). */
  faults: string[];
  scenarioId: number | null;
  /** Output tokens actually written (stream: token chunks × choices; non-stream: all tokens). */
  tokensWritten: number;
  usageSent: boolean;
  /** The usage object sent to the client, if any. */
  usage: Record<string, any> | null;
}

export interface FakeUpstreamStats {
  total: number;
  byPath: Record<string, number>;
  byModel: Record<string, number>;
  byApiKey: Record<string, number>;
  /** TCP connections currently open (including idle keep-alive ones). */
  open: number;
  /** /v1 requests whose response is still in progress. */
  inFlight: number;
}

export interface ScenarioInput {
  /** All given fields must match; omitted = any. apiKey = the Authorization bearer token. */
  match?: { model?: string; apiKey?: string; path?: string };
  /** Fault spec, e.g. "status:500", "slow-first-byte:200;no-usage", "none". */
  fault: string;
  /** Apply to the next N matching requests (default unlimited). */
  times?: number;
}

export interface Scenario {
  id: number;
  match: { model?: string; apiKey?: string; path?: string };
  fault: string;
  remaining: number | null;
}

export interface RequestFilter {
  model?: string;
  apiKey?: string;
  path?: string;
}

/**
 * Provider identifiers that the leaky faults (leaky:<status>, context-length, content-filter, stream-error) put in
 * error bodies and headers. JSON, shared with server.mjs, so this file never has to load the ESM server.
 */
export const FAKE_LEAKS: Readonly<typeof leaks> = leaks;

/**
 * Every substring a tenant must never see after a leaky fault on a channel whose upstream key is `channelKey`:
 * the FAKE_LEAKS values plus the key's last 8 characters (use a distinctive key of 12+ characters).
 */
export function leakMarkers(channelKey: string): string[] {
  return [...Object.values(leaks), channelKey.slice(-8)];
}

/** Absolute path of server.mjs. */
export function fakeUpstreamServerPath(): string {
  return fixtureServerPath(typeof __dirname === "string" ? __dirname : undefined, "fake-upstream");
}

/** Spawns `node server.mjs` and resolves once it prints "FAKE_UPSTREAM_LISTENING <port>". */
export async function spawnFakeUpstream(
  opts: { port?: number; host?: string; timeoutMs?: number } = {},
): Promise<FakeUpstreamHandle> {
  const fixture = await spawnFixture({
    name: "fake upstream",
    script: fakeUpstreamServerPath(),
    envPrefix: "FAKE_UPSTREAM",
    ...opts,
  });
  return { ...fixture, baseUrl: `${fixture.url}/v1` };
}

// ---------------------------------------------------------------------------------------------
// Control API client
// ---------------------------------------------------------------------------------------------

const origin = (url: string) => url.replace(/\/+$/, "").replace(/\/v1$/, "");

async function control<T>(url: string, method: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${origin(url)}/__control/${route}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`fake upstream control ${method} ${route} → ${res.status}: ${JSON.stringify(json)}`);
  return json as T;
}

/** Recorded /v1 requests, oldest first, optionally filtered by model / apiKey / path. */
export async function getRequests(url: string, filter: RequestFilter = {}): Promise<RecordedRequest[]> {
  const qs = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== undefined) as [string, string][]);
  const q = qs.toString();
  return (await control<{ requests: RecordedRequest[] }>(url, "GET", `requests${q ? `?${q}` : ""}`)).requests;
}

export async function clearRequests(url: string): Promise<void> {
  await control(url, "DELETE", "requests");
}

export function getStats(url: string): Promise<FakeUpstreamStats> {
  return control<FakeUpstreamStats>(url, "GET", "stats");
}

/** Adds a server-wide fault scenario (first matching scenario wins). */
export async function setScenario(url: string, scenario: ScenarioInput): Promise<Scenario> {
  return (await control<{ scenario: Scenario }>(url, "POST", "scenario", scenario)).scenario;
}

export async function getScenarios(url: string): Promise<Scenario[]> {
  return (await control<{ scenarios: Scenario[] }>(url, "GET", "scenario")).scenarios;
}

/** Removes all scenarios, or just the one with `id`. */
export async function clearScenarios(url: string, id?: number): Promise<void> {
  await control(url, "DELETE", id === undefined ? "scenario" : `scenario?id=${id}`);
}

/** Clears recorded requests and scenarios. */
export async function resetFakeUpstream(url: string): Promise<void> {
  await control(url, "POST", "reset");
}

/** Polls recorded requests until `predicate` holds for one of them (e.g. r.closedAt !== null). */
export async function waitForRequest(
  url: string,
  predicate: (r: RecordedRequest) => boolean,
  opts: { timeoutMs?: number; intervalMs?: number; filter?: RequestFilter } = {},
): Promise<RecordedRequest> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5000);
  for (;;) {
    const hit = (await getRequests(url, opts.filter)).find(predicate);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error("waitForRequest: timed out");
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 20));
  }
}

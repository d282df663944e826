// Test helpers for the fake OpenAI upstream (e2e/fake-upstream/server.mjs):
//   * spawnFakeUpstream() — start it as a child process on a random port,
//   * a tiny client for its /__control API (recorded requests, stats, fault scenarios).
// All helpers take the server's `url` (origin, e.g. http://127.0.0.1:4010); a trailing "/v1" is tolerated.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
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

/** Absolute path of server.mjs (works under ESM and CJS test runners; falls back to the repo root cwd). */
export function fakeUpstreamServerPath(): string {
  const candidates = [
    typeof __dirname === "string" ? path.join(__dirname, "server.mjs") : "",
    path.resolve(process.cwd(), "e2e/fake-upstream/server.mjs"),
  ];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found) throw new Error(`fake upstream server.mjs not found (tried ${candidates.filter(Boolean).join(", ")})`);
  return found;
}

/** Spawns `node server.mjs` and resolves once it prints "FAKE_UPSTREAM_LISTENING <port>". */
export function spawnFakeUpstream(
  opts: { port?: number; host?: string; timeoutMs?: number } = {},
): Promise<FakeUpstreamHandle> {
  const host = opts.host ?? "127.0.0.1";
  const child = spawn(process.execPath, [fakeUpstreamServerPath()], {
    env: {
      ...process.env,
      FAKE_UPSTREAM_PORT: String(opts.port ?? 0),
      FAKE_UPSTREAM_HOST: host,
      FAKE_UPSTREAM_EXIT_WITH_PARENT: "1", // child exits when our end of its stdin closes
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  };

  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop();
      reject(new Error(`fake upstream did not start: ${why}\n${stderr}`));
    };
    const timer = setTimeout(() => fail("timeout"), opts.timeoutMs ?? 10_000);
    child.stderr.on("data", (d) => (stderr += d)); // keep draining so the child never blocks
    child.once("error", (err) => fail(err.message));
    child.once("exit", (code) => fail(`exited with code ${code}`));
    child.stdout.on("data", (d) => {
      stdout += d;
      const m = /^FAKE_UPSTREAM_LISTENING (\d+)$/m.exec(stdout);
      if (!m || settled) return;
      settled = true;
      clearTimeout(timer);
      const port = Number(m[1]);
      const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
      resolve({ url, baseUrl: `${url}/v1`, port, stop });
    });
  });
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

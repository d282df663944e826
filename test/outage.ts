// Shared pieces of the database and Redis outage tests: a stack whose app reaches Postgres through a
// TCP proxy the test can cut, timed /v1 calls, the books of an organization, and the checks that the
// process survived.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type pg from "pg";
import { expect, inject } from "vitest";
import { usdToNanos } from "@/lib/billing/money";
import { findLedgerMismatches } from "@/lib/billing/reconcile";
import { startAppServer, type AppServer } from "./app-server";
import { startStack, type Stack } from "./stack";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";

export interface ProxiedStack {
  stack: Stack;
  pgProxy: TcpProxy;
}

/** A stack whose app reaches its database through a proxy (`pgProxy`); `stack.db` connects directly. */
export async function startProxiedStack(env: Record<string, string> = {}): Promise<ProxiedStack> {
  const admin = new URL(inject("pgAdminUrl"));
  const pgProxy = await startTcpProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
  const stack = await startStack({ env, appDatabaseUrl: (url) => pgProxy.urlFor(url) });
  return { stack, pgProxy };
}

/**
 * A proxied stack for the tests that kill the server: its app keeps the settlement journal in its own
 * `dataDir`, holds outlive the test (the sweeper cannot be what releases them), and `model` is served
 * by the fake upstream. `restart()` starts the next server on the same folder and database.
 */
export interface JournalStack extends ProxiedStack {
  dataDir: string;
  restart(): Promise<AppServer>;
  stop(): Promise<void>;
}

const JOURNAL_HOLD_TTL_MS = "1800000";

export async function startJournalStack(model: string): Promise<JournalStack> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "tf-journal-"));
  const env = { TOKENFLOW_HOLD_TTL_MS: JOURNAL_HOLD_TTL_MS, TOKENFLOW_DATA_DIR: dataDir };
  const { stack, pgProxy } = await startProxiedStack(env);
  await createFakeModel(stack, model);
  const restarted: AppServer[] = [];
  return {
    stack,
    pgProxy,
    dataDir,
    async restart() {
      const app = await startAppServer({
        databaseUrl: pgProxy.urlFor(stack.databaseUrl),
        env: { ...env, TOKENFLOW_ADMIN_KEY: stack.app.adminKey, TOKENFLOW_ENCRYPTION_KEY: stack.app.encryptionKey },
      });
      restarted.push(app);
      return app;
    },
    async stop() {
      for (const app of restarted) await app.stop();
      await stack.stop();
      await pgProxy.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A model served by the fake upstream, with every other channel off. */
export async function createFakeModel(stack: Stack, id: string): Promise<void> {
  await stack.admin.disableAllChannels();
  await stack.admin.createModel({
    id,
    displayName: id,
    provider: "Test",
    inputPriceUsd: "0.5",
    outputPriceUsd: "2",
    contextWindow: 8192,
    maxOutputTokens: 200,
    defaultMaxOutputTokens: 50,
  });
  await stack.admin.createChannel({ name: `fake-${id}`, baseUrl: stack.upstream.baseUrl, models: [id] });
}

export interface Answer {
  tag: string;
  status: number;
  code: string | null;
  type: string | null;
  requestId: string | null;
  costUsd: string | null;
  startedAt: number; // epoch ms
  endedAt: number;
  ms: number;
}

/** One non-streaming chat completion by fetch (no SDK retries), timed; `tag` travels as `user`. */
export async function chat(app: AppServer, key: string, model: string, tag: string): Promise<Answer> {
  const startedAt = Date.now();
  const t0 = performance.now();
  let status = 0;
  let body: { error?: { code?: string; type?: string } } = {};
  let headers = new Headers();
  try {
    const res = await fetch(`${app.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], user: tag, fake_output_tokens: 5 }),
      signal: AbortSignal.timeout(20_000),
    });
    status = res.status;
    headers = res.headers;
    body = (await res.json()) as typeof body;
  } catch {
    status = -1; // no HTTP answer at all (connection failed or timed out)
  }
  const ms = performance.now() - t0;
  return {
    tag,
    status,
    code: body.error?.code ?? null,
    type: body.error?.type ?? null,
    requestId: headers.get("x-request-id"),
    costUsd: headers.get("x-tokenflow-cost-usd"),
    startedAt,
    endedAt: startedAt + ms,
    ms,
  };
}

export interface StreamAnswer {
  status: number;
  requestId: string | null;
  text: string;
}

/** One streamed chat completion by fetch, read to its end. */
export async function chatStream(
  app: AppServer,
  key: string,
  model: string,
  fields: { outputTokens: number; chunkDelayMs: number },
  onFirstChunk?: () => void,
): Promise<StreamAnswer> {
  const res = await fetch(`${app.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({
      model,
      messages: [{ role: "user", content: "tell me a story" }],
      stream: true,
      stream_options: { include_usage: true },
      fake_output_tokens: fields.outputTokens,
      fake_chunk_delay_ms: fields.chunkDelayMs,
    }),
    signal: AbortSignal.timeout(40_000),
  });
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (!text && res.status === 200) onFirstChunk?.();
    text += decoder.decode(chunk, { stream: true });
  }
  return { status: res.status, requestId: res.headers.get("x-request-id"), text };
}

/** The cost_usd of a stream's usage chunk (include_usage), as the client was told. */
export function streamedCostUsd(text: string): string | null {
  for (const line of text.split("\n")) {
    if (!line.startsWith("data: {")) continue;
    const event = JSON.parse(line.slice(6)) as { usage?: { cost_usd?: string } | null };
    if (event.usage?.cost_usd) return event.usage.cost_usd;
  }
  return null;
}

export interface Books {
  balanceNanos: bigint;
  heldNanos: bigint;
  ledgerSumNanos: bigint;
  heldHolds: number;
}

export async function booksOf(db: pg.Pool, organizationId: string): Promise<Books> {
  const { rows } = await db.query(
    `SELECT o."balanceNanos", o."heldNanos",
            (SELECT COALESCE(SUM("amountNanos"), 0)::BIGINT FROM "LedgerEntry" WHERE "organizationId" = o.id) AS "ledgerSumNanos",
            (SELECT COUNT(*)::INT FROM "Hold" WHERE "organizationId" = o.id AND state = 'HELD') AS "heldHolds"
       FROM "Organization" o WHERE o.id = $1`,
    [organizationId],
  );
  return rows[0] as Books;
}

/** Every organization's books balance (balance + held = Σ ledger, held = Σ open holds). */
export async function expectBooksBalanced(db: pg.Pool): Promise<void> {
  expect(await findLedgerMismatches(db)).toEqual([]);
}

/** Each stream charged exactly once, at the cost its client was told, with its receipt. */
export async function expectChargedOnce(db: pg.Pool, streamed: StreamAnswer[]) {
  for (const s of streamed) {
    expect(s.status).toBe(200);
    expect(s.text).toContain("data: [DONE]");
    const { rows: usage } = await db.query(
      `SELECT "amountNanos" FROM "LedgerEntry" WHERE reference = $1 AND kind = 'USAGE'`,
      [s.requestId],
    );
    const { rows: receipt } = await db.query(`SELECT "costNanos" FROM "RequestLog" WHERE id = $1`, [s.requestId]);
    const { rows: hold } = await db.query(`SELECT state, "chargedNanos" FROM "Hold" WHERE id = $1`, [s.requestId]);
    const costNanos = usdToNanos(streamedCostUsd(s.text)!);
    expect(costNanos).toBeGreaterThan(0n); // never free
    expect(usage.map((u) => -u.amountNanos)).toEqual([costNanos]);
    expect(receipt.map((r) => r.costNanos)).toEqual([costNanos]);
    expect(hold).toEqual([{ state: "SETTLED", chargedNanos: costNanos }]);
  }
}

/** Polls `check` until it returns true; returns the time it took, or throws after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Settlements the app has journaled and not yet landed (files in its data folder). */
export function journaled(dataDir: string): string[] {
  try {
    return readdirSync(path.join(dataDir, "settlement-journal")).filter((name) => name.endsWith(".json"));
  } catch {
    return [];
  }
}

/**
 * The server process is still running and never logged an uncaught exception or unhandled
 * rejection, nor an error event without a listener (ioredis logs those instead of throwing).
 */
export function expectProcessSurvived(app: AppServer): void {
  expect(app.process.exitCode, app.logs().slice(-3000)).toBeNull();
  expect(app.process.signalCode).toBeNull();
  expect(app.logs()).not.toMatch(/uncaught exception|unhandled rejection|unhandled error event/i);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

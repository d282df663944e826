// The whole system for integration tests: a fresh Postgres database (migrated + seeded), the fake
// upstream as its own process, and the production server (scripts/server.ts); plus small clients for the management API and
// the official OpenAI SDK pointed at our /v1.
import OpenAI from "openai";
import pg from "pg";
import { spawnFakeUpstream, type FakeUpstreamHandle } from "@/e2e/fake-upstream/client";
import { bigintTypes } from "@/lib/db/pool";
import { createFreshDatabase } from "./database";
import { startAppServer, type AppServer } from "./app-server";

export interface Stack {
  app: AppServer;
  upstream: FakeUpstreamHandle;
  databaseUrl: string;
  db: pg.Pool;
  admin: AdminClient;
  sdk(key: string, options?: Partial<ConstructorParameters<typeof OpenAI>[0]>): OpenAI;
  /** A request's receipt (all columns), once its settlement has landed. */
  receipt(requestId: string): Promise<Record<string, any>>;
  /** Waits until every answered request (of one organization, or of all) has settled. */
  settled(organizationId?: string): Promise<void>;
  stop(): Promise<void>;
}

// The gateway answers before its settlement lands: the receipt, the charge and the released rest of
// the hold follow a few milliseconds later, in the organization's next settlement batch. Tests that
// read the books right after an answer wait for that here.
const SETTLE_DEADLINE_MS = 10_000;

/** A request's receipt, waited for (see above); throws if it does not land within the deadline. */
export async function receiptOf(db: pg.Pool, requestId: string): Promise<Record<string, any>> {
  const started = Date.now();
  for (;;) {
    const { rows } = await db.query(`SELECT * FROM "RequestLog" WHERE id = $1`, [requestId]);
    if (rows[0]) return rows[0];
    if (Date.now() - started > SETTLE_DEADLINE_MS)
      throw new Error(`no receipt for ${requestId} after ${SETTLE_DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Waits until no hold (of one organization, or of any) is still HELD: every answered request has
 * settled. Only for moments when the test has no request in flight.
 */
export async function settledHolds(db: pg.Pool, organizationId?: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    const { rows } = await db.query(
      `SELECT COUNT(*)::INT AS n FROM "Hold" WHERE state = 'HELD' AND ($1::TEXT IS NULL OR "organizationId" = $1)`,
      [organizationId ?? null],
    );
    if (rows[0].n === 0) return;
    if (Date.now() - started > SETTLE_DEADLINE_MS)
      throw new Error(`${rows[0].n} hold(s) still HELD after ${SETTLE_DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The fake upstream's per-request knobs (e2e/fake-upstream/README.md) are request fields the gateway
 * does not forward by default; tests allow them per model, as an operator would a provider extra.
 */
export const FAKE_UPSTREAM_FIELDS = ["fake_fault", "fake_output_tokens", "fake_chunk_delay_ms", "fake_tool_call"];

export async function startStack(
  opts: {
    env?: Record<string, string>;
    upstreamHost?: string;
    /** The URL the app uses for the fresh database (e.g. through a proxy that can cut it off); the test's own pool connects directly. */
    appDatabaseUrl?: (url: string) => string;
  } = {},
): Promise<Stack> {
  const database = await createFreshDatabase({ seed: true });
  const upstream = await spawnFakeUpstream(opts.upstreamHost ? { host: opts.upstreamHost } : {});
  const app = await startAppServer({ databaseUrl: opts.appDatabaseUrl?.(database.url) ?? database.url, env: opts.env });
  const db = new pg.Pool({ connectionString: database.url, max: 4, types: bigintTypes });
  db.on("error", () => undefined);
  await db.query(`UPDATE "Model" SET "extraRequestFields" = $1`, [FAKE_UPSTREAM_FIELDS]);
  return {
    app,
    upstream,
    databaseUrl: database.url,
    db,
    admin: new AdminClient(app.url, app.adminKey),
    sdk: (key, options) =>
      new OpenAI({ baseURL: `${app.url}/v1`, apiKey: key, maxRetries: 0, timeout: 30_000, ...options }),
    receipt: (requestId) => receiptOf(db, requestId),
    settled: (organizationId) => settledHolds(db, organizationId),
    async stop() {
      await app.stop();
      await upstream.stop();
      await db.end();
      await database.drop();
    },
  };
}

export class AdminClient {
  constructor(
    private baseUrl: string,
    private adminKey: string,
  ) {}

  async request<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.adminKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : (undefined as T) };
  }

  private async expectOk<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request<T>(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** An organization with `creditUsd` of balance (through the credits API, i.e. the ledger). */
  async createOrganization(name: string, creditUsd?: string): Promise<{ id: string }> {
    const org = await this.expectOk<{ id: string }>("POST", "/api/admin/organizations", { name });
    if (creditUsd)
      await this.expectOk("POST", `/api/admin/organizations/${org.id}/credits`, {
        amountUsd: creditUsd,
        note: "test credit",
        reference: "test-credit",
      });
    return org;
  }

  createKey(organizationId: string, options: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
    return this.expectOk("POST", `/api/admin/organizations/${organizationId}/keys`, { name: "test key", ...options });
  }

  createChannel(channel: Record<string, unknown>): Promise<{ id: string }> {
    return this.expectOk("POST", "/api/admin/channels", {
      provider: "openai",
      apiKey: "chan-default",
      priority: 0,
      weight: 1,
      ...channel,
    });
  }

  updateChannel(id: string, patch: Record<string, unknown>) {
    return this.expectOk("PATCH", `/api/admin/channels/${id}`, patch);
  }

  createModel(model: Record<string, unknown>) {
    return this.expectOk("POST", "/api/admin/models", { extraRequestFields: FAKE_UPSTREAM_FIELDS, ...model });
  }

  updateModel(id: string, patch: Record<string, unknown>) {
    return this.expectOk("PATCH", `/api/admin/models/${id}`, patch);
  }

  getOrganization(id: string): Promise<{ id: string; balanceUsd: string; heldUsd: string }> {
    return this.expectOk("GET", `/api/admin/organizations/${id}`);
  }

  /** Turns off every channel (the seeded demo one included), so tests control routing exactly. */
  async disableAllChannels() {
    const channels = await this.expectOk<Array<{ id: string }>>("GET", "/api/admin/channels");
    for (const c of Array.isArray(channels) ? channels : ((channels as any).data ?? [])) {
      await this.updateChannel(c.id, { enabled: false });
    }
  }
}

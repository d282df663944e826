// Postgres kills the app's connection in the middle of each kind of transaction the app runs (hold,
// settle, redeem, credit, an admin write): the process stays up, the request gets a 5xx or is
// retried by us, and nothing is charged twice or lost. To catch each statement in flight, the test
// holds the row lock it needs, waits until the app's backend is blocked on it, and terminates that
// backend.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getRequests } from "@/e2e/fake-upstream/client";
import { usdToNanos } from "@/lib/billing/money";
import { startStack, type Stack } from "./stack";
import {
  booksOf,
  chat,
  chatStream,
  createFakeModel,
  expectBooksBalanced,
  expectProcessSurvived,
  journaled,
  streamedCostUsd,
  waitUntil,
} from "./outage";

const MODEL = "termination-model";
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { TOKENFLOW_HOLD_TTL_MS: "1800000" } });
  await createFakeModel(stack, MODEL);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/**
 * Runs `action` while this test holds `lockSql`'s row lock; as soon as an app backend is blocked
 * on a statement matching `statement` (ILIKE), terminates it, then lets the lock go.
 * Returns what `action` returned and the statement that was cut.
 */
async function terminateMidStatement<T>(
  lockSql: string,
  lockParams: unknown[],
  statement: string,
  action: () => Promise<T>,
): Promise<{ result: T; cut: string }> {
  const locker = await stack.db.connect();
  locker.on("error", () => undefined);
  try {
    await locker.query("BEGIN");
    await locker.query(lockSql, lockParams);
    const running = action();
    let cut = "";
    await waitUntil(
      async () => {
        const { rows } = await stack.db.query(
          `SELECT pid, query FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
              AND wait_event_type = 'Lock' AND query ILIKE $1`,
          [statement],
        );
        if (rows.length === 0) return false;
        await stack.db.query("SELECT pg_terminate_backend($1)", [rows[0].pid]);
        cut = rows[0].query;
        return true;
      },
      10_000,
      `a backend blocked on ${statement}`,
    );
    await locker.query("ROLLBACK");
    return { result: await running, cut };
  } finally {
    locker.release();
  }
}

const lockOrganization = `SELECT 1 FROM "Organization" WHERE id = $1 FOR UPDATE`;

async function ledgerEntries(db: pg.Pool, organizationId: string, kind: string) {
  const { rows } = await db.query(
    `SELECT reference, "amountNanos" FROM "LedgerEntry" WHERE "organizationId" = $1 AND kind = $2`,
    [organizationId, kind],
  );
  return rows as Array<{ reference: string; amountNanos: bigint }>;
}

async function keyFor(name: string, creditUsd: string) {
  const org = await stack.admin.createOrganization(name, creditUsd);
  const { key } = await stack.admin.createKey(org.id);
  return { orgId: org.id, key };
}

describe("Postgres terminates the app's backend mid-transaction", () => {
  it("hold (admission): 503, no upstream call, nothing held or charged", async () => {
    const { orgId, key } = await keyFor("cut-hold", "10");
    const before = await booksOf(stack.db, orgId);
    const { result: answer, cut } = await terminateMidStatement(lockOrganization, [orgId], "%tf_admit%", () =>
      chat(stack.app, key, MODEL, "cut-hold"),
    );
    expect(cut).toMatch(/tf_admit/);
    expect([answer.status, answer.code]).toEqual([503, "service_unavailable"]);
    expect((await getRequests(stack.upstream.url)).filter((r) => r.body?.user === "cut-hold")).toEqual([]);
    // The admission may have been cut after it ran: the journal releases it if so.
    await waitUntil(async () => journaled(stack.app.dataDir).length === 0, 15_000, "the journal to drain");
    const { rows: holds } = await stack.db.query(`SELECT state FROM "Hold" WHERE id = $1`, [answer.requestId]);
    expect(holds.filter((h) => h.state === "HELD")).toEqual([]);
    expect(await booksOf(stack.db, orgId)).toEqual(before);
    // Served again at once.
    await waitUntil(async () => (await chat(stack.app, key, MODEL, "cut-hold-after")).status === 200, 3_000, "a 200");
    expectProcessSurvived(stack.app);
  });

  it("settle: the stream is served, the settlement is retried from the journal and charged once", async () => {
    const { orgId, key } = await keyFor("cut-settle", "10");
    let streaming = false;
    const stream = chatStream(stack.app, key, MODEL, { outputTokens: 10, chunkDelayMs: 100 }, () => (streaming = true));
    await waitUntil(async () => streaming, 5_000, "the stream to start");
    const { result: streamed, cut } = await terminateMidStatement(
      lockOrganization,
      [orgId],
      "%tf_settle%",
      () => stream,
    );
    expect(cut).toMatch(/tf_settle/);
    expect(streamed.status).toBe(200);
    expect(streamed.text).toContain("data: [DONE]");
    const costNanos = usdToNanos(streamedCostUsd(streamed.text)!);
    await waitUntil(
      async () => (await booksOf(stack.db, orgId)).heldHolds === 0,
      30_000,
      "the journaled settlement to land",
    );
    expect((await ledgerEntries(stack.db, orgId, "USAGE")).map((e) => [e.reference, -e.amountNanos])).toEqual([
      [streamed.requestId, costNanos],
    ]);
    const books = await booksOf(stack.db, orgId);
    expect(books.heldNanos).toBe(0n);
    expect(books.balanceNanos).toBe(usdToNanos("10") - costNanos);
    expectProcessSurvived(stack.app);
  });

  it("redeem: a 5xx, the code stays unused, redeeming again credits it once", async () => {
    const { orgId, key } = await keyFor("cut-redeem", "1");
    const batch = await stack.admin.request("POST", "/api/admin/redemption-codes", { amountUsd: "5", count: 1 });
    expect(batch.status).toBe(201);
    const code = batch.body.codes[0] as string;
    const redeem = () =>
      fetch(`${stack.app.url}/api/redeem`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ code }),
      }).then(async (res) => ({ status: res.status, body: await res.json() }));
    const { result: first, cut } = await terminateMidStatement(lockOrganization, [orgId], "%tf_credit%", redeem);
    expect(cut).toMatch(/tf_credit/);
    expect(first.status).toBeGreaterThanOrEqual(500);
    expect(await ledgerEntries(stack.db, orgId, "REDEMPTION")).toEqual([]);
    expectProcessSurvived(stack.app);

    const second = await redeem();
    expect(second).toMatchObject({ status: 200, body: { creditedUsd: "5.00" } });
    expect((await redeem()).status).toBe(400); // used now
    expect((await ledgerEntries(stack.db, orgId, "REDEMPTION")).map((e) => e.amountNanos)).toEqual([usdToNanos("5")]);
    expect((await booksOf(stack.db, orgId)).balanceNanos).toBe(usdToNanos("6"));
    expectProcessSurvived(stack.app);
  });

  it("credit: a 5xx, and the retry with the same reference credits once", async () => {
    const { orgId } = await keyFor("cut-credit", "1");
    const credit = () =>
      stack.admin.request("POST", `/api/admin/organizations/${orgId}/credits`, {
        amountUsd: "2.5",
        reference: "cut-credit-1",
        note: "termination test",
      });
    const { result: first, cut } = await terminateMidStatement(lockOrganization, [orgId], "%tf_credit%", credit);
    expect(cut).toMatch(/tf_credit/);
    expect(first.status).toBeGreaterThanOrEqual(500);
    expect((await ledgerEntries(stack.db, orgId, "ADJUSTMENT")).map((e) => e.reference)).not.toContain(
      `${orgId}:cut-credit-1`,
    );
    expectProcessSurvived(stack.app);

    expect((await credit()).status).toBe(200);
    expect((await credit()).status).toBe(200); // a replay changes nothing
    const adjustments = await ledgerEntries(stack.db, orgId, "ADJUSTMENT");
    expect(adjustments.filter((e) => e.reference === `${orgId}:cut-credit-1`).map((e) => e.amountNanos)).toEqual([
      usdToNanos("2.5"),
    ]);
    expectProcessSurvived(stack.app);
  });

  it("admin write (PATCH a model): a 5xx, and the retry applies it", async () => {
    await stack.admin.createModel({
      id: "cut-admin-model",
      displayName: "before",
      provider: "Test",
      inputPriceUsd: "1",
      outputPriceUsd: "1",
      contextWindow: 4096,
      maxOutputTokens: 100,
      defaultMaxOutputTokens: 50,
    });
    const patch = () => stack.admin.request("PATCH", "/api/admin/models/cut-admin-model", { displayName: "after" });
    const { result: first, cut } = await terminateMidStatement(
      `SELECT 1 FROM "Model" WHERE id = $1 FOR UPDATE`,
      ["cut-admin-model"],
      `%UPDATE%"Model"%`,
      patch,
    );
    expect(cut).toMatch(/UPDATE/);
    expect(first.status).toBeGreaterThanOrEqual(500);
    expectProcessSurvived(stack.app);
    const retried = await patch();
    expect([retried.status, retried.body.displayName]).toEqual([200, "after"]);
    expectProcessSurvived(stack.app);
  });

  it("leaves the books balanced and the server serving", async () => {
    await expectBooksBalanced(stack.db);
    const { key } = await keyFor("cut-final", "1");
    expect((await chat(stack.app, key, MODEL, "cut-final")).status).toBe(200);
    expectProcessSurvived(stack.app);
  });
});

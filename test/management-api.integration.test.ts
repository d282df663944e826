// The management API contract against the production server: organizations, credits, keys (spend caps),
// models and prices as USD strings, redemption codes, and the reconciliation command.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "./stack";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

describe("management API", () => {
  it("refuses requests without the admin key", async () => {
    const res = await fetch(`${stack.app.url}/api/admin/organizations`, {
      headers: { authorization: "Bearer tf-wrong" },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "unauthorized" } });
  });

  it("credits and debits an organization through the ledger, never below zero", async () => {
    const created = await stack.admin.request("POST", "/api/admin/organizations", { name: "Credits Inc" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Credits Inc", balanceUsd: "0.00", heldUsd: "0.00" });
    const id = created.body.id;
    const credit = (amountUsd: unknown, reference?: string) =>
      stack.admin.request("POST", `/api/admin/organizations/${id}/credits`, {
        amountUsd,
        note: "test",
        reference: reference ?? crypto.randomUUID(),
      });

    expect((await credit("12.50")).body).toEqual({ balanceUsd: "12.50" });
    expect((await credit("-2.25")).body).toEqual({ balanceUsd: "10.25" });
    expect((await credit("0.000000001", "once")).body).toEqual({ balanceUsd: "10.250000001" });
    expect((await credit("0.000000001", "once")).body).toEqual({ balanceUsd: "10.250000001" }); // replay: no-op
    const tooMuch = await credit("-11");
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.error.code).toBe("balance_too_low");
    expect((await credit("1.0000000001")).status).toBe(400);
    expect((await credit("abc")).status).toBe(400);
    expect((await stack.admin.getOrganization(id)).balanceUsd).toBe("10.250000001");

    const { rows } = await stack.db.query(
      `SELECT kind, "amountNanos" FROM "LedgerEntry" WHERE "organizationId" = $1 ORDER BY "createdAt"`,
      [id],
    );
    expect(rows).toEqual([
      { kind: "ADJUSTMENT", amountNanos: 12_500_000_000n },
      { kind: "ADJUSTMENT", amountNanos: -2_250_000_000n },
      { kind: "ADJUSTMENT", amountNanos: 1n },
    ]);
    expect(
      (await stack.admin.request("POST", "/api/admin/organizations/nope/credits", { amountUsd: "1", reference: "r" }))
        .status,
    ).toBe(404);
  });

  it("returns a new key once and never again, and enforces its spend cap", async () => {
    const org = await stack.admin.createOrganization("Capped", "10");
    const created = await stack.admin.request("POST", `/api/admin/organizations/${org.id}/keys`, {
      name: "capped",
      spendLimitUsd: "0.00025",
    });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^tf-[A-Za-z0-9_-]{32,}$/);
    expect(created.body.partialKey).not.toContain(created.body.key.slice(7, -4));
    const listed = await stack.admin.request("GET", `/api/admin/organizations/${org.id}/keys`);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);

    // gpt-4o on the demo channel: each request holds 202,500 nano-USD (73-token prompt bound × 2,500 +
    // 2 output tokens × 10,000) and costs 30,000 (4 prompt + 2 output tokens). A 250,000 cap admits the
    // 1st (0 + 202,500) and 2nd (30,000 + 202,500) and refuses the 3rd (60,000 + 202,500).
    const client = new OpenAI({ baseURL: `${stack.app.url}/v1`, apiKey: created.body.key, maxRetries: 0 });
    const ask = () =>
      client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
    await ask();
    const refusals = [];
    for (let i = 0; i < 5; i++)
      refusals.push(
        await ask().then(
          () => 200,
          (e: { status?: number }) => e.status,
        ),
      );
    expect(refusals).toEqual([200, 402, 402, 402, 402]);
    const { rows } = await stack.db.query(
      `SELECT "spentNanos", "spendLimitNanos", "heldNanos" FROM "ApiKey" WHERE id = $1`,
      [created.body.id],
    );
    expect(rows[0].spentNanos <= rows[0].spendLimitNanos).toBe(true);
    expect(rows[0].heldNanos).toBe(0n);
  });

  it("accepts the key in x-api-key as well as Authorization", async () => {
    const org = await stack.admin.createOrganization("Header", "1");
    const { key } = await stack.admin.createKey(org.id);
    const res = await fetch(`${stack.app.url}/v1/models`, { headers: { "x-api-key": key } });
    expect(res.status).toBe(200);
    expect((await res.json()).object).toBe("list");
  });

  it("reads and writes model prices as USD-per-1M decimal strings", async () => {
    const { status, body } = await stack.admin.request("GET", "/api/admin/models/deepseek-r1");
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: "deepseek-r1", inputPriceUsd: "0.55", outputPriceUsd: "2.19" });
    const patched = await stack.admin.request("PATCH", "/api/admin/models/deepseek-r1", { outputPriceUsd: "2.2" });
    expect(patched.body.outputPriceUsd).toBe("2.20");
    expect((await stack.admin.request("PATCH", "/api/admin/models/deepseek-r1", { outputPriceUsd: "-1" })).status).toBe(
      400,
    );
    const { rows } = await stack.db.query(`SELECT "outputPriceNanos" FROM "Model" WHERE id = 'deepseek-r1'`);
    expect(rows[0].outputPriceNanos).toBe(2_200_000_000n);
    await stack.admin.updateModel("deepseek-r1", { outputPriceUsd: "2.19" });
  });

  it("never returns a channel's secret", async () => {
    const created = await stack.admin.request("POST", "/api/admin/channels", {
      name: "secret",
      provider: "openai",
      baseUrl: stack.upstream.baseUrl,
      apiKey: "sk-very-secret-value-1234",
      models: ["gpt-4o"],
      enabled: false,
    });
    expect(created.status).toBe(201);
    expect(created.body.apiKeyLast4).toBe("1234");
    for (const res of [
      created,
      await stack.admin.request("GET", `/api/admin/channels/${created.body.id}`),
      await stack.admin.request("GET", "/api/admin/channels"),
    ]) {
      expect(JSON.stringify(res.body)).not.toContain("very-secret");
    }
    const { rows } = await stack.db.query(`SELECT "apiKeyEncrypted" FROM "Channel" WHERE id = $1`, [created.body.id]);
    expect(rows[0].apiKeyEncrypted).toMatch(/^v1:/);
    expect(rows[0].apiKeyEncrypted).not.toContain("very-secret");
  });
});

describe("channel test", () => {
  it("reports a working channel and a rejected credential without echoing the key", async () => {
    const good = await stack.admin.createChannel({
      name: "good",
      baseUrl: stack.upstream.baseUrl,
      apiKey: "chan-good",
      models: ["gpt-4o"],
      enabled: false,
    });
    const tested = await stack.admin.request("POST", `/api/admin/channels/${good.id}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ ok: true });
    expect(tested.body.latencyMs).toBeGreaterThanOrEqual(0);

    const bad = await stack.admin.createChannel({
      name: "bad",
      baseUrl: stack.upstream.baseUrl,
      apiKey: "bad-key",
      models: ["gpt-4o"],
      enabled: false,
    });
    const failed = await stack.admin.request("POST", `/api/admin/channels/${bad.id}/test`);
    expect(failed.body.ok).toBe(false);
    expect(failed.body.error).toContain("401");
    expect(JSON.stringify(failed.body)).not.toContain("bad-key");
    const { body } = await stack.admin.request("GET", `/api/admin/channels/${bad.id}`);
    expect(body.health.lastError).toBe(failed.body.error);
  });
});

describe("redemption codes", () => {
  it("mints a batch; each code credits once, even when redeemed concurrently", async () => {
    const minted = await stack.admin.request("POST", "/api/admin/redemption-codes", { amountUsd: "5", count: 3 });
    expect(minted.status).toBe(201);
    expect(minted.body.codes).toHaveLength(3);
    const org = await stack.admin.createOrganization("Redeemer");
    const { key } = await stack.admin.createKey(org.id);
    const redeem = (code: string) =>
      fetch(`${stack.app.url}/api/redeem`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ code }),
      });
    const [code] = minted.body.codes;
    const results = await Promise.all(Array.from({ length: 8 }, () => redeem(code)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 400)).toHaveLength(7);
    expect((await stack.admin.getOrganization(org.id)).balanceUsd).toBe("5.00");
    const unknown = await redeem("TF-0000-0000-0000-0000");
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).error.code).toBe("invalid_code");
    const listing = await stack.admin.request("GET", `/api/admin/redemption-codes?batchId=${minted.body.batchId}`);
    expect(JSON.stringify(listing.body)).not.toContain(code);
  });
});

describe("reconciliation command", () => {
  const run = promisify(execFile);
  const reconcile = () =>
    run("npx", ["tsx", "scripts/reconcile.ts"], { env: { ...process.env, DATABASE_URL: stack.databaseUrl } }).then(
      ({ stdout }) => ({ code: 0, output: stdout }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, output: err.stdout + err.stderr }),
    );

  it("exits 0 when the books balance and non-zero on any mismatch", async () => {
    const clean = await reconcile();
    expect(clean.output).toContain("the books balance");
    expect(clean.code).toBe(0);

    const org = await stack.admin.createOrganization("Tampered", "1");
    await stack.db.query(`UPDATE "Organization" SET "balanceNanos" = "balanceNanos" + 1 WHERE id = $1`, [org.id]);
    const broken = await reconcile();
    expect(broken.code).toBe(1);
    expect(broken.output).toContain(org.id);
    await stack.db.query(`UPDATE "Organization" SET "balanceNanos" = "balanceNanos" - 1 WHERE id = $1`, [org.id]);
  });
});

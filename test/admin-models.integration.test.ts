// The admin console's models and prices, redemption codes and settings (issue 11), through the same
// management API routes the console's forms call with an admin's session cookie, against the
// production server, the fake upstream and a real Postgres.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "@/lib/auth/password";
import { createOrganization } from "@/lib/organizations/create";
import { startStack, type Stack } from "./stack";
import { signInForSessionCookie } from "./session";

let stack: Stack;
let cookie: string;
let adminUserId: string;
let orgId: string;
let tenantKey: string;
let channelId: string;

/** As the console does: the admin's session cookie, and our own Origin on mutations. */
async function console_<T = any>(method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.app.url}${path}`, {
    method,
    headers: {
      cookie,
      ...(method === "GET" ? {} : { origin: stack.app.url }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: T | undefined;
  try {
    json = text ? (JSON.parse(text) as T) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, body: json as T, text, headers: res.headers };
}

async function page(path: string): Promise<string> {
  const res = await fetch(`${stack.app.url}${path}`, { headers: { cookie } });
  expect(res.status).toBe(200);
  return (await res.text()).replace(/<!-- -->/g, "");
}

async function latestAudit(action: string, targetId?: string) {
  const { rows } = await stack.db.query(
    `SELECT "actorUserId", action, "targetType", "targetId", data, before, after, ip FROM "AuditEvent"
      WHERE action = $1 AND ($2::text IS NULL OR "targetId" = $2) ORDER BY "createdAt" DESC, id DESC LIMIT 1`,
    [action, targetId ?? null],
  );
  return rows[0];
}

beforeAll(async () => {
  // A long catalog cache: the price change must reach the gateway through invalidation, not expiry.
  stack = await startStack({ env: { TOKENFLOW_CACHE_TTL_MS: "600000" } });
  await stack.admin.disableAllChannels();
  // Whole-thousandth prices: every cost is an exact number of nano-USD, so doubling is exact too.
  await stack.admin.createModel({
    id: "price-model",
    displayName: "Price model",
    provider: "Test",
    inputPriceUsd: "1.000",
    outputPriceUsd: "3.000",
    contextWindow: 8192,
    maxOutputTokens: 100,
    defaultMaxOutputTokens: 50,
  });
  const channel = await stack.admin.createChannel({
    name: "fake",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-models",
    models: ["price-model"],
  });
  channelId = channel.id;
  orgId = (await stack.admin.createOrganization("Acme", "50")).id;
  tenantKey = (await stack.admin.createKey(orgId)).key;

  const email = `ops-${randomUUID().slice(0, 8)}@example.com`;
  const password = `Pw-${randomUUID()}`;
  adminUserId = `user_ops_${randomUUID().slice(0, 8)}`;
  await stack.db.query(
    `INSERT INTO "User" (id, email, "passwordHash", role, "updatedAt") VALUES ($1, $2, $3, 'ADMIN', CURRENT_TIMESTAMP)`,
    [adminUserId, email, await hashPassword(password)],
  );
  cookie = await signInForSessionCookie(stack.app.url, email, password);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function ask(): Promise<{ requestId: string; costUsd: string }> {
  const { response } = await stack
    .sdk(tenantKey)
    .chat.completions.create({
      model: "price-model",
      messages: [{ role: "user", content: "Price check, please" }],
      max_tokens: 20,
      // @ts-expect-error the fake upstream's knob (allowed for this model by the test stack)
      fake_output_tokens: 10,
    })
    .withResponse();
  return { requestId: response.headers.get("x-request-id")!, costUsd: response.headers.get("x-tokenflow-cost-usd")! };
}

async function receipt(requestId: string) {
  await stack.receipt(requestId); // lands just after the answer
  const { rows } = await stack.db.query(
    `SELECT "costNanos", "inputPriceNanos", "outputPriceNanos", "inputTokens", "outputTokens" FROM "RequestLog" WHERE id = $1`,
    [requestId],
  );
  return rows[0] as {
    costNanos: bigint;
    inputPriceNanos: bigint;
    outputPriceNanos: bigint;
    inputTokens: number;
    outputTokens: number;
  };
}

describe("models and prices", () => {
  it("a price change applies to the next request only; the earlier receipt keeps its price", async () => {
    const first = await ask();
    const before = await receipt(first.requestId);
    expect(before.costNanos).toBeGreaterThan(0n);
    expect(before.outputTokens).toBe(10);
    expect(before.costNanos).toBe(
      (BigInt(before.inputTokens) * 1_000_000_000n + BigInt(before.outputTokens) * 3_000_000_000n) / 1_000_000n,
    );

    // The console's save: PATCH with the admin's session, only the changed fields.
    const patched = await console_("PATCH", "/api/admin/models/price-model", {
      inputPriceUsd: "2.000",
      outputPriceUsd: "6.000",
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ inputPriceUsd: "2.00", outputPriceUsd: "6.00" });

    const second = await ask();
    const after = await receipt(second.requestId);
    expect(after.inputTokens).toBe(before.inputTokens);
    expect(after.outputTokens).toBe(before.outputTokens);
    expect(after.costNanos).toBe(2n * before.costNanos);
    expect(after.outputPriceNanos).toBe(6_000_000_000n);

    // The first receipt is untouched: its cost and the prices it was admitted with.
    expect(await receipt(first.requestId)).toEqual(before);

    const audit = await latestAudit("model.update", "price-model");
    expect(audit.actorUserId).toBe(adminUserId);
    expect(audit.data).toMatchObject({ fields: ["inputPriceUsd", "outputPriceUsd"], via: "session" });
    expect(audit.before).toMatchObject({ id: "price-model", inputPriceUsd: "1.00", outputPriceUsd: "3.00" });
    expect(audit.after).toMatchObject({ id: "price-model", inputPriceUsd: "2.00", outputPriceUsd: "6.00" });

    const html = await page("/admin/models");
    expect(html).toContain("Price model");
    expect(html).toMatch(/data-testid="model-output-price">\$6\.00</);
  });

  it("an unpriced model can exist disabled but cannot be enabled (lib-enforced, clear error)", async () => {
    const unpriced = {
      id: "unpriced-model",
      displayName: "Unpriced",
      provider: "Test",
      inputPriceUsd: "0",
      outputPriceUsd: "0",
      contextWindow: 4096,
      maxOutputTokens: 100,
      defaultMaxOutputTokens: 50,
    };
    const refused = await stack.admin.request("POST", "/api/admin/models", unpriced);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: "validation_error", field: "enabled" });
    expect(refused.body.error.message).toMatch(/without a price cannot be enabled/);

    expect((await stack.admin.request("POST", "/api/admin/models", { ...unpriced, enabled: false })).status).toBe(201);
    const enable = await console_("PATCH", "/api/admin/models/unpriced-model", { enabled: true });
    expect(enable.status).toBe(400);
    expect(enable.body.error.field).toBe("enabled");
    const { rows } = await stack.db.query(`SELECT enabled FROM "Model" WHERE id = 'unpriced-model'`);
    expect(rows[0].enabled).toBe(false);

    // Taking the prices of an enabled model to zero is the same state: refused.
    const zero = await console_("PATCH", "/api/admin/models/price-model", { inputPriceUsd: "0", outputPriceUsd: "0" });
    expect(zero.status).toBe(400);
    // Pricing it first, then enabling, works.
    expect((await console_("PATCH", "/api/admin/models/unpriced-model", { outputPriceUsd: "0.5" })).status).toBe(200);
    expect((await console_("PATCH", "/api/admin/models/unpriced-model", { enabled: true })).status).toBe(200);
  });

  it("shows a model no enabled channel serves as unavailable, and available once one does", async () => {
    const list = async () =>
      (
        await console_<{ data: Array<{ id: string; availability: string; enabledChannelCount: number }> }>(
          "GET",
          "/api/admin/models",
        )
      ).body.data;
    // The seeded models lost their channel (all disabled in beforeAll); price-model has one.
    expect((await list()).find((m) => m.id === "deepseek-v3")).toMatchObject({
      availability: "unavailable",
      enabledChannelCount: 0,
    });
    expect((await list()).find((m) => m.id === "price-model")).toMatchObject({
      availability: "available",
      enabledChannelCount: 1,
    });
    let html = await page("/admin/models");
    const row = (id: string) => html.slice(html.indexOf(`data-testid="model-row-${id}"`)).split("</tr>")[0];
    expect(row("deepseek-v3")).toContain("Unavailable");
    expect(row("price-model")).toContain("Available");

    await stack.admin.updateChannel(channelId, { models: ["price-model", "deepseek-v3"] });
    expect((await list()).find((m) => m.id === "deepseek-v3")?.availability).toBe("available");
    html = await page("/admin/models");
    expect(row("deepseek-v3")).not.toContain("Unavailable");

    const edit = await page("/admin/models/deepseek-v3");
    expect(edit).toContain("Save changes");
    expect(edit).toContain('for="model-inputPriceUsd"');
  });
});

describe("redemption codes", () => {
  it("mints a batch shown once, lists status and who redeemed, revokes unused codes and refuses revoked ones", async () => {
    const minted = await console_<{ batchId: string; codes: string[]; amountUsd: string }>(
      "POST",
      "/api/admin/redemption-codes",
      { amountUsd: "2.50", count: 4, expiresAt: "2099-01-01T00:00:00Z" },
    );
    expect(minted.status).toBe(201);
    const { batchId, codes } = minted.body;
    expect(codes).toHaveLength(4);
    const createdAudit = await latestAudit("redemption_codes.create", batchId);
    expect(createdAudit.after).toMatchObject({ count: 4, amountUsd: "2.50" });
    expect(JSON.stringify(createdAudit)).not.toContain(codes[0]);

    const redeem = (code: string) =>
      fetch(`${stack.app.url}/api/redeem`, {
        method: "POST",
        headers: { authorization: `Bearer ${tenantKey}`, "content-type": "application/json" },
        body: JSON.stringify({ code }),
      });
    expect((await redeem(codes[0])).status).toBe(200);

    type Listed = {
      data: Array<{ id: string; partialCode: string; status: string; redeemedByOrgName: string | null }>;
    };
    const listed = (await console_<Listed>("GET", `/api/admin/redemption-codes?batchId=${batchId}`)).body.data;
    const byPartial = (code: string) => listed.find((c) => c.partialCode.endsWith(code.slice(-4)))!;
    expect(byPartial(codes[0])).toMatchObject({ status: "redeemed", redeemedByOrgName: "Acme" });
    expect(byPartial(codes[1]).status).toBe("unused");

    // A redeemed code cannot be revoked.
    const refused = await console_("POST", `/api/admin/redemption-codes/${byPartial(codes[0]).id}/revoke`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/already redeemed/);

    const revoked = await console_("POST", `/api/admin/redemption-codes/${byPartial(codes[1]).id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: "revoked" });
    expect((await redeem(codes[1])).status).toBe(400); // refused: revoked
    const revokeAudit = await latestAudit("redemption_code.revoke", byPartial(codes[1]).id);
    expect(revokeAudit.before).toMatchObject({ status: "unused", revokedAt: null });
    expect(revokeAudit.after).toMatchObject({ status: "revoked" });
    expect(revokeAudit.actorUserId).toBe(adminUserId);

    // One code expired; the batch revoke takes the rest that are unredeemed, and skips nothing else.
    await stack.db.query(`UPDATE "RedemptionCode" SET "expiresAt" = now() - interval '1 day' WHERE id = $1`, [
      byPartial(codes[2]).id,
    ]);
    const expired = (await console_<Listed>("GET", `/api/admin/redemption-codes?batchId=${batchId}&status=expired`))
      .body.data;
    expect(expired.map((c) => c.id)).toEqual([byPartial(codes[2]).id]);

    const batch = await console_("POST", "/api/admin/redemption-codes/revoke", {
      ids: listed.map((c) => c.id),
    });
    expect(batch.status).toBe(200);
    expect(batch.body.revoked.map((c: { id: string }) => c.id).sort()).toEqual(
      [byPartial(codes[2]).id, byPartial(codes[3]).id].sort(),
    );
    expect(batch.body.skipped).toBe(2);
    expect((await redeem(codes[3])).status).toBe(400);
    const batchAudit = await latestAudit("redemption_codes.revoke");
    expect(batchAudit.after.status).toBe("revoked");
    expect(batchAudit.after.revokedCodes).toHaveLength(2);

    const statuses = (await console_<Listed>("GET", `/api/admin/redemption-codes?batchId=${batchId}`)).body.data
      .map((c) => c.status)
      .sort();
    expect(statuses).toEqual(["redeemed", "revoked", "revoked", "revoked"]);

    // Both forms refuse a body that is neither or both.
    expect((await console_("POST", "/api/admin/redemption-codes/revoke", {})).status).toBe(400);

    const csv = await console_("GET", `/api/admin/redemption-codes/export?batchId=${batchId}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.text.split("\r\n")[0]).toMatch(/^id,batchId,partialCode,amountUsd,status,/);
    expect(csv.text.trimEnd().split("\r\n")).toHaveLength(5);
    for (const code of codes) {
      expect(csv.text).not.toContain(code);
      expect(csv.text).toContain(`TF-****-****-****-${code.slice(-4)}`);
    }

    const html = await page("/admin/codes?status=redeemed");
    expect(html).toContain(`TF-****-****-****-${codes[0].slice(-4)}`);
    expect(html).toContain("Acme");
    expect(html).not.toContain(codes[0]);
  });
});

describe("settings", () => {
  it("round-trips, validates with clear errors, audits before/after, and takes effect", async () => {
    const initial = await console_("GET", "/api/admin/settings");
    expect(initial.body).toEqual({
      signupOpen: true,
      signupEmailVerification: false,
      signupCreditUsd: "5.00",
      topUpMinUsd: "5.00",
      topUpMaxUsd: "1000.00",
      defaultLowBalanceThresholdUsd: null,
    });

    const inverted = await console_("PUT", "/api/admin/settings", { topUpMinUsd: "2000" });
    expect(inverted.status).toBe(400);
    expect(inverted.body.error).toMatchObject({ field: "topUpMinUsd" });
    expect(inverted.body.error.message).toMatch(/must not be above the maximum/);
    const negative = await console_("PUT", "/api/admin/settings", { signupCreditUsd: "-1" });
    expect(negative.body.error).toMatchObject({
      field: "signupCreditUsd",
      message: "signupCreditUsd: must not be negative",
    });
    expect((await console_("PUT", "/api/admin/settings", { topUpMaxUsd: "10.005" })).body.error.field).toBe(
      "topUpMaxUsd",
    );
    expect((await console_("PUT", "/api/admin/settings", {})).status).toBe(400);
    expect((await console_("PUT", "/api/admin/settings", { signupOpen: "no" })).status).toBe(400);

    const changed = await console_("PUT", "/api/admin/settings", {
      signupOpen: false,
      signupCreditUsd: "1.25",
      topUpMaxUsd: "250",
      defaultLowBalanceThresholdUsd: "3.50",
    });
    expect(changed.status).toBe(200);
    expect((await stack.admin.request("GET", "/api/admin/settings")).body).toEqual({
      ...initial.body,
      signupOpen: false,
      signupCreditUsd: "1.25",
      topUpMaxUsd: "250.00",
      defaultLowBalanceThresholdUsd: "3.50",
    });

    const audit = await latestAudit("settings.update");
    expect(audit.actorUserId).toBe(adminUserId);
    expect(audit.before).toEqual({
      signupOpen: true,
      signupCreditUsd: "5.00",
      topUpMaxUsd: "1000.00",
      defaultLowBalanceThresholdUsd: null,
    });
    expect(audit.after).toEqual({
      signupOpen: false,
      signupCreditUsd: "1.25",
      topUpMaxUsd: "250.00",
      defaultLowBalanceThresholdUsd: "3.50",
    });

    // Sign-up closed: /signup refuses.
    const signup = (await (await fetch(`${stack.app.url}/signup`)).text()).replace(/<!-- -->/g, "");
    expect(signup).toContain("Sign-up is closed");
    expect(signup).not.toContain('name="password"');

    // A new organization starts with the default low-balance threshold.
    const ownerId = `user_owner_${randomUUID().slice(0, 8)}`;
    await stack.db.query(`INSERT INTO "User" (id, email, "updatedAt") VALUES ($1, $2, CURRENT_TIMESTAMP)`, [
      ownerId,
      `${ownerId}@example.com`,
    ]);
    const org = await createOrganization(stack.db, { name: "New one", ownerUserId: ownerId, personal: true });
    const { rows } = await stack.db.query(`SELECT "lowBalanceThresholdNanos" FROM "Organization" WHERE id = $1`, [
      org.id,
    ]);
    expect(rows[0].lowBalanceThresholdNanos).toBe(3_500_000_000n);
    const adminMade = await stack.admin.createOrganization("Made by the management API");
    const { rows: made } = await stack.db.query(`SELECT "lowBalanceThresholdNanos" FROM "Organization" WHERE id = $1`, [
      adminMade.id,
    ]);
    expect(made[0].lowBalanceThresholdNanos).toBe(3_500_000_000n);

    // Open again, with the starting credit the page now advertises; no default threshold.
    expect(
      (await console_("PUT", "/api/admin/settings", { signupOpen: true, defaultLowBalanceThresholdUsd: null })).status,
    ).toBe(200);
    const open = (await (await fetch(`${stack.app.url}/signup`)).text()).replace(/<!-- -->/g, "");
    expect(open).toContain("with $1.25 of credit to start");
    const settingsPage = await page("/admin/settings");
    expect(settingsPage).toContain('for="setting-topUpMaxUsd"');
    expect(settingsPage).toContain('value="250.00"');
  });

  it("is for admins only", async () => {
    const anonymous = await fetch(`${stack.app.url}/api/admin/settings`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ signupOpen: false }),
    });
    expect(anonymous.status).toBe(401);
    // A session mutation from another origin is refused (CSRF).
    const crossSite = await fetch(`${stack.app.url}/api/admin/settings`, {
      method: "PUT",
      headers: { cookie, origin: "https://evil.example", "content-type": "application/json" },
      body: JSON.stringify({ signupOpen: false }),
    });
    expect(crossSite.status).toBe(403);
    expect((await stack.admin.request("GET", "/api/admin/settings")).body.signupOpen).toBe(true);
  });
});

// The TENANTS part of the admin console (issue 11) against the production server: the users API
// (create with a password or an emailed set-password link, search with a cursor, disable, platform
// role with the last-admin guard, also under concurrency), disabling organizations and users on the
// gateway within a second, credit adjustments with a note, the audit trail, and the console pages.
// The server's key cache lives ten minutes here, so only the invalidation can stop a key in time.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInForSessionCookie } from "./session";
import { startStack, type Stack } from "./stack";

let stack: Stack;
const tag = randomUUID().slice(0, 8);
const email = (label: string) => `${label}-${tag}@example.com`;
const password = () => `Pw-${randomUUID()}`;

beforeAll(async () => {
  stack = await startStack({ env: { TOKENFLOW_CACHE_TTL_MS: "600000" } });
  await stack.admin.disableAllChannels();
  await stack.admin.createChannel({
    name: "fake",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-admin-tenants",
    models: ["gpt-4o"],
  });
  process.env.DATABASE_URL = stack.databaseUrl;
}, 240_000);

afterAll(async () => {
  const { getPool } = await import("@/lib/db/pool");
  await getPool()
    .end()
    .catch(() => undefined);
  await stack?.stop();
});

const ask = (key: string) =>
  stack
    .sdk(key)
    .chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], max_tokens: 2 })
    .then(
      () => 200,
      (e: { status?: number }) => e.status ?? -1,
    );

/** Asks until the key is refused; the milliseconds that took, or Infinity after `withinMs`. */
async function msUntilRefused(key: string, withinMs: number): Promise<{ ms: number; status: number }> {
  const started = Date.now();
  for (;;) {
    const status = await ask(key);
    if (status === 401 || status === 403) return { ms: Date.now() - started, status };
    if (Date.now() - started > withinMs) return { ms: Infinity, status };
  }
}

async function createUser(body: Record<string, unknown>) {
  return stack.admin.request("POST", "/api/admin/users", body);
}

/** A key of `organizationId` created by `userId` (as the dashboard would record it). */
async function keyCreatedBy(organizationId: string, userId: string): Promise<string> {
  const key = await stack.admin.createKey(organizationId);
  await stack.db.query(`UPDATE "ApiKey" SET "createdById" = $2 WHERE id = $1`, [key.id, userId]);
  return key.key;
}

async function auditRows(action: string, targetId: string) {
  const { rows } = await stack.db.query(
    `SELECT action, data, before, after, "actorUserId" FROM "AuditEvent" WHERE action = $1 AND "targetId" = $2 ORDER BY "createdAt"`,
    [action, targetId],
  );
  return rows;
}

const pageOk = async (cookie: string, pathname: string) =>
  fetch(`${stack.app.url}${pathname}`, { headers: { cookie }, redirect: "manual" });
const html = async (response: Response) => (await response.text()).replace(/<!-- -->/g, "");

describe("POST /api/admin/users", () => {
  it("creates a user with a password and a personal organization; they can sign in", async () => {
    const pw = password();
    const res = await createUser({ email: email("Alice").toUpperCase(), password: pw, name: "Alice" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      email: email("alice"),
      name: "Alice",
      platformRole: "USER",
      disabled: false,
      hasPassword: true,
      invitationSent: false,
    });
    expect(JSON.stringify(res.body)).not.toMatch(/passwordHash|scrypt|argon|\$2[aby]\$/);
    const { rows } = await stack.db.query(
      `SELECT m.role, o.personal FROM "Membership" m JOIN "Organization" o ON o.id = m."organizationId" WHERE m."userId" = $1`,
      [res.body.id],
    );
    expect(rows).toEqual([{ role: "OWNER", personal: true }]);
    expect(res.body.organizationId).toMatch(/^org_/);
    await expect(signInForSessionCookie(stack.app.url, email("alice"), pw)).resolves.toMatch(/session-token=/);

    const again = await createUser({ email: email("alice"), password: password() });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("conflict");
    const audit = await auditRows("user.create", res.body.id);
    expect(audit).toHaveLength(1);
    expect(audit[0].after).toMatchObject({ email: email("alice"), platformRole: "USER" });
    expect(JSON.stringify(audit[0])).not.toMatch(/scrypt|argon/);
  });

  it("refuses bad input with the field named", async () => {
    const weak = await createUser({ email: email("weak"), password: "short" });
    expect(weak.status).toBe(400);
    expect(weak.body.error.field).toBe("password");
    const role = await createUser({ email: email("role"), platformRole: "ROOT" });
    expect(role.status).toBe(400);
    expect(role.body.error.field).toBe("platformRole");
    const unknown = await createUser({ email: email("unknown"), passwordHash: "x" });
    expect(unknown.status).toBe(400);
    const noEmail = await createUser({ email: "not an email" });
    expect(noEmail.status).toBe(400);
    expect(noEmail.body.error.field).toBe("email");
  });

  it("without a password, emails a set-password link that works", async () => {
    const res = await createUser({ email: email("invitee"), platformRole: "USER" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ hasPassword: false, invitationSent: true });

    const outbox = path.join(stack.app.dataDir, "outbox");
    const message = readdirSync(outbox)
      .map((name) => readFileSync(path.join(outbox, name), "utf8"))
      .find((text) => text.includes(`To: ${email("invitee")}`));
    expect(message).toBeDefined();
    const link = /(http\S+\/reset-password\?token=\S+)/.exec(message!)?.[1];
    expect(link).toBeDefined();
    expect(link!.startsWith(stack.app.url)).toBe(true);

    const page = await html(await fetch(link!));
    expect(page).toContain("Choose a new password");
    expect(page).not.toContain("This link has expired");

    // The page's form calls resetPassword with the link's token: do the same, then sign in.
    const { resetPassword } = await import("@/lib/accounts/password-reset");
    const token = new URL(link!).searchParams.get("token")!;
    const pw = password();
    await expect(resetPassword(token, pw)).resolves.toMatchObject({ ok: true });
    await expect(signInForSessionCookie(stack.app.url, email("invitee"), pw)).resolves.toMatch(/session-token=/);
    // The link worked once.
    await expect(resetPassword(token, password())).resolves.toMatchObject({ ok: false, reason: "invalid_link" });
  });
});

describe("GET /api/admin/users", () => {
  it("searches by email, name and id, and pages with a cursor", async () => {
    const label = `search${tag}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await createUser({ email: `${label}-${i}@example.com`, password: password(), name: `Searcher ${i}` });
      ids.push(res.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } =
        await stack.admin.request("GET", `/api/admin/users?q=${label}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((u) => u.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse()); // newest first, each once
    expect(JSON.stringify(seen)).not.toContain("passwordHash");

    const byName = await stack.admin.request("GET", `/api/admin/users?q=${encodeURIComponent("searcher 3")}`);
    expect(byName.body.data.map((u: { id: string }) => u.id)).toEqual([ids[3]]);
    const byId = await stack.admin.request("GET", `/api/admin/users?q=${ids[1]}`);
    expect(byId.body.data.map((u: { id: string }) => u.id)).toEqual([ids[1]]);
    expect(byId.body.data[0]).not.toHaveProperty("passwordHash");
    // A wildcard in the query is a literal character, not "match anything".
    const wildcard = await stack.admin.request("GET", `/api/admin/users?q=%25`);
    expect(wildcard.body.data).toEqual([]);
    const badCursor = await stack.admin.request("GET", `/api/admin/users?cursor=${encodeURIComponent("a b")}`);
    expect(badCursor.status).toBe(400);
  });

  it("finds organizations by a member's email", async () => {
    const res = await createUser({ email: email("orgfinder"), password: password() });
    const orgs = await stack.admin.request("GET", `/api/admin/organizations?q=${email("orgfinder")}`);
    expect(orgs.body.data.map((o: { id: string }) => o.id)).toEqual([res.body.organizationId]);
  });
});

describe("disabling", () => {
  it("a disabled user cannot sign in, their session ends and their key is refused within a second", async () => {
    const pw = password();
    const user = (await createUser({ email: email("leaver"), password: pw })).body;
    await stack.admin.request("POST", `/api/admin/organizations/${user.organizationId}/credits`, {
      amountUsd: "5",
      note: "test",
      reference: crypto.randomUUID(),
    });
    const key = await keyCreatedBy(user.organizationId, user.id);
    expect(await ask(key)).toBe(200); // now cached for ten minutes
    const cookie = await signInForSessionCookie(stack.app.url, email("leaver"), pw);
    expect((await pageOk(cookie, "/dashboard")).status).toBe(200);

    const res = await stack.admin.request("PATCH", `/api/admin/users/${user.id}`, { disabled: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ disabled: true });
    const refused = await msUntilRefused(key, 1_000);
    expect(refused.status).toBe(401);
    expect(refused.ms).toBeLessThan(1_000);

    await expect(signInForSessionCookie(stack.app.url, email("leaver"), pw)).rejects.toThrow(/sign-in failed/);
    const after = await pageOk(cookie, "/dashboard");
    expect(after.status).toBeGreaterThanOrEqual(300);
    expect(after.status).toBeLessThan(400);
    expect(after.headers.get("location")).toContain("/login");

    const [audit] = await auditRows("user.update", user.id);
    expect(audit.before).toMatchObject({ disabled: false });
    expect(audit.after).toMatchObject({ disabled: true });

    // Enabled again: the key works again, at once.
    await stack.admin.request("PATCH", `/api/admin/users/${user.id}`, { disabled: false });
    expect(await ask(key)).toBe(200);
    await expect(signInForSessionCookie(stack.app.url, email("leaver"), pw)).resolves.toMatch(/session-token=/);
  });

  it("a disabled organization's key is refused within a second", async () => {
    const org = await stack.admin.createOrganization(`Org ${tag}`, "5");
    const key = (await stack.admin.createKey(org.id)).key;
    expect(await ask(key)).toBe(200);
    const res = await stack.admin.request("PATCH", `/api/admin/organizations/${org.id}`, { disabled: true });
    expect(res.status).toBe(200);
    const refused = await msUntilRefused(key, 1_000);
    expect([401, 403]).toContain(refused.status);
    expect(refused.ms).toBeLessThan(1_000);
    const [audit] = await auditRows("organization.update", org.id);
    expect(audit.before).toMatchObject({ disabled: false });
    expect(audit.after).toMatchObject({ disabled: true });
    await stack.admin.request("PATCH", `/api/admin/organizations/${org.id}`, { disabled: false });
    expect(await ask(key)).toBe(200);
  });
});

describe("the last active platform admin", () => {
  async function activeAdmins(): Promise<string[]> {
    const { rows } = await stack.db.query<{ id: string }>(
      `SELECT id FROM "User" WHERE role = 'ADMIN' AND "disabledAt" IS NULL ORDER BY id`,
    );
    return rows.map((r) => r.id);
  }

  it("cannot be demoted or disabled, not even by two concurrent requests", async () => {
    const keeper = (await createUser({ email: email("keeper"), password: password(), platformRole: "ADMIN" })).body;
    expect(keeper.platformRole).toBe("ADMIN");
    // Leave the keeper as the only active admin (the seeded admin included).
    for (const id of await activeAdmins()) {
      if (id !== keeper.id) {
        expect((await stack.admin.request("PATCH", `/api/admin/users/${id}`, { platformRole: "USER" })).status).toBe(
          200,
        );
      }
    }
    expect(await activeAdmins()).toEqual([keeper.id]);
    const demote = await stack.admin.request("PATCH", `/api/admin/users/${keeper.id}`, { platformRole: "USER" });
    expect(demote.status).toBe(409);
    expect(demote.body.error.message).toMatch(/last active platform admin/);
    expect((await stack.admin.request("PATCH", `/api/admin/users/${keeper.id}`, { disabled: true })).status).toBe(409);
    // Changes that keep them an active admin are fine.
    expect((await stack.admin.request("PATCH", `/api/admin/users/${keeper.id}`, { disabled: false })).status).toBe(200);

    // Two admins, each removed by a concurrent request (demote one, disable the other): one wins.
    for (let round = 0; round < 8; round++) {
      const other = (
        await createUser({ email: `second-${round}-${tag}@example.com`, password: password(), platformRole: "ADMIN" })
      ).body;
      const admins = await activeAdmins();
      expect(admins).toHaveLength(2);
      const results = await Promise.all([
        stack.admin.request("PATCH", `/api/admin/users/${admins[0]}`, { platformRole: "USER" }),
        stack.admin.request("PATCH", `/api/admin/users/${admins[1]}`, { disabled: true }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const left = await activeAdmins();
      expect(left).toHaveLength(1);
      // Back to one admin named keeper for the next round: restore and retire `other` if it won.
      if (left[0] !== keeper.id) {
        await stack.db.query(`UPDATE "User" SET role = 'ADMIN', "disabledAt" = NULL WHERE id = $1`, [keeper.id]);
        expect(
          (await stack.admin.request("PATCH", `/api/admin/users/${other.id}`, { platformRole: "USER" })).status,
        ).toBe(200);
      }
      expect(await activeAdmins()).toEqual([keeper.id]);
    }
  });
});

describe("credit adjustments", () => {
  it("land in the ledger with the note and in the balance; a credit lands on a negative balance, a debit stops at zero", async () => {
    const org = await stack.admin.createOrganization(`Credit ${tag}`);
    const credit = await stack.admin.request("POST", `/api/admin/organizations/${org.id}/credits`, {
      amountUsd: "12.50",
      note: "Goodwill for ticket #4242",
      reference: crypto.randomUUID(),
    });
    expect(credit.status).toBe(200);
    expect(credit.body.balanceUsd).toBe("12.50");
    expect((await stack.admin.getOrganization(org.id)).balanceUsd).toBe("12.50");
    const { rows } = await stack.db.query(
      `SELECT kind, "amountNanos", note FROM "LedgerEntry" WHERE "organizationId" = $1 AND kind = 'ADJUSTMENT'`,
      [org.id],
    );
    expect(rows).toEqual([{ kind: "ADJUSTMENT", amountNanos: 12_500_000_000n, note: "Goodwill for ticket #4242" }]);
    const [audit] = await auditRows("organization.credit", org.id);
    expect(audit.data).toMatchObject({ amountUsd: "12.50", note: "Goodwill for ticket #4242" });
    expect(audit.before).toMatchObject({ balanceUsd: "0.00" });
    expect(audit.after).toMatchObject({ balanceUsd: "12.50" });

    // A refund took it below zero; a debit is refused, a credit lands even if it stays negative.
    await stack.db.query(`SELECT tf_credit($1, $2, 'REFUND', $3, NULL, NULL)`, [
      org.id,
      (-20_000_000_000n).toString(),
      `refund-${tag}`,
    ]);
    const debit = await stack.admin.request("POST", `/api/admin/organizations/${org.id}/credits`, {
      amountUsd: "-1",
      note: "should not land",
      reference: crypto.randomUUID(),
    });
    expect(debit.status).toBe(409);
    expect(debit.body.error.code).toBe("balance_too_low");
    const small = await stack.admin.request("POST", `/api/admin/organizations/${org.id}/credits`, {
      amountUsd: "2.50",
      note: "partial",
      reference: crypto.randomUUID(),
    });
    expect(small.status).toBe(200);
    expect(small.body.balanceUsd).toBe("-5.00");
  });
  it("need a reference, and a retry with the same one credits once; the same one for another amount is refused", async () => {
    const org = await stack.admin.createOrganization(`Retry ${tag}`);
    const path = `/api/admin/organizations/${org.id}/credits`;
    const missing = await stack.admin.request("POST", path, { amountUsd: "3" });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: "validation_error", field: "reference" });

    const first = await stack.admin.request("POST", path, { amountUsd: "3", reference: "ticket-77" });
    const retry = await stack.admin.request("POST", path, { amountUsd: "3", reference: "ticket-77" });
    expect([first.body, retry.body]).toEqual([{ balanceUsd: "3.00" }, { balanceUsd: "3.00" }]);
    const other = await stack.admin.request("POST", path, { amountUsd: "4", reference: "ticket-77" });
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: "conflict", field: "reference" });
    expect(other.body.error.message).toContain("3.00 USD");

    const { rows } = await stack.db.query(
      `SELECT "amountNanos" FROM "LedgerEntry" WHERE "organizationId" = $1 AND kind = 'ADJUSTMENT'`,
      [org.id],
    );
    expect(rows).toEqual([{ amountNanos: 3_000_000_000n }]);
    expect(await auditRows("organization.credit", org.id)).toHaveLength(1);
    expect((await stack.admin.getOrganization(org.id)).balanceUsd).toBe("3.00");
  });

  it("racing calls with one reference credit once; for two amounts, the one that did not land is refused", async () => {
    const org = await stack.admin.createOrganization(`Race ${tag}`);
    const path = `/api/admin/organizations/${org.id}/credits`;
    const same = await Promise.all(
      Array.from({ length: 8 }, () => stack.admin.request("POST", path, { amountUsd: "1", reference: "same" })),
    );
    expect(same.map((r) => r.status)).toEqual(Array(8).fill(200));
    const mixed = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        stack.admin.request("POST", path, { amountUsd: i % 2 ? "2" : "5", reference: "mixed" }),
      ),
    );
    const landed = mixed.filter((r) => r.status === 200);
    expect(mixed.filter((r) => r.status === 409)).toHaveLength(4);
    const { rows } = await stack.db.query(
      `SELECT reference, "amountNanos" FROM "LedgerEntry" WHERE "organizationId" = $1 AND kind = 'ADJUSTMENT'`,
      [org.id],
    );
    expect(rows).toHaveLength(2);
    const mixedEntry = rows.find((r) => r.reference.endsWith(":mixed"))!;
    expect(landed).toHaveLength(4);
    expect((await stack.admin.getOrganization(org.id)).balanceUsd).toBe(
      mixedEntry.amountNanos === 2_000_000_000n ? "3.00" : "6.00",
    );
  });
});

describe("the console pages", () => {
  it("an admin finds a tenant and sees its balance, members, keys and ledger notes", async () => {
    const pw = password();
    await createUser({ email: email("console-admin"), password: pw, platformRole: "ADMIN" });
    const cookie = await signInForSessionCookie(stack.app.url, email("console-admin"), pw);
    const tenant = (await createUser({ email: email("tenant"), password: password(), name: "Tina Tenant" })).body;
    await stack.admin.request("POST", `/api/admin/organizations/${tenant.organizationId}/credits`, {
      amountUsd: "7",
      note: "Console check",
      reference: crypto.randomUUID(),
    });

    const search = await pageOk(cookie, `/admin/tenants?q=${encodeURIComponent(email("tenant"))}`);
    expect(search.status).toBe(200);
    const searchHtml = await html(search);
    expect(searchHtml).toContain(`/admin/tenants/organizations/${tenant.organizationId}`);
    expect(searchHtml).toContain(`/admin/tenants/users/${tenant.id}`);

    const orgPage = await html(await pageOk(cookie, `/admin/tenants/organizations/${tenant.organizationId}`));
    expect(orgPage).toContain("Console check");
    expect(orgPage).toContain(email("tenant"));
    expect(orgPage).toMatch(/data-testid="org-balance">\$12\.00/); // $5 starting credit + $7
    expect(orgPage).toContain("Disable organization");

    const userPage = await html(await pageOk(cookie, `/admin/tenants/users/${tenant.id}`));
    expect(userPage).toContain("Tina Tenant");
    expect(userPage).toContain("Make platform admin");
    expect(userPage).toContain("Disable user");
    expect(userPage).not.toMatch(/scrypt|argon/);

    // Unknown ids: a real 404 (no loading boundary above the detail pages to start a 200 stream).
    const missingResponse = await pageOk(cookie, `/admin/tenants/users/user_nope`);
    expect(missingResponse.status).toBe(404);
    const missing = await html(missingResponse);
    expect(missing).toContain("This page could not be found");
    expect(missing).not.toContain("Disable user");
  });

  it("a tenant session gets neither the users API nor the console", async () => {
    const pw = password();
    await createUser({ email: email("plain"), password: pw });
    const cookie = await signInForSessionCookie(stack.app.url, email("plain"), pw);
    const res = await fetch(`${stack.app.url}/api/admin/users`, { headers: { cookie } });
    expect(res.status).toBe(403);
    const patch = await fetch(`${stack.app.url}/api/admin/users/whoever`, {
      method: "PATCH",
      headers: { cookie, origin: stack.app.url, "content-type": "application/json" },
      body: JSON.stringify({ platformRole: "ADMIN" }),
    });
    expect(patch.status).toBe(403);
    expect((await pageOk(cookie, "/admin/tenants")).status).toBe(404);
  });
});

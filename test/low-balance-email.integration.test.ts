// The low-balance alert end to end: the owner's threshold, real requests through /v1 spending
// across it, settlement noting the crossing, and the server's outbox loop emailing the owners:
// once per crossing, again only after a top-up lifts the balance above it and spending crosses again.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "./stack";

let stack: Stack;
let orgId: string;
let client: OpenAI;
const ownerEmail = `owner-${randomBytes(3).toString("hex")}@example.com`;
const memberEmail = `member-${randomBytes(3).toString("hex")}@example.com`;

beforeAll(async () => {
  stack = await startStack({ env: { TOKENFLOW_OUTBOX_INTERVAL_MS: "100" } });
  await stack.admin.disableAllChannels();
  await stack.admin.createChannel({ name: "A", baseUrl: stack.upstream.baseUrl, models: ["gpt-4o"], priority: 10 });
  orgId = (await stack.admin.createOrganization("Alerted", "1")).id;
  for (const [email, role] of [
    [ownerEmail, "OWNER"],
    [memberEmail, "MEMBER"],
  ]) {
    const userId = `user_${randomBytes(6).toString("hex")}`;
    await stack.db.query(`INSERT INTO "User" (id, email, role, "updatedAt") VALUES ($1, $2, 'USER', now())`, [
      userId,
      email,
    ]);
    await stack.db.query(
      `INSERT INTO "Membership" (id, "userId", "organizationId", role, "createdAt") VALUES ($1, $2, $3, $4, now())`,
      [`mem_${userId}`, userId, orgId, role],
    );
  }
  client = stack.sdk((await stack.admin.createKey(orgId)).key);
});

afterAll(async () => {
  await stack?.stop();
});

function alerts(): string[] {
  const dir = path.join(stack.app.dataDir, "outbox");
  let files: string[] = [];
  try {
    files = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return files.map((f) => readFileSync(path.join(dir, f), "utf8")).filter((m) => m.includes("balance is below"));
}

async function funds(): Promise<bigint> {
  const { rows } = await stack.db.query(
    `SELECT "balanceNanos" + "heldNanos" AS funds FROM "Organization" WHERE id = $1`,
    [orgId],
  );
  return rows[0].funds as bigint;
}

/** One request; returns what it cost. */
async function spend(): Promise<bigint> {
  const before = await funds();
  await client.chat.completions.create({
    model: "gpt-4o",
    max_tokens: 20,
    messages: [{ role: "user", content: "hi" }],
    fake_fault: "usage:10,20",
  } as never);
  await stack.settled(orgId); // the charge lands just after the answer
  const cost = before - (await funds());
  expect(cost).toBeGreaterThan(0n);
  return cost;
}

/** Waits for the outbox loop (every 100 ms) to have sent `count` alerts, and a little longer for extras. */
async function expectAlerts(count: number) {
  const deadline = Date.now() + 10_000;
  while (alerts().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 600));
  expect(alerts()).toHaveLength(count);
}

describe("low-balance email", () => {
  it("is sent once per crossing of the owner's threshold", async () => {
    const cost = await spend();
    // The threshold half a request below the funds: the next request crosses it.
    const threshold = (await funds()) - cost / 2n;
    await stack.db.query(`UPDATE "Organization" SET "lowBalanceThresholdNanos" = $2 WHERE id = $1`, [
      orgId,
      threshold.toString(),
    ]);
    await expectAlerts(0);

    expect(await spend()).toBe(cost);
    await expectAlerts(1);
    const [mail] = alerts();
    expect(mail).toContain(`To: ${ownerEmail}`);
    expect(mail).not.toContain(memberEmail);
    expect(mail).toContain("Alerted");

    // Further spending below the threshold: no second email.
    await spend();
    await spend();
    await expectAlerts(1);

    // A top-up lifts the funds to half a request above the threshold; the next request crosses again.
    const topUpNanos = threshold + cost / 2n - (await funds());
    const usd = `${topUpNanos / 1_000_000_000n}.${(topUpNanos % 1_000_000_000n).toString().padStart(9, "0")}`;
    const credit = await stack.admin.request("POST", `/api/admin/organizations/${orgId}/credits`, {
      amountUsd: usd,
      note: "top-up",
      reference: crypto.randomUUID(),
    });
    expect(credit.status).toBeLessThan(300);
    expect(await funds()).toBeGreaterThanOrEqual(threshold);
    await expectAlerts(1);
    await spend();
    await expectAlerts(2);
    const { rows } = await stack.db.query(
      `SELECT count(*)::int AS n, count("sentAt")::int AS sent FROM "Notification" WHERE "organizationId" = $1`,
      [orgId],
    );
    expect(rows[0]).toEqual({ n: 2, sent: 2 });
  });
});

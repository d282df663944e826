// The notification outbox against real Postgres: concurrent rounds (several instances) send each
// notification once; a failed send is retried up to MAX_ATTEMPTS; owners, and only owners, get it.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bigintTypes } from "@/lib/db/pool";
import type { Email } from "@/lib/email/send";
import { createOrganization } from "@/lib/organizations/create";
import { createFreshDatabase } from "@/test/database";
import { deliverPendingNotifications, MAX_ATTEMPTS } from "./outbox";

let database: Awaited<ReturnType<typeof createFreshDatabase>>;
let db: pg.Pool;

beforeAll(async () => {
  database = await createFreshDatabase();
  db = new pg.Pool({ connectionString: database.url, max: 10, types: bigintTypes });
});

afterAll(async () => {
  await db?.end();
  await database?.drop();
});

async function orgWithOwners(owners: string[], memberEmail: string) {
  const ids: string[] = [];
  for (const email of [...owners, memberEmail]) {
    const id = `user_${randomBytes(6).toString("hex")}`;
    await db.query(`INSERT INTO "User" (id, email, role, "updatedAt") VALUES ($1, $2, 'USER', now())`, [id, email]);
    ids.push(id);
  }
  const { id } = await createOrganization(db, { name: "Alerted Inc", ownerUserId: ids[0] });
  for (const [i, userId] of ids.slice(1).entries()) {
    await db.query(
      `INSERT INTO "Membership" (id, "userId", "organizationId", role, "createdAt") VALUES ($1, $2, $3, $4, now())`,
      [`mem_${randomBytes(6).toString("hex")}`, userId, id, i < owners.length - 1 ? "OWNER" : "MEMBER"],
    );
  }
  return id;
}

async function notify(organizationId: string) {
  const id = `n_${randomBytes(6).toString("hex")}`;
  await db.query(`INSERT INTO "Notification" (id, kind, "organizationId", data) VALUES ($1, 'LOW_BALANCE', $2, $3)`, [
    id,
    organizationId,
    { fundsNanos: "4990000", thresholdNanos: "5000000000" },
  ]);
  return id;
}

describe("notification outbox", () => {
  it("emails the owners once, even with several instances delivering at the same time", async () => {
    const tag = randomBytes(3).toString("hex");
    const orgId = await orgWithOwners([`a-${tag}@example.com`, `b-${tag}@example.com`], `m-${tag}@example.com`);
    const id = await notify(orgId);
    const sent: Email[] = [];
    // A slow mailer: the rounds overlap while the first one is sending.
    const send = async (email: Email) => {
      await new Promise((r) => setTimeout(r, 200));
      sent.push(email);
    };
    const results = await Promise.all(Array.from({ length: 4 }, () => deliverPendingNotifications(db, send)));
    const mine = sent.filter((e) => e.to.includes(tag));
    expect(mine).toHaveLength(1);
    expect(results.reduce((sum, r) => sum + r.sent, 0)).toBe(1);
    expect(mine[0].to).toBe(`a-${tag}@example.com, b-${tag}@example.com`);
    expect(mine[0].subject).toBe("Your TokenFlow balance is below $5.00");
    expect(mine[0].text).toContain("It is now $0.00499.");
    const { rows } = await db.query(`SELECT "sentAt" IS NOT NULL AS sent, attempts FROM "Notification" WHERE id = $1`, [
      id,
    ]);
    expect(rows[0]).toEqual({ sent: true, attempts: 1 });
    await deliverPendingNotifications(db, send);
    expect(sent.filter((e) => e.to.includes(tag))).toHaveLength(1);
  });

  it("retries a failed send, then gives up after MAX_ATTEMPTS", async () => {
    const tag = randomBytes(3).toString("hex");
    const orgId = await orgWithOwners([`o-${tag}@example.com`], `m-${tag}@example.com`);
    const id = await notify(orgId);
    let tries = 0;
    const failing = async (email: Email) => {
      if (email.to.includes(tag)) {
        tries++;
        throw new Error("smtp down");
      }
    };
    for (let i = 0; i < MAX_ATTEMPTS + 3; i++) await deliverPendingNotifications(db, failing);
    expect(tries).toBe(MAX_ATTEMPTS);
    const { rows } = await db.query(`SELECT "sentAt", attempts FROM "Notification" WHERE id = $1`, [id]);
    expect(rows[0]).toEqual({ sentAt: null, attempts: MAX_ATTEMPTS });
  });

  it("a notification of a deleted organization is dropped unsent", async () => {
    const tag = randomBytes(3).toString("hex");
    const orgId = await orgWithOwners([`d-${tag}@example.com`], `m-${tag}@example.com`);
    await db.query(`UPDATE "Organization" SET "deletedAt" = now() WHERE id = $1`, [orgId]);
    const id = await notify(orgId);
    const sent: Email[] = [];
    await deliverPendingNotifications(db, async (e) => void sent.push(e));
    expect(sent.filter((e) => e.to.includes(tag))).toEqual([]);
    const { rows } = await db.query(`SELECT "sentAt" IS NOT NULL AS done FROM "Notification" WHERE id = $1`, [id]);
    expect(rows[0].done).toBe(true);
  });
});

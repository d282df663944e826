// The first-run seed: exact prices, idempotence, never overwriting, and money that balances.
import { afterEach, describe, expect, it } from "vitest";
import { createFreshDatabase, withClient, type FreshDatabase } from "@/test/database";
import { verifyPassword } from "../auth/password";
import { hashApiKey } from "../keys/api-key";
import { seedDatabase } from "./seed";

const ADMIN = { adminEmail: "Root@Example.test", adminPassword: "correct horse battery staple" };
const DUMPED_TABLES = ["Model", "Channel", "User", "Organization", "Membership", "LedgerEntry", "ApiKey"];

// Written out by hand (not through usdToNanos) so the test checks the conversion too.
const EXPECTED_PRICES: Record<string, [bigint, bigint]> = {
  "deepseek-v3": [140_000_000n, 280_000_000n],
  "deepseek-r1": [550_000_000n, 2_190_000_000n],
  "kimi-k2": [200_000_000n, 600_000_000n],
  "glm-4-plus": [150_000_000n, 500_000_000n],
  "qwen-max": [160_000_000n, 640_000_000n],
  "gpt-4o": [2_500_000_000n, 10_000_000_000n],
  "claude-sonnet": [3_000_000_000n, 15_000_000_000n],
};

const databases: FreshDatabase[] = [];
afterEach(async () => {
  for (const db of databases.splice(0)) await db.drop();
});
async function migratedDatabase(): Promise<string> {
  const db = await createFreshDatabase();
  databases.push(db);
  return db.url;
}

/** Every row of every seeded table, as text: any change anywhere shows up as a diff. */
function dump(url: string): Promise<Record<string, string[]>> {
  return withClient(url, async (c) => {
    const out: Record<string, string[]> = {};
    for (const t of DUMPED_TABLES) {
      const { rows } = await c.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${t}" t ORDER BY id`);
      out[t] = rows.map((r) => r.row);
    }
    return out;
  });
}

describe("seedDatabase", () => {
  it("seeds the seven models at exactly the listed prices, the demo channel and the admin", async () => {
    const url = await migratedDatabase();
    const result = await seedDatabase(url, ADMIN);
    expect(result.insertedModels).toBe(7);
    expect(result.createdDemoChannel).toBe(true);
    expect(result.createdAdmin).toMatchObject({ email: "root@example.test", password: ADMIN.adminPassword });

    await withClient(url, async (c) => {
      const models = (await c.query(`SELECT * FROM "Model" ORDER BY "sortOrder"`)).rows;
      expect(
        Object.fromEntries(models.map((m) => [m.id, [BigInt(m.inputPriceNanos), BigInt(m.outputPriceNanos)]])),
      ).toEqual(EXPECTED_PRICES);
      expect(models.map((m) => m.id)).toEqual(Object.keys(EXPECTED_PRICES)); // and in this display order
      for (const m of models) {
        expect(m.defaultMaxOutputTokens).toBeGreaterThan(0);
        expect(m.defaultMaxOutputTokens).toBeLessThanOrEqual(m.maxOutputTokens);
        expect(m.qualityTier).toBeGreaterThanOrEqual(1);
        expect(m.qualityTier).toBeLessThanOrEqual(5);
        expect(m.enabled).toBe(true);
      }
      const byId = Object.fromEntries(models.map((m) => [m.id, m]));
      expect(byId["gpt-4o"].supportsVision && byId["claude-sonnet"].supportsVision).toBe(true);
      expect(byId["deepseek-r1"].supportsReasoning).toBe(true);

      const channels = (await c.query(`SELECT * FROM "Channel"`)).rows;
      expect(channels).toHaveLength(1);
      expect(channels[0]).toMatchObject({
        name: "Demo (built-in)",
        provider: "demo",
        baseUrl: "demo://local",
        apiKeyEncrypted: null,
        priority: 0,
        weight: 1,
        status: "ENABLED",
        models: Object.keys(EXPECTED_PRICES),
      });

      const [user] = (await c.query(`SELECT * FROM "User"`)).rows;
      expect(user).toMatchObject({ email: "root@example.test", role: "ADMIN" });
      expect(await verifyPassword(ADMIN.adminPassword, user.passwordHash)).toBe(true);

      const [org] = (await c.query(`SELECT * FROM "Organization"`)).rows;
      expect(org.name).toBe("root@example.test's workspace");
      const [membership] = (await c.query(`SELECT * FROM "Membership"`)).rows;
      expect(membership).toMatchObject({ userId: user.id, organizationId: org.id, role: "OWNER" });

      const [key] = (await c.query(`SELECT * FROM "ApiKey"`)).rows;
      expect(key).toMatchObject({
        organizationId: org.id,
        createdById: user.id,
        name: "Quick start",
        scope: "GATEWAY",
        revokedAt: null,
      });
      expect(key.keyHash).toBe(hashApiKey(result.createdAdmin!.apiKey!));
      const fullKey = result.createdAdmin!.apiKey!;
      expect(key.partialKey).toBe(`${fullKey.slice(0, 7)}…${fullKey.slice(-4)}`);
      expect(JSON.stringify(key)).not.toContain(fullKey); // only the hash and a partial are stored
    });
  });

  it("credits the admin's workspace $5.00 through the ledger: balance + held == sum(ledger)", async () => {
    const url = await migratedDatabase();
    await seedDatabase(url, ADMIN);
    await withClient(url, async (c) => {
      const [org] = (await c.query(`SELECT id, "balanceNanos", "heldNanos" FROM "Organization"`)).rows;
      const entries = (await c.query(`SELECT * FROM "LedgerEntry" WHERE "organizationId" = $1`, [org.id])).rows;
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ kind: "SIGNUP_CREDIT", reference: org.id });
      expect(BigInt(entries[0].amountNanos)).toBe(5_000_000_000n);
      const ledgerSum = entries.reduce((sum, e) => sum + BigInt(e.amountNanos), 0n);
      expect(BigInt(org.balanceNanos) + BigInt(org.heldNanos)).toBe(ledgerSum);
    });
  });

  it("is idempotent: a second run changes nothing and reveals no secret", async () => {
    const url = await migratedDatabase();
    await seedDatabase(url, ADMIN);
    const before = await dump(url);
    const again = await seedDatabase(url, { adminEmail: "other@example.test" });
    expect(again).toEqual({ insertedModels: 0, createdDemoChannel: false });
    expect(await dump(url)).toEqual(before);
  });

  it("never overwrites an admin's edits: changed prices and a disabled demo channel survive a reseed", async () => {
    const url = await migratedDatabase();
    await seedDatabase(url, ADMIN);
    await withClient(url, async (c) => {
      await c.query(`UPDATE "Model" SET "inputPriceNanos" = 123456789, "enabled" = false WHERE id = 'gpt-4o'`);
      await c.query(`UPDATE "Channel" SET "status" = 'DISABLED', "models" = ARRAY['gpt-4o'] WHERE provider = 'demo'`);
    });
    const before = await dump(url);
    await seedDatabase(url, ADMIN);
    expect(await dump(url)).toEqual(before);
    await withClient(url, async (c) => {
      const { rows } = await c.query(`SELECT "inputPriceNanos", enabled FROM "Model" WHERE id = 'gpt-4o'`);
      expect(BigInt(rows[0].inputPriceNanos)).toBe(123_456_789n);
      expect(rows[0].enabled).toBe(false);
    });
  });

  it("concurrent first runs create exactly one admin and one demo channel", async () => {
    const url = await migratedDatabase();
    const results = await Promise.all([seedDatabase(url, ADMIN), seedDatabase(url, ADMIN), seedDatabase(url, ADMIN)]);
    expect(results.filter((r) => r.createdAdmin)).toHaveLength(1);
    expect(results.filter((r) => r.createdDemoChannel)).toHaveLength(1);
    expect(results.reduce((n, r) => n + r.insertedModels, 0)).toBe(7);
    await withClient(url, async (c) => {
      expect((await c.query(`SELECT 1 FROM "User"`)).rowCount).toBe(1);
      expect((await c.query(`SELECT 1 FROM "LedgerEntry"`)).rowCount).toBe(1);
    });
  });

  it("generates a password when none is given, and leaves an existing non-admin user with that email alone", async () => {
    const url = await migratedDatabase();
    const generated = await seedDatabase(await migratedDatabase(), { adminEmail: "gen@example.test" });
    expect(generated.createdAdmin?.password).toMatch(/^[\w-]{16,}$/);

    await withClient(url, (c) =>
      c.query(`INSERT INTO "User" (id, email, role, "updatedAt") VALUES ('u1', 'taken@example.test', 'USER', now())`),
    );
    const result = await seedDatabase(url, { adminEmail: "taken@example.test" });
    expect(result.createdAdmin).toBeUndefined();
    expect(result.warning).toMatch(/taken@example\.test already belongs to an ordinary user/);
    await withClient(url, async (c) => {
      expect((await c.query(`SELECT role FROM "User"`)).rows).toEqual([{ role: "USER" }]);
      expect((await c.query(`SELECT 1 FROM "Organization"`)).rowCount).toBe(0);
    });
  });
});

// The migration runner and the invariants the init migration makes the database enforce.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createFreshDatabase, withClient, type FreshDatabase } from "@/test/database";
import { applyMigrations, defaultMigrationsDir } from "./migrate";

const ALL = readdirSync(defaultMigrationsDir(), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const INIT = "20261125000000_init";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0)) await fn();
});

async function emptyDatabase(): Promise<FreshDatabase> {
  const db = await createFreshDatabase({ migrate: false });
  cleanups.push(() => db.drop());
  return db;
}

/** A scratch copy of prisma/migrations that a test may edit. */
function copyOfMigrations(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "tf-migrations-"));
  cpSync(defaultMigrationsDir(), dir, { recursive: true });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const recorded = (url: string) =>
  withClient(url, async (c) =>
    (await c.query<{ name: string }>(`SELECT name FROM "_tf_migrations" ORDER BY name`)).rows.map((r) => r.name),
  );

const tableExists = (url: string, table: string) =>
  withClient(url, async (c) => (await c.query(`SELECT to_regclass($1) AS t`, [`"${table}"`])).rows[0].t !== null);

describe("applyMigrations", () => {
  it("applies every migration to an empty database, then nothing on a second run", async () => {
    expect(ALL).toContain(INIT);
    const db = await emptyDatabase();
    const logs: string[] = [];
    expect(await applyMigrations(db.url, { log: (m) => logs.push(m) })).toEqual({ applied: ALL });
    expect(await recorded(db.url)).toEqual(ALL);
    expect(logs).toContain(`migrate: applying ${INIT}`);

    expect(await applyMigrations(db.url)).toEqual({ applied: [] });
    expect(await recorded(db.url)).toEqual(ALL);
  });

  it("refuses to run when an applied migration was edited, naming it", async () => {
    const db = await emptyDatabase();
    const dir = copyOfMigrations();
    await applyMigrations(db.url, { migrationsDir: dir });

    const file = path.join(dir, INIT, "migration.sql");
    const sql = readFileSync(file);
    sql[sql.length - 2] ^= 1; // flip one bit of one byte
    writeFileSync(file, sql);
    await expect(applyMigrations(db.url, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(`Migration "${INIT}" was changed after it was applied`),
    );
  });

  it("refuses to run when an applied migration's folder is missing, naming it", async () => {
    const db = await emptyDatabase();
    const dir = copyOfMigrations();
    await applyMigrations(db.url, { migrationsDir: dir });
    rmSync(path.join(dir, INIT), { recursive: true });
    await expect(applyMigrations(db.url, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(`Migration "${INIT}" was applied to this database but its folder is missing`),
    );
  });

  it("rolls a failing migration back completely and records nothing, then applies it once fixed", async () => {
    const db = await emptyDatabase();
    const dir = copyOfMigrations();
    const broken = "29991231000000_broken";
    mkdirSync(path.join(dir, broken));
    const file = path.join(dir, broken, "migration.sql");
    writeFileSync(file, `CREATE TABLE "Partial" ("id" TEXT);\nALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;\n`);

    await expect(applyMigrations(db.url, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(`Migration "${broken}" failed and was rolled back: .*NoSuchTable`),
    );
    expect(await tableExists(db.url, "Partial")).toBe(false);
    expect(await recorded(db.url)).toEqual(ALL); // the good ones before it stay applied

    writeFileSync(file, `CREATE TABLE "Partial" ("id" TEXT);\n`);
    expect(await applyMigrations(db.url, { migrationsDir: dir })).toEqual({ applied: [broken] });
    expect(await tableExists(db.url, "Partial")).toBe(true);
  });

  it("lets two runners race without applying anything twice", async () => {
    const db = await emptyDatabase();
    const results = await Promise.all([applyMigrations(db.url), applyMigrations(db.url), applyMigrations(db.url)]);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(ALL);
    expect(await recorded(db.url)).toEqual(ALL);
  });
});

describe("invariants enforced by the database", () => {
  let db: FreshDatabase;
  const orgId = "org-1";
  beforeAll(async () => {
    db = await createFreshDatabase();
    await withClient(db.url, async (c) => {
      await c.query(
        `INSERT INTO "Organization" (id, name, "balanceNanos", "updatedAt") VALUES ($1, 'Acme', 5000000000, now())`,
        [orgId],
      );
      await c.query(
        `INSERT INTO "LedgerEntry" (id, "organizationId", kind, "amountNanos", reference) VALUES ('le-1', $1, 'TOPUP', 5000000000, 'ref-1')`,
        [orgId],
      );
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  const run = (sql: string, params: unknown[] = []) => withClient(db.url, (c) => c.query(sql, params));

  it("the ledger is append-only: UPDATE, DELETE and TRUNCATE are refused", async () => {
    await expect(run(`UPDATE "LedgerEntry" SET "amountNanos" = 1 WHERE id = 'le-1'`)).rejects.toThrow(
      /append-only: UPDATE/,
    );
    await expect(run(`DELETE FROM "LedgerEntry" WHERE id = 'le-1'`)).rejects.toThrow(/append-only: DELETE/);
    await expect(run(`TRUNCATE "LedgerEntry"`)).rejects.toThrow(/append-only: TRUNCATE/);
    const { rows } = await run(`SELECT "amountNanos" FROM "LedgerEntry" WHERE id = 'le-1'`);
    expect(BigInt(rows[0].amountNanos)).toBe(5_000_000_000n);
    // Appending is what it is for.
    await run(
      `INSERT INTO "LedgerEntry" (id, "organizationId", kind, "amountNanos", reference) VALUES ('le-2', $1, 'USAGE', -1, 'req-1')`,
      [orgId],
    );
  });

  it("admission never takes a balance negative (only an overage may, in tf_settle)", async () => {
    // The guarded admission statement simply matches no row.
    const admitted = await run(
      `UPDATE "Organization" SET "balanceNanos" = "balanceNanos" - $2, "heldNanos" = "heldNanos" + $2
        WHERE id = $1 AND "balanceNanos" >= $2`,
      [orgId, "5000000001"],
    );
    expect(admitted.rowCount).toBe(0);
  });

  it.each([
    ["Organization_heldNanos_nonnegative", `UPDATE "Organization" SET "heldNanos" = -1`],
    [
      "Hold_chargedNanos_nonnegative",
      `INSERT INTO "Hold" (id, "organizationId", "amountNanos", "chargedNanos") VALUES ('h1', 'org-1', 10, -1)`,
    ],
    [
      "Hold_amountNanos_nonnegative",
      `INSERT INTO "Hold" (id, "organizationId", "amountNanos") VALUES ('h2', 'org-1', -5)`,
    ],
    [
      "Model_defaultMaxOutputTokens_range",
      `INSERT INTO "Model" (id, "displayName", provider, "inputPriceNanos", "outputPriceNanos", "contextWindow", "maxOutputTokens", "defaultMaxOutputTokens", "updatedAt")
       VALUES ('m', 'M', 'X', 1, 1, 1000, 100, 101, now())`,
    ],
    [
      "Model_inputPriceNanos_nonnegative",
      `INSERT INTO "Model" (id, "displayName", provider, "inputPriceNanos", "outputPriceNanos", "contextWindow", "maxOutputTokens", "defaultMaxOutputTokens", "updatedAt")
       VALUES ('m', 'M', 'X', -1, 1, 1000, 100, 100, now())`,
    ],
    [
      "Channel_weight_nonnegative",
      `INSERT INTO "Channel" (id, name, provider, "baseUrl", weight, "updatedAt") VALUES ('c', 'C', 'demo', 'demo://x', -1, now())`,
    ],
    [
      "Payment_amountNanos_positive",
      `INSERT INTO "Payment" (id, "organizationId", "stripeSessionId", "amountNanos", "updatedAt") VALUES ('p', 'org-1', 's', 0, now())`,
    ],
    [
      "RedemptionCode_amountNanos_positive",
      `INSERT INTO "RedemptionCode" (id, "batchId", "codeHash", "partialCode", "amountNanos") VALUES ('r', 'b', 'h', 'p', 0)`,
    ],
    [
      "ApiKey_spendLimitNanos_nonnegative",
      `INSERT INTO "ApiKey" (id, "organizationId", name, "keyHash", "partialKey", "spendLimitNanos") VALUES ('k', 'org-1', 'k', 'h', 'p', -1)`,
    ],
  ])("CHECK %s refuses bad data", async (constraint, sql) => {
    await expect(run(sql)).rejects.toThrow(new RegExp(constraint));
  });
});

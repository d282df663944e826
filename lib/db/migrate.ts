// Applies prisma/migrations/<name>/migration.sql in name order with plain `pg`, because Prisma's
// migrate CLI needs a schema-engine binary we cannot download. Each migration runs in its own
// transaction and is recorded (name + sha256) in "_tf_migrations", so a run is all-or-nothing per
// migration and an applied migration can never be edited silently. The SQL here stays plain so it
// also runs on PGlite behind @electric-sql/pglite-socket.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Client } from "pg";

export interface MigrateOptions {
  /** Defaults to <cwd>/prisma/migrations (scripts and the launcher run from the repo root). */
  migrationsDir?: string;
  log?: (msg: string) => void;
}

interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

// Arbitrary constant shared by every TokenFlow process: "two migrators wait for each other".
// (On PGlite all connections share one backend, so this lock does not exclude; the launcher's
// lock file does that job there.)
const MIGRATION_LOCK_KEY = 7_426_170_001;

export function defaultMigrationsDir(): string {
  return path.resolve(process.cwd(), "prisma", "migrations");
}

/** sha256 hex of the file, with CRLF normalised so a Windows checkout does not look "edited". */
export function migrationChecksum(sql: string): string {
  return createHash("sha256").update(sql.replace(/\r\n/g, "\n")).digest("hex");
}

export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  // Plain code-unit order: names start with a UTC timestamp, and locale collation must not matter.
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const migrations: MigrationFile[] = [];
  for (const name of names) {
    const file = path.join(dir, name, "migration.sql");
    if (!existsSync(file)) throw new Error(`Migration folder "${name}" has no migration.sql (${file}).`);
    const sql = await readFile(file, "utf8");
    migrations.push({ name, sql, checksum: migrationChecksum(sql) });
  }
  return migrations;
}

export async function applyMigrations(
  connectionString: string,
  opts: MigrateOptions = {},
): Promise<{ applied: string[] }> {
  const dir = opts.migrationsDir ?? defaultMigrationsDir();
  const log = opts.log ?? (() => {});
  const migrations = await readMigrations(dir);

  const client = new Client({ connectionString });
  // Without a listener, a server restart mid-run would crash the whole process instead of failing the query.
  client.on("error", (err) => log(`migrate: database connection error: ${err.message}`));
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      return { applied: await applyPending(client, migrations, dir, log) };
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
}

async function applyPending(
  client: Client,
  migrations: MigrationFile[],
  dir: string,
  log: (msg: string) => void,
): Promise<string[]> {
  await client.query(`CREATE TABLE IF NOT EXISTS "_tf_migrations" (
    name TEXT PRIMARY KEY,
    checksum TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`);
  const { rows } = await client.query<{ name: string; checksum: string }>(
    `SELECT name, checksum FROM "_tf_migrations" ORDER BY name`,
  );
  const onDisk = new Map(migrations.map((m) => [m.name, m]));

  // Refuse before touching anything: history on disk must match what the database went through.
  for (const row of rows) {
    const file = onDisk.get(row.name);
    if (!file) {
      throw new Error(
        `Migration "${row.name}" was applied to this database but its folder is missing from ${dir}. ` +
          `Restore it (applied migrations must never be deleted).`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new Error(
        `Migration "${row.name}" was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… ` +
          `in the database, ${file.checksum.slice(0, 12)}… on disk). Revert the edit and add a new migration instead.`,
      );
    }
  }

  const done = new Set(rows.map((r) => r.name));
  const applied: string[] = [];
  for (const m of migrations) {
    if (done.has(m.name)) continue;
    try {
      await client.query("BEGIN");
      // Re-check inside the transaction: where the advisory lock does not exclude (PGlite, whose
      // connections share one backend), the open transaction does, and another runner may have won.
      const again = await client.query(`SELECT 1 FROM "_tf_migrations" WHERE name = $1`, [m.name]);
      if (again.rowCount) {
        await client.query("COMMIT");
        continue;
      }
      log(`migrate: applying ${m.name}`);
      await client.query(m.sql);
      await client.query(`INSERT INTO "_tf_migrations" (name, checksum) VALUES ($1, $2)`, [m.name, m.checksum]);
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`Migration "${m.name}" failed and was rolled back: ${message}`, { cause: err });
    }
    applied.push(m.name);
  }
  log(applied.length ? `migrate: applied ${applied.length} migration(s)` : "migrate: database is up to date");
  return applied;
}

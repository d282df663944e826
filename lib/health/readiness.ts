import { defaultMigrationsDir, readMigrations } from "@/lib/db/migrate";
import { getPool, timedQuery } from "@/lib/db/pool";
import { logger } from "@/lib/log";
import { compareMigrations, type MigrationRecord, type MigrationStatus } from "./migrations";
import { probeRedis, type RedisState } from "./redis-state";

// GET /readyz: may a load balancer send this instance traffic? Ready when Postgres answers within
// a short bound and its migrations are the ones this build ships; Redis is reported, never
// required. The answer names no host, user or error text (it is unauthenticated): only states.

/** The most /readyz waits for Postgres (a pool connection, then the query) before calling it down. */
export const READY_DB_TIMEOUT_MS = 2_000;

export interface Readiness {
  ready: boolean;
  database: { status: "ok"; latencyMs: number } | { status: "unreachable" | "timeout" };
  migrations: ({ status: "current" | "pending" | "changed" } & MigrationStatus) | { status: "unknown" | "unreadable" };
  redis: { status: RedisState };
}

// This build's migrations do not change while it runs: read them once (again after a failure).
let onDisk: Promise<MigrationRecord[]> | undefined;
function migrationsOnDisk(): Promise<MigrationRecord[]> {
  onDisk ??= readMigrations(defaultMigrationsDir()).catch((err: unknown) => {
    onDisk = undefined;
    throw err;
  });
  return onDisk;
}

export async function checkReadiness(): Promise<Readiness> {
  const [database, disk, redis] = await Promise.all([
    appliedMigrations(),
    migrationsOnDisk().then(
      (records) => records,
      (err: Error) => {
        logger("health").error({ err }, "cannot read the migrations of this build");
        return null;
      },
    ),
    probeRedis(),
  ]);
  let migrations: Readiness["migrations"];
  if (!("applied" in database)) migrations = { status: "unknown" };
  else if (!disk) migrations = { status: "unreadable" };
  else {
    const status = compareMigrations(disk, database.applied);
    migrations = { status: status.current ? "current" : status.pending.length ? "pending" : "changed", ...status };
  }
  return {
    ready: database.status === "ok" && migrations.status === "current",
    database: database.status === "ok" ? { status: "ok", latencyMs: database.latencyMs } : { status: database.status },
    migrations,
    redis: { status: redis },
  };
}

type DatabaseAnswer =
  { status: "ok"; latencyMs: number; applied: MigrationRecord[] } | { status: "unreachable" | "timeout" };

/** One query proves the database answers and tells which migrations it has. */
async function appliedMigrations(): Promise<DatabaseAnswer> {
  const startedAt = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), READY_DB_TIMEOUT_MS);
  });
  const query = Promise.resolve()
    .then(() =>
      getPool().query<MigrationRecord>(
        timedQuery(`SELECT name, checksum FROM "_tf_migrations" ORDER BY name`, [], READY_DB_TIMEOUT_MS),
      ),
    )
    .then(
      (result) => result.rows,
      (err: { code?: string; message?: string }) => {
        // The database answers but was never migrated: reachable, with nothing applied.
        if (err.code === "42P01") return [] as MigrationRecord[];
        return /timeout/i.test(err.message ?? "") ? ("timeout" as const) : ("unreachable" as const);
      },
    );
  try {
    const answer = await Promise.race([query, timeout]);
    if (typeof answer === "string") return { status: answer };
    return { status: "ok", latencyMs: Math.round(performance.now() - startedAt), applied: answer };
  } finally {
    clearTimeout(timer);
  }
}

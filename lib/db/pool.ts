import pg from "pg";

// The raw pg pool of the /v1 hot path and the money functions (one statement per step). Prisma
// (dashboards, admin) has its own pool in client.ts because it expects pg's default BIGINT parsing.
const globalForPool = globalThis as unknown as { tokenflowPool?: pg.Pool };

// BIGINT (int8) columns are money: parse them as bigint, in this pool only.
export const bigintTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.INT8
      ? (value: string) => BigInt(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

// DateTime columns are TIMESTAMP(3) holding UTC (as Prisma writes them): make the session agree.
export const SESSION_OPTIONS = "-c TimeZone=UTC";

// The hot path must never wait forever: not for a pool connection, a row lock or a statement. A
// settlement that fails this way leaves its hold to the sweeper (the request is then free), which
// beats a stream that never ends.
const HOT_PATH_OPTIONS = `${SESSION_OPTIONS} -c statement_timeout=30000 -c lock_timeout=10000`;

export function databaseUrl(): string {
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) throw new Error("DATABASE_URL is not set (start TokenFlow with `npm start`)");
  return connectionString;
}

/** Closes the pool if it was opened (shutdown). */
export async function closePool(): Promise<void> {
  const pool = globalForPool.tokenflowPool;
  globalForPool.tokenflowPool = undefined;
  await pool?.end();
}

export function getPool(): pg.Pool {
  if (!globalForPool.tokenflowPool) {
    const pool = new pg.Pool({
      connectionString: databaseUrl(),
      max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 30_000,
      types: bigintTypes,
      options: HOT_PATH_OPTIONS,
    });
    // Without a listener an idle client's error (e.g. Postgres restart) crashes the process.
    pool.on("error", (err) => console.error("[db] idle client error:", err.message));
    globalForPool.tokenflowPool = pool;
  }
  return globalForPool.tokenflowPool;
}

import pg from "pg";
import { logger } from "@/lib/log";

const log = logger("db");

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

/**
 * How long the database may take before we call it unreachable: to open a connection, and to
 * answer a key lookup or an admission. Past them /v1 answers 503 (see hot-path.ts) instead of
 * hanging when Postgres refuses connections or goes silent. Settlement has its own, longer bound
 * and a durable retry. Waiting for a free connection is not bounded by these (a burst queues).
 */
export const DB_CONNECT_TIMEOUT_MS = Number(process.env.TOKENFLOW_DB_CONNECT_TIMEOUT_MS ?? 1_500);
export const DB_QUERY_TIMEOUT_MS = Number(process.env.TOKENFLOW_DB_QUERY_TIMEOUT_MS ?? 1_500);
export const DB_SETTLE_TIMEOUT_MS = 10_000;
const POOL_WAIT_TIMEOUT_MS = 30_000;

/** pg-pool uses one timeout for waiting in its queue and for connecting; this client connects faster. */
class QuickConnectClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super({
      ...(typeof config === "string" ? { connectionString: config } : config),
      connectionTimeoutMillis: DB_CONNECT_TIMEOUT_MS,
    });
  }
}

/** A query that gives up (client side) after `timeoutMs`: node-postgres's per-query `query_timeout`. */
export function timedQuery(text: string, values: unknown[], timeoutMs: number): pg.QueryConfig {
  return Object.assign({ text, values }, { query_timeout: timeoutMs });
}

export function databaseUrl(): string {
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) throw new Error("DATABASE_URL is not set (start TokenFlow with `npm start`)");
  return connectionString;
}

/**
 * Runs `fn` on one pooled connection and gives it back. A checked-out client has none of the pool's
 * 'error' listeners, so a backend terminated meanwhile (an operator, a failover, a restart) would
 * emit an 'error' nobody hears, which crashes the process: listen while it is out. The statement
 * under way fails on its own, and a connection that broke (or that `fn` calls `discard` for: its
 * session state is not to be trusted) is destroyed rather than returned to the pool.
 */
export async function withPooledClient<T>(
  fn: (client: pg.PoolClient, discard: (reason: Error) => void) => Promise<T>,
  pool: pg.Pool = getPool(),
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const discard = (err: Error) => (broken ??= err);
  client.on("error", discard);
  try {
    return await fn(client, discard);
  } finally {
    client.off("error", discard);
    client.release(broken);
  }
}

/**
 * Runs `fn` in a transaction on one pooled connection (withPooledClient): COMMIT when it resolves,
 * ROLLBACK when it throws. `pool` defaults to the process's pool.
 */
export function withTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>, pool: pg.Pool = getPool()): Promise<T> {
  return withPooledClient(async (client, discard) => {
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(discard);
      throw err;
    }
  }, pool);
}

/** Closes the pool if it was opened (shutdown). */
export async function closePool(): Promise<void> {
  const pool = globalForPool.tokenflowPool;
  globalForPool.tokenflowPool = undefined;
  await pool?.end();
}

/** The pool's connections (total, idle) and the calls waiting for one; null before it was opened. */
export function poolStats(): { total: number; idle: number; waiting: number } | null {
  const pool = globalForPool.tokenflowPool;
  return pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } : null;
}

export function getPool(): pg.Pool {
  if (!globalForPool.tokenflowPool) {
    const pool = new pg.Pool({
      connectionString: databaseUrl(),
      max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: POOL_WAIT_TIMEOUT_MS,
      Client: QuickConnectClient,
      types: bigintTypes,
      options: HOT_PATH_OPTIONS,
    });
    // Without a listener an idle client's error (e.g. Postgres restart) crashes the process.
    pool.on("error", (err) => log.error({ err }, "idle client error"));
    globalForPool.tokenflowPool = pool;
  }
  return globalForPool.tokenflowPool;
}

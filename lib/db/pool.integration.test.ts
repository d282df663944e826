// withTransaction against real Postgres: a backend terminated while its client is checked out fails
// the transaction, never the process (an 'error' event nobody listens for is an uncaught exception).
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFreshDatabase } from "@/test/database";
import { closePool, getPool, withTransaction } from "./pool";

let database: Awaited<ReturnType<typeof createFreshDatabase>>;
let admin: pg.Pool;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  database = await createFreshDatabase({ migrate: false });
  process.env.DATABASE_URL = database.url;
  admin = new pg.Pool({ connectionString: database.url, max: 2 });
  admin.on("error", () => undefined);
  await admin.query(`CREATE TABLE t (id INT PRIMARY KEY)`);
});

afterAll(async () => {
  await closePool();
  await admin?.end();
  await database?.drop();
});

beforeEach(() => {
  uncaught.length = 0;
  process.on("uncaughtException", onUncaught);
});

afterEach(() => {
  process.off("uncaughtException", onUncaught);
});

const terminate = (pid: number) => admin.query("SELECT pg_terminate_backend($1)", [pid]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function backendPid(client: pg.PoolClient): Promise<number> {
  return (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
}

describe("withTransaction", () => {
  it("commits what resolves and rolls back what throws", async () => {
    await withTransaction((c) => c.query("INSERT INTO t VALUES (1)"));
    await expect(
      withTransaction(async (c) => {
        await c.query("INSERT INTO t VALUES (2)");
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    expect((await admin.query("SELECT id FROM t ORDER BY id")).rows).toEqual([{ id: 1 }]);
  });

  it("survives its backend being terminated between two statements", async () => {
    const attempt = withTransaction(async (c) => {
      await c.query("INSERT INTO t VALUES (3)");
      await terminate(await backendPid(c));
      await sleep(200); // the termination notice reaches the idle client: an 'error' event
      await c.query("INSERT INTO t VALUES (4)");
    });
    await expect(attempt).rejects.toThrow();
    expect(uncaught).toEqual([]);
    expect((await admin.query("SELECT id FROM t WHERE id IN (3, 4)")).rows).toEqual([]);
    expect((await getPool().query("SELECT 1 AS ok")).rows).toEqual([{ ok: 1 }]); // the pool goes on
  });

  it("survives its backend being terminated mid-statement, and drops that connection", async () => {
    const attempt = withTransaction(async (c) => {
      const pid = await backendPid(c);
      setTimeout(() => void terminate(pid), 200);
      await c.query("SELECT pg_sleep(5)");
    });
    await expect(attempt).rejects.toThrow(/terminat/i);
    await sleep(200);
    expect(uncaught).toEqual([]);
    const { rows } = await admin.query(
      `SELECT count(*)::INT AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(5)%' AND pid <> pg_backend_pid()`,
    );
    expect(rows[0].n).toBe(0);
    expect((await getPool().query("SELECT 2 AS ok")).rows).toEqual([{ ok: 2 }]);
  });
});

// Fresh, isolated databases for integration and e2e tests.
//
// Real Postgres: each call CREATEs a database `tf_test_<run>_<random>` on the server the run uses
// (see test/global-setup.ts), migrates (and optionally seeds) it, and drop() removes it.
// PGlite: one PGlite instance holds exactly one usable database (every connection lands in the
// same backend, whatever database name it asks for), so each call instead starts a new in-memory
// PGlite with its own socket server *in the calling process* (~2 s, ~200 MB) and drop() stops it.
// Either way the returned URL is an ordinary postgres:// URL that child processes can use too,
// as long as the calling process lives.
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { Client } from "pg";
import { applyMigrations } from "../lib/db/migrate";
import { seedDatabase, type SeedResult } from "../lib/db/seed";
import type {} from "./global-setup"; // the ProvidedContext keys used by inject()

export interface FreshDatabaseOptions {
  migrate?: boolean; // default true
  seed?: boolean; // default false; needs migrate
  /** Prefix of the database name, so a run can clean up what its tests left behind. */
  namePrefix?: string;
}

export interface FreshDatabase {
  url: string;
  name: string;
  /** The seed's result (admin email, password and quick-start key) when seed was asked for. */
  seeded?: SeedResult;
  drop(): Promise<void>;
}

/** Inside vitest: a fresh database on the server chosen by test/global-setup.ts. */
export async function createFreshDatabase(opts: FreshDatabaseOptions = {}): Promise<FreshDatabase> {
  // Imported lazily so this module also loads outside vitest (the e2e runner uses createFreshDatabaseAt).
  const { inject } = await import("vitest");
  return createFreshDatabaseAt(inject("pgAdminUrl"), { namePrefix: `tf_test_${inject("pgRunId")}_`, ...opts });
}

export async function createFreshDatabaseAt(adminUrl: string, opts: FreshDatabaseOptions = {}): Promise<FreshDatabase> {
  assertLocalDatabaseUrl(adminUrl, "the admin database URL");
  const name = `${opts.namePrefix ?? "tf_test_"}${randomBytes(4).toString("hex")}`;
  const created = (await isPGlite(adminUrl)) ? await startPGlite(name) : await createDatabase(adminUrl, name);
  try {
    if (opts.migrate ?? true) await applyMigrations(created.url);
    const seeded = opts.seed ? await seedDatabase(created.url) : undefined;
    return { ...created, ...(seeded ? { seeded } : {}) };
  } catch (err) {
    await created.drop().catch(() => {});
    throw err;
  }
}

async function createDatabase(adminUrl: string, name: string): Promise<FreshDatabase> {
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await dropDatabase(adminUrl, name);
    },
  };
}

/** Terminates the database's connections (a pool left open must not block cleanup) and drops it. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, async (c) => {
    await c.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [name],
    );
    await c.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}"`);
  });
}

async function startPGlite(name: string): Promise<FreshDatabase> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const db = await PGlite.create(); // in memory: nothing to clean up on disk
  // maxConnections > 1: the default of 1 resets a second connection (a pool, the app under test).
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 32 });
  await server.start();
  let stopped = false;
  return {
    url: `postgresql://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    name,
    async drop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
    },
  };
}

/** PGlite answers `version()` with "PostgreSQL 18.x (PGlite 0.5.x) on wasm32-unknown-emscripten…". */
export async function isPGlite(url: string): Promise<boolean> {
  const { rows } = await withClient(url, (c) => c.query<{ version: string }>("SELECT version() AS version"));
  return rows[0].version.includes("PGlite");
}

export async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on("error", () => {}); // a server going away fails the pending query instead of the process
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Tests create and drop databases: refuse anything that is not on this machine, so a DATABASE_URL
 * pointing at staging or production can never be touched by `npm test`.
 */
export function assertLocalDatabaseUrl(url: string, source: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${source} is not a postgres:// URL.`);
  }
  // pg lets ?host= override the URL's host (used for unix sockets: ?host=/var/run/postgresql).
  const host = decodeURIComponent(parsed.searchParams.get("host") ?? parsed.hostname);
  if (!isLocalHost(host)) {
    throw new Error(
      `Refusing to use ${source}: host "${host}" is not local. Tests create and drop databases, so they only ` +
        "run against localhost, 127.0.0.0/8, ::1 or a unix socket.",
    );
  }
}

function isLocalHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "" || h.startsWith("/") || h === "localhost" || h === "::1") return true;
  return isIP(h) === 4 && h.startsWith("127.");
}

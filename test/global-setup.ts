// Chooses the ONE Postgres server an integration run uses, and hands its admin URL to the tests
// (createFreshDatabase in test/database.ts makes an isolated database per test file on it):
//   1. TEST_DATABASE_URL, else DATABASE_URL (must be local: tests create and drop databases);
//   2. else the local Postgres on 127.0.0.1:5432 (user postgres), if it accepts a connection;
//   3. else an embedded PGlite served over a socket, started here and stopped on teardown.
// TF_TEST_DB=pglite skips 1-2 (to check that the suite passes on the embedded database too).
// Note PGlite serialises all connections, so tests proving concurrency need real Postgres.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { assertLocalDatabaseUrl, withClient } from "./database";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string; // a server and database where CREATE DATABASE works (or PGlite)
    pgRunId: string; // names of this run's databases start with tf_test_<pgRunId>_
  }
}

const LOCAL_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = randomBytes(3).toString("hex");
  const server = await resolveServer();
  console.log(`[test-db] ${server.description}`);
  project.provide("pgAdminUrl", server.url);
  project.provide("pgRunId", runId);
  return async () => {
    await server.cleanup(runId).catch((err: Error) => console.warn(`[test-db] cleanup failed: ${err.message}`));
  };
}

export interface ResolvedServer {
  url: string;
  description: string;
  cleanup(runId: string): Promise<void>;
}

export async function resolveServer(): Promise<ResolvedServer> {
  const forcePGlite = process.env.TF_TEST_DB === "pglite";
  const configured = forcePGlite ? undefined : configuredUrl();
  if (configured) {
    assertLocalDatabaseUrl(configured.url, configured.source);
    return postgres(configured.url, `using ${configured.source} (${redact(configured.url)})`);
  }
  if (!forcePGlite) {
    try {
      await withClient(LOCAL_URL, (c) => c.query("SELECT 1"));
      return postgres(LOCAL_URL, `using local Postgres at ${LOCAL_URL}`);
    } catch (err) {
      console.log(`[test-db] no local Postgres on 127.0.0.1:5432 (${(err as Error).message}); starting PGlite`);
    }
  }
  return startPGliteServer();
}

function configuredUrl(): { url: string; source: string } | undefined {
  if (process.env.TEST_DATABASE_URL) return { url: process.env.TEST_DATABASE_URL, source: "TEST_DATABASE_URL" };
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, source: "DATABASE_URL" };
  return undefined;
}

/** On a real server, teardown drops whatever this run's tests forgot to drop (crashed test, no afterAll). */
function postgres(url: string, description: string): ResolvedServer {
  return {
    url,
    description,
    async cleanup(runId) {
      await withClient(url, async (c) => {
        const { rows } = await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
          `tf\\_test\\_${runId}\\_%`,
        ]);
        for (const { datname } of rows) {
          await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [datname]);
          await c.query(`DROP DATABASE IF EXISTS "${datname}"`);
        }
        if (rows.length) console.log(`[test-db] dropped ${rows.length} database(s) left behind by tests`);
      });
    },
  };
}

async function startPGliteServer(): Promise<ResolvedServer> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const dataDir = mkdtempSync(path.join(tmpdir(), "tf-test-pglite-"));
  const db = await PGlite.create({ dataDir });
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 32 });
  await server.start();
  const url = `postgresql://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  return {
    url,
    description: `using embedded PGlite at ${url} (each fresh database is its own in-memory PGlite)`,
    async cleanup() {
      await server.stop();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<unparseable URL>";
  }
}

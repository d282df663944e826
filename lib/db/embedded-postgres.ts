import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

// The zero-config database: PGlite (Postgres compiled to WASM) served over the Postgres wire
// protocol, so the app talks to it with the same `pg` driver as to a real server.

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(opts: { dataDir: string; port: number }): Promise<EmbeddedPostgres> {
  mkdirSync(opts.dataDir, { recursive: true });
  // PGlite has no directory lock of its own; two processes on one data dir would corrupt it.
  const releaseLock = acquireLock(path.join(opts.dataDir, "..", "pglite.lock"));
  try {
    const db = await PGlite.create({ dataDir: opts.dataDir });
    // maxConnections > 1: the pool opens several connections; PGlite queues their queries.
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: opts.port, maxConnections: 64 });
    await server.start();
    return {
      url: `postgresql://postgres:postgres@127.0.0.1:${opts.port}/postgres?sslmode=disable`,
      async stop() {
        await server.stop();
        await db.close();
        releaseLock();
      },
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

function acquireLock(lockPath: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number(readFileSync(lockPath, "utf8"));
      if (isAlive(holder)) {
        throw new Error(
          `The embedded database in ${path.dirname(lockPath)} is in use by process ${holder}. ` +
            "Stop that TokenFlow first, or set DATABASE_URL to use another Postgres.",
        );
      }
      rmSync(lockPath, { force: true }); // stale lock from a crashed run
    }
  }
  throw new Error(`Could not take the lock ${lockPath}`);
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

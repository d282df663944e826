// Starts the real production server (scripts/server.ts: our HTTP server with /v1 and Next.js) for
// integration tests, on a free port, against a given database. Requires a build (.next/BUILD_ID):
// `npm test` builds first.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";

// Tests run from the repository root (npm test, vitest, playwright all start there).
const root = process.cwd();

export interface AppServer {
  url: string;
  port: number;
  adminKey: string;
  encryptionKey: string;
  /** TOKENFLOW_DATA_DIR (settlement journal): a temporary folder unless the caller passed one. */
  dataDir: string;
  process: ChildProcess;
  logs: () => string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startAppServer(opts: { databaseUrl: string; env?: Record<string, string> }): Promise<AppServer> {
  if (!existsSync(path.join(root, ".next", "BUILD_ID"))) {
    throw new Error("No production build: run `npx next build` (npm test does it for you).");
  }
  const port = await freePort();
  // Instances of one deployment share these; a second instance passes the first one's.
  const adminKey = opts.env?.TOKENFLOW_ADMIN_KEY ?? `tf-admin-${randomBytes(16).toString("hex")}`;
  const encryptionKey = opts.env?.TOKENFLOW_ENCRYPTION_KEY ?? randomBytes(32).toString("base64");
  // Each server its own data folder, so one test's journaled settlements never replay in another's
  // server; a restart test passes the same folder to the next server (and removes it itself).
  const ownsDataDir = !opts.env?.TOKENFLOW_DATA_DIR;
  const dataDir = opts.env?.TOKENFLOW_DATA_DIR ?? mkdtempSync(path.join(tmpdir(), "tf-app-data-"));
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts/server.ts")], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: opts.databaseUrl,
      TOKENFLOW_ENCRYPTION_KEY: encryptionKey,
      TOKENFLOW_ADMIN_KEY: adminKey,
      TOKENFLOW_ALLOWED_UPSTREAMS: "127.0.0.1,localhost",
      NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
      NEXTAUTH_URL: `http://127.0.0.1:${port}`,
      TOKENFLOW_CACHE_TTL_MS: "0",
      TOKENFLOW_SHUTDOWN_TIMEOUT_MS: "2000",
      TOKENFLOW_DATA_DIR: dataDir,
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the server did not come up within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    url,
    port,
    adminKey,
    encryptionKey,
    dataDir,
    process: child,
    logs: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// `npm start` / `npm run dev`: one command from a fresh checkout to a running TokenFlow.
// Without DATABASE_URL it starts the embedded Postgres under .data/, then migrates, seeds,
// builds when no build exists, and runs the server (scripts/server.ts) until Ctrl-C or SIGTERM.
// Run with `node --import tsx` (package.json does): the tsx CLI would SIGKILL a child that takes
// more than 30 ms to acknowledge a signal, which a draining server does not.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../lib/db/embedded-postgres";
import { applyMigrations } from "../lib/db/migrate";
import { seedDatabase } from "../lib/db/seed";
import { announceAdmin } from "./announce-admin";

const root = path.resolve(import.meta.dirname, "..");
const dataDir = path.resolve(process.env.TOKENFLOW_DATA_DIR ?? path.join(root, ".data"));
const mode = process.argv[2] === "dev" ? "dev" : "start";
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
const serverScript = path.join(root, "scripts", "server.ts");

function log(message: string) {
  console.log(`[tokenflow] ${message}`);
}

/** A secret kept in .data/ for the zero-config default, created on first run. */
function localSecret(file: string, make: () => string): string {
  const full = path.join(dataDir, file);
  if (existsSync(full)) return readFileSync(full, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const value = make();
  writeFileSync(full, value + "\n", { mode: 0o600 });
  return value;
}

function runNext(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [nextBin, ...args], { cwd: root, env, stdio: "inherit" });
}

/**
 * The server writes JSON lines (lib/log.ts). In development they are piped through pino-pretty, a
 * dev dependency: where it is not installed (a production install) they pass through as JSON.
 */
async function runServer(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const args = ["--import", "tsx", serverScript, ...(mode === "dev" ? ["--dev"] : [])];
  const pretty = mode === "dev" && env.LOG_FORMAT !== "json" ? await prettyPrinter() : null;
  const child = spawn(process.execPath, args, {
    cwd: root,
    env,
    stdio: ["inherit", pretty ? "pipe" : "inherit", "inherit"],
  });
  if (pretty) child.stdout!.pipe(pretty);
  return child;
}

async function prettyPrinter(): Promise<NodeJS.WritableStream | null> {
  try {
    const { default: pinoPretty } = await import("pino-pretty");
    return pinoPretty({
      colorize: process.stdout.isTTY,
      ignore: "pid,component",
      messageFormat: "{if component}[{component}] {end}{msg}",
      translateTime: "SYS:HH:MM:ss.l",
    });
  } catch {
    return null;
  }
}

function waitExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

async function main() {
  // Every pg connection (migrations, seed, the app) works in UTC, matching Prisma's DateTime storage.
  process.env.PGOPTIONS ??= "-c TimeZone=UTC";
  if (existsSync(path.join(root, ".env"))) process.loadEnvFile(path.join(root, ".env"));
  const env: NodeJS.ProcessEnv = { ...process.env };
  const port = Number(env.PORT ?? 3000);
  let embedded: EmbeddedPostgres | undefined;

  if (!env.DATABASE_URL) {
    const dbPort = Number(env.TOKENFLOW_EMBEDDED_DB_PORT ?? port + 2432);
    embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, "pglite"), port: dbPort });
    env.DATABASE_URL = embedded.url;
    // PGlite runs one statement at a time anyway, and its socket server queues protocol messages, not
    // whole extended-protocol exchanges: two connections' Parse/Bind/Execute interleave and one of
    // them fails ("unnamed prepared statement does not exist"; seen with 50 streams opened at once,
    // test/shutdown.integration.test.ts). So the server's pool keeps a single connection.
    env.DATABASE_POOL_SIZE ??= "1";
    log(
      `embedded Postgres (PGlite) in ${path.relative(root, path.join(dataDir, "pglite")) || "."}, listening on 127.0.0.1:${dbPort}`,
    );
    env.TOKENFLOW_ENCRYPTION_KEY ??= localSecret("encryption.key", () => randomBytes(32).toString("base64"));
    env.NEXTAUTH_SECRET ??= localSecret("auth.secret", () => randomBytes(32).toString("base64url"));
  } else {
    log("using the Postgres at DATABASE_URL");
    if (!env.TOKENFLOW_ENCRYPTION_KEY && mode === "start") {
      throw new Error("TOKENFLOW_ENCRYPTION_KEY is required with DATABASE_URL (32 bytes, base64; see .env.example)");
    }
    env.TOKENFLOW_ENCRYPTION_KEY ??= localSecret("encryption.key", () => randomBytes(32).toString("base64"));
    env.NEXTAUTH_SECRET ??= localSecret("auth.secret", () => randomBytes(32).toString("base64url"));
  }
  env.NEXTAUTH_URL ??= `http://localhost:${port}`;

  const stopDatabase = async () => {
    await embedded?.stop().catch(() => undefined);
    embedded = undefined;
  };

  try {
    const { applied } = await applyMigrations(env.DATABASE_URL, {
      migrationsDir: path.join(root, "prisma", "migrations"),
    });
    log(applied.length ? `applied migrations: ${applied.join(", ")}` : "database schema is up to date");
    const seeded = await seedDatabase(env.DATABASE_URL);
    if (seeded.insertedModels) log(`seeded ${seeded.insertedModels} models and prices`);

    if (mode === "start" && !existsSync(path.join(root, ".next", "BUILD_ID"))) {
      log("no production build yet: running `next build` (once)…");
      const code = await waitExit(runNext(["build"], { ...env, NODE_ENV: "production" }));
      if (code !== 0) throw new Error(`next build failed with exit code ${code}`);
    }

    env.PORT = String(port);
    Object.assign(env, { NODE_ENV: mode === "dev" ? "development" : "production" });
    const child = await runServer(env);
    const base = `http://localhost:${port}`;
    log(`TokenFlow is starting on ${base}`);
    if (seeded.createdAdmin) announceAdmin(seeded.createdAdmin, base, dataDir);

    // The server drains on SIGTERM (it may get one from us and one from a signal to the whole process
    // group); the embedded database must outlive it, so it stops only once the server has exited.
    let stopping = false;
    const graceMs = Number(env.TOKENFLOW_SHUTDOWN_TIMEOUT_MS ?? 30_000);
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log(`stopping (${signal})…`);
      child.kill("SIGTERM");
      setTimeout(() => {
        log("the server did not stop in time: killing it");
        child.kill("SIGKILL");
      }, graceMs + 15_000).unref();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    const code = await waitExit(child);
    await stopDatabase();
    process.exit(stopping ? 0 : code);
  } catch (err) {
    await stopDatabase();
    throw err;
  }
}

main().catch((err: Error) => {
  console.error(`[tokenflow] ${err.message}`);
  process.exit(1);
});

// `npm start` as a service manager runs it, for tests: detached in its own process group (npm, the
// launcher, the server, maybe a shell), on free ports and a temporary data folder. With DATABASE_URL
// it uses that Postgres; without it the launcher's embedded PGlite under the data folder.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./app-server";

export interface NpmStart {
  url: string;
  adminKey: string;
  /** The process group: npm's pid, as it was started detached. */
  pgid: number;
  dataDir: string;
  database: "DATABASE_URL" | "embedded";
  logs(): string;
  /** Live processes of the group now (zombies excluded). */
  groupPids(): number[];
  /** SIGKILLs whatever of the group is left and removes the data folder. */
  kill(): Promise<void>;
}

export async function startNpmStart(env: Record<string, string>): Promise<NpmStart> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "tokenflow-npm-start-"));
  const adminKey = `tf-admin-${randomBytes(16).toString("hex")}`;
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    TOKENFLOW_DATA_DIR: dataDir,
    TOKENFLOW_EMBEDDED_DB_PORT: String(await freePort()),
    TOKENFLOW_ADMIN_KEY: adminKey,
    TOKENFLOW_ALLOWED_UPSTREAMS: "127.0.0.1,localhost",
    TOKENFLOW_CACHE_TTL_MS: "0",
    ...(env.DATABASE_URL
      ? {
          TOKENFLOW_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
          NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
          NEXTAUTH_URL: `http://127.0.0.1:${port}`,
        }
      : {}),
    ...env,
  };
  if (!env.DATABASE_URL) delete childEnv.DATABASE_URL; // the zero-config default: embedded PGlite
  const child = spawn("npm", ["start"], {
    cwd: process.cwd(),
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const pgid = child.pid!;
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));

  const handle: NpmStart = {
    url: `http://127.0.0.1:${port}`,
    adminKey,
    pgid,
    dataDir,
    database: env.DATABASE_URL ? "DATABASE_URL" : "embedded",
    logs: () => output,
    groupPids: () => processGroup(pgid),
    async kill() {
      if (processGroup(pgid).length > 0) process.kill(-pgid, "SIGKILL");
      await waitGroupGone([pgid], 5_000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) {
      await handle.kill();
      throw new Error(`npm start exited (${child.exitCode}):\n${output}`);
    }
    try {
      if ((await fetch(`${handle.url}/api/health`)).ok) return handle;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await handle.kill();
      throw new Error(`npm start did not come up within 120 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Pids of the live (non-zombie) processes whose process group is `pgid`, from /proc. */
export function processGroup(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== "Z") pids.push(Number(entry));
  }
  return pids;
}

/** A process's command line, shortened (for logs). */
export function commandOf(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    return argv
      .map((a) => path.basename(a))
      .join(" ")
      .slice(0, 60);
  } catch {
    return "?";
  }
}

/**
 * Resolves with the time at which none of `pids` is alive any more, or null after `timeoutMs`. A
 * zombie counts as gone: it has exited and holds nothing but its pid until its parent reaps it (a
 * process whose npm parent exited is reparented to PID 1, which in a container may never reap it).
 */
export async function waitGroupGone(pids: number[], timeoutMs: number): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pids.every((pid) => !isAlive(pid))) return Date.now();
    if (Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const stat = procStat(pid);
  return stat !== null && stat.state !== "Z";
}

/** State and process group from /proc/<pid>/stat (the command name may hold spaces and parentheses). */
function procStat(pid: number): { state: string; pgrp: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], pgrp: Number(fields[2]) };
  } catch {
    return null;
  }
}

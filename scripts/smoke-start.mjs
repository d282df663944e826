// Smoke test of the one-command start: `npm start` with no DATABASE_URL must come up on the
// embedded database (fresh data dir) and serve /pricing with the seeded models.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const dataDir = mkdtempSync(path.join(os.tmpdir(), "tokenflow-smoke-"));
const port = 3900 + Math.floor(Math.random() * 90);
const env = {
  ...process.env,
  PORT: String(port),
  TOKENFLOW_DATA_DIR: dataDir,
  TOKENFLOW_EMBEDDED_DB_PORT: String(port + 1000),
};
for (const name of ["DATABASE_URL", "TOKENFLOW_ENCRYPTION_KEY", "NEXTAUTH_SECRET", "NEXTAUTH_URL"]) delete env[name];

const child = spawn("npm", ["start"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
let output = "";
child.stdout.on("data", (d) => (output += d));
child.stderr.on("data", (d) => (output += d));

async function main() {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/pricing`);
      if (res.status === 200) {
        const html = await res.text();
        if (!html.includes("deepseek-v3")) throw new Error("/pricing answered 200 without the seeded models");
        checkCredentialsFile();
        return;
      }
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("/pricing")) throw err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("npm start did not serve /pricing within 180 s");
}

// Output is not a terminal here: the first admin's password and key must be in an owner-only file
// under the data folder (its path printed), never in the log.
function checkCredentialsFile() {
  const file = path.join(dataDir, "first-start-credentials.txt");
  if (!output.includes(file)) throw new Error("the launcher did not print where the admin credentials are");
  if ((statSync(file).mode & 0o077) !== 0) throw new Error(`${file} is readable by others`);
  const credentials = readFileSync(file, "utf8");
  const password = /admin login: \S+ \/ (\S+)/.exec(credentials)?.[1];
  if (!password) throw new Error(`${file} does not hold the admin login`);
  if (output.includes(password)) throw new Error("the admin password was printed to a non-terminal output");
}

let failed = false;
try {
  await main();
  console.log(`smoke: npm start came up on the embedded database and /pricing answered 200 (port ${port})`);
} catch (err) {
  failed = true;
  console.error(`smoke: FAILED: ${err.message}\n--- launcher output ---\n${output}`);
} finally {
  // Ctrl-C equivalent: the launcher must stop Next and the embedded database cleanly.
  process.kill(-child.pid, "SIGINT");
  const exited = await Promise.race([
    new Promise((r) => child.once("exit", () => r(true))),
    new Promise((r) => setTimeout(() => r(false), 15_000)),
  ]);
  if (!exited) {
    failed = true;
    console.error("smoke: FAILED: the launcher did not stop within 15 s of SIGINT");
    process.kill(-child.pid, "SIGKILL");
  }
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

// Starts a test fixture server (the fake upstream, the fake Stripe) as its own `node` process on a
// random port. The server prints one stdout line "<PREFIX>_LISTENING <port>" when ready, reads
// <PREFIX>_PORT / <PREFIX>_HOST, and with <PREFIX>_EXIT_WITH_PARENT=1 exits when our end of its
// stdin closes, so a crashed test run leaves no server behind.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

export interface FixtureProcess {
  /** Origin, e.g. http://127.0.0.1:4010. */
  url: string;
  port: number;
  /** Terminates the child (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Absolute path of a fixture's server.mjs (ESM and CJS test runners; falls back to the repo root cwd). */
export function fixtureServerPath(dirname: string | undefined, folder: string): string {
  const candidates = [
    dirname ? path.join(dirname, "server.mjs") : "",
    path.resolve(process.cwd(), `e2e/${folder}/server.mjs`),
  ];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found) throw new Error(`${folder}/server.mjs not found (tried ${candidates.filter(Boolean).join(", ")})`);
  return found;
}

export function spawnFixture(opts: {
  name: string;
  script: string;
  envPrefix: string;
  host?: string;
  port?: number;
  timeoutMs?: number;
}): Promise<FixtureProcess> {
  const host = opts.host ?? "127.0.0.1";
  const child = spawn(process.execPath, [opts.script], {
    env: {
      ...process.env,
      [`${opts.envPrefix}_PORT`]: String(opts.port ?? 0),
      [`${opts.envPrefix}_HOST`]: host,
      [`${opts.envPrefix}_EXIT_WITH_PARENT`]: "1",
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  };

  const ready = new RegExp(`^${opts.envPrefix}_LISTENING (\\d+)$`, "m");
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop();
      reject(new Error(`${opts.name} did not start: ${why}\n${stderr}`));
    };
    const timer = setTimeout(() => fail("timeout"), opts.timeoutMs ?? 10_000);
    child.stderr.on("data", (d) => (stderr += d)); // keep draining so the child never blocks
    child.once("error", (err) => fail(err.message));
    child.once("exit", (code) => fail(`exited with code ${code}`));
    child.stdout.on("data", (d) => {
      stdout += d;
      const m = ready.exec(stdout);
      if (!m || settled) return;
      settled = true;
      clearTimeout(timer);
      const port = Number(m[1]);
      resolve({ url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, port, stop });
    });
  });
}

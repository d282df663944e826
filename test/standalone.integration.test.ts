// The Docker image's start path without Docker: the packaged standalone folder (what the image's
// runtime stage holds: scripts/package-standalone.mjs over the build `npm test` already made) is
// copied to a clean directory outside the repository and started as the image starts it —
// `node start.mjs`, configured by environment variables only, against a fresh database that has no
// tables yet. It must migrate, answer, and serve and bill a chat completion for the OpenAI SDK.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI from "openai";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getRequests, spawnFakeUpstream, type FakeUpstreamHandle } from "@/e2e/fake-upstream/client";
import { usdToNanos } from "@/lib/billing/money";
import { bigintTypes } from "@/lib/db/pool";
import { freePort } from "./app-server";
import { createFreshDatabase, type FreshDatabase } from "./database";
import { AdminClient, receiptOf } from "./stack";

const repo = process.cwd();
let workDir: string;
let appDir: string;
let dataDir: string;
let database: FreshDatabase;
let db: pg.Pool;
let upstream: FakeUpstreamHandle;
let server: ChildProcess | undefined;
let output = "";
let url: string;
const adminKey = `tf-admin-${randomBytes(16).toString("hex")}`;

beforeAll(async () => {
  if (!existsSync(path.join(repo, ".next", "standalone", ".next", "BUILD_ID"))) {
    throw new Error("No standalone build: run `npx next build` (npm test does it for you).");
  }
  workDir = mkdtempSync(path.join(tmpdir(), "tf-standalone-"));
  appDir = path.join(workDir, "app");
  dataDir = path.join(workDir, "data");
  const packaged = spawnSync(process.execPath, ["scripts/package-standalone.mjs", "--out", appDir], {
    cwd: repo,
    encoding: "utf8",
  });
  if (packaged.status !== 0) throw new Error(`packaging failed:\n${packaged.stdout}\n${packaged.stderr}`);

  database = await createFreshDatabase({ migrate: false });
  db = new pg.Pool({ connectionString: database.url, max: 2, types: bigintTypes });
  db.on("error", () => undefined);
  upstream = await spawnFakeUpstream();

  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // Only what a container gets: no NODE_PATH, no npm, nothing inherited from this process.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(port),
    DATABASE_URL: database.url,
    TOKENFLOW_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    TOKENFLOW_ADMIN_KEY: adminKey,
    NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
    NEXTAUTH_URL: url,
    TOKENFLOW_DATA_DIR: dataDir,
    TOKENFLOW_ALLOWED_UPSTREAMS: "127.0.0.1,localhost",
    TOKENFLOW_CACHE_TTL_MS: "0",
    TOKENFLOW_SHUTDOWN_TIMEOUT_MS: "2000",
  };
  server = spawn(process.execPath, ["start.mjs"], { cwd: appDir, env, stdio: ["ignore", "pipe", "pipe"] });
  server.stdout!.on("data", (d) => (output += d));
  server.stderr!.on("data", (d) => (output += d));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the standalone server exited (${server.exitCode}):\n${output}`);
    const up = await fetch(`${url}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`the standalone server did not come up within 90 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server!.once("exit", r));
    server.kill("SIGTERM");
    const timer = setTimeout(() => server!.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
  await upstream?.stop();
  await db?.end();
  await database?.drop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Every symbolic link under `dir`, with where it points. */
function symlinks(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) found.push(`${full} -> ${readlinkSync(full)}`);
    else if (entry.isDirectory()) found.push(...symlinks(full));
  }
  return found;
}

describe("the standalone folder", () => {
  it("is self-contained: outside the repository, no link into it, no node_modules above it", () => {
    const real = realpathSync(appDir);
    expect(real.startsWith(realpathSync(repo) + path.sep)).toBe(false);
    expect(symlinks(appDir)).toEqual([]);
    // Node resolves bare imports through node_modules of every folder above the importing file.
    for (let dir = path.dirname(real); ; dir = path.dirname(dir)) {
      expect(existsSync(path.join(dir, "node_modules")), `${dir}/node_modules`).toBe(false);
      if (dir === path.dirname(dir)) break;
    }
    // Our server is one bundle; Next and React come from the traced node_modules beside it.
    expect(lstatSync(path.join(appDir, "start.mjs")).isFile()).toBe(true);
    expect(existsSync(path.join(appDir, "node_modules", "next", "package.json"))).toBe(true);
    expect(existsSync(path.join(appDir, "node_modules", "tsx"))).toBe(false);
    expect(existsSync(path.join(appDir, "server.js"))).toBe(false);
  });

  it("applied every migration at start", async () => {
    const onDisk = readdirSync(path.join(repo, "prisma", "migrations"), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    const { rows } = await db.query<{ name: string }>(`SELECT name FROM "_tf_migrations" ORDER BY name`);
    expect(rows.map((r) => r.name)).toEqual(onDisk);
    expect(output).toContain("applied migrations:");
    // The first-start seed ran too: the price table is there.
    const models = await db.query(`SELECT count(*)::int AS n FROM "Model"`);
    expect(models.rows[0].n).toBeGreaterThan(0);
  });

  it("answers the health checks, pages and public files", async () => {
    const live = await fetch(`${url}/healthz`);
    expect(live.status).toBe(200);
    // Ready: the database answers and the migrations the bundle carries are the ones applied.
    const ready = await fetch(`${url}/readyz`);
    const readiness = await ready.json();
    expect({ status: ready.status, body: readiness }).toMatchObject({ status: 200 });
    expect(JSON.stringify(readiness)).toContain("current");
    const health = await fetch(`${url}/api/health`);
    expect(health.status).toBe(200);
    const home = await fetch(`${url}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("<title>TokenFlow — one API for every LLM</title>");
    const robots = await fetch(`${url}/robots.txt`);
    expect(robots.status).toBe(200);
    expect(await robots.text()).toContain("Disallow: /admin");
    const og = await fetch(`${url}/og-image.png`);
    expect(og.status).toBe(200);
    expect(og.headers.get("content-type")).toBe("image/png");
  });

  it("serves and bills a chat completion for the OpenAI SDK, large bodies through the compiled worker", async () => {
    const admin = new AdminClient(url, adminKey);
    await admin.disableAllChannels();
    await admin.createChannel({
      name: "fake upstream",
      baseUrl: upstream.baseUrl,
      apiKey: "chan-standalone",
      models: ["deepseek-v3"],
      modelMapping: { "deepseek-v3": "deepseek-chat" },
    });
    const org = await admin.createOrganization("Standalone", "10");
    const client = new OpenAI({
      baseURL: `${url}/v1`,
      apiKey: (await admin.createKey(org.id)).key,
      maxRetries: 0,
      timeout: 30_000,
    });

    const { data, response } = await client.chat.completions
      .create({ model: "deepseek-v3", messages: [{ role: "user", content: "Hello from the container" }] })
      .withResponse();
    expect(data.choices[0].message.content).toContain("Hello from the container");
    const [sent] = await getRequests(upstream.url);
    expect(sent.body.model).toBe("deepseek-chat");
    expect(sent.headers.authorization).toBe("Bearer chan-standalone");

    const requestId = response.headers.get("x-request-id")!;
    const cost = usdToNanos((data.usage as unknown as { cost_usd: string }).cost_usd);
    expect(cost).toBeGreaterThan(0n);
    await receiptOf(db, requestId); // lands just after the answer
    const log = await db.query(`SELECT status, "costNanos", "inputTokens" FROM "RequestLog" WHERE id = $1`, [
      requestId,
    ]);
    expect(log.rows[0]).toMatchObject({ status: 200, costNanos: cost, inputTokens: data.usage!.prompt_tokens });
    const balance = await db.query(`SELECT "balanceNanos", "heldNanos" FROM "Organization" WHERE id = $1`, [org.id]);
    expect(balance.rows[0]).toEqual({ balanceNanos: usdToNanos("10") - cost, heldNanos: 0n });

    // Above TOKENFLOW_BODY_WORKER_THRESHOLD_BYTES (256 KiB) the body is prepared on a worker thread:
    // in the standalone folder that is body-worker.mjs, with no tsx and no sources to fall back on.
    const large = await client.chat.completions.create({
      model: "deepseek-v3",
      messages: [{ role: "user", content: `${"lorem ipsum ".repeat(30_000)}end` }],
      max_tokens: 4,
    });
    expect(large.usage!.prompt_tokens).toBeGreaterThan(50_000);
    expect(output).not.toMatch(/body workers? unavailable/);
  });
});

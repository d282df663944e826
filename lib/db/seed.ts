// First-run data: the price table, a built-in demo channel and the first admin with a starter key.
// Idempotent and never overwrites: rows that exist (including an admin's price edits) are left
// alone, so it runs on every `npm start`. Everything happens in one transaction under an advisory
// lock, so two instances starting together cannot create two admins or two demo channels.
import { randomBytes, randomUUID } from "node:crypto";
import { Client } from "pg";
import { hashPassword } from "../auth/password";
import { usdToNanos } from "../billing/money";
import { generateApiKey } from "../keys/api-key";

export interface SeedResult {
  /** Present only when this run created the admin: the only time these secrets are known. */
  createdAdmin?: { email: string; password?: string; apiKey?: string };
  insertedModels: number;
  createdDemoChannel: boolean;
  /** Why no admin was created although none exists (also printed); the launcher may show it. */
  warning?: string;
}

interface SeedModel {
  id: string;
  displayName: string;
  provider: string;
  inputPriceUsd: string; // per 1M tokens; strings, so no float ever touches a price
  outputPriceUsd: string;
  /** Prompt-cache reads and writes, per 1M tokens; absent = the input price. */
  cachedInputPriceUsd?: string;
  cacheWriteInputPriceUsd?: string;
  contextWindow: number;
  maxOutputTokens: number;
  defaultMaxOutputTokens: number;
  tools: boolean;
  vision: boolean;
  json: boolean;
  reasoning: boolean;
  qualityTier: number;
  /** Most input tokens one image can cost (the hold's bound); only vision models need a figure. */
  imageTokens?: number;
}

// Capabilities are conservative: model "auto" only routes a request needing tools/vision/JSON to a
// model flagged for it, so a wrong `true` would break requests while a wrong `false` only narrows choice.
// Quality tiers (1 basic … 5 frontier) decide which models "auto" considers good enough for a
// request's difficulty (simple 2+, moderate 3+, complex 4+, expert 5): GPT-4o and Claude Sonnet are
// the top tier; Kimi K2, Qwen-Max and DeepSeek R1 (strong reasoning, no tools) the next; DeepSeek
// V3 and GLM-4-Plus, the cheapest, tier 3 — enough for everyday requests. See docs in README.
// prettier-ignore
export const SEED_MODELS: readonly SeedModel[] = [
  { id: "deepseek-v3", displayName: "DeepSeek V3", provider: "DeepSeek", inputPriceUsd: "0.14", outputPriceUsd: "0.28",
    contextWindow: 128_000, maxOutputTokens: 8_192, defaultMaxOutputTokens: 4_096,
    tools: true, vision: false, json: true, reasoning: false, qualityTier: 3 },
  // Reasoning tokens count as output: a larger default cap so answers are not cut after the thinking.
  { id: "deepseek-r1", displayName: "DeepSeek R1", provider: "DeepSeek", inputPriceUsd: "0.55", outputPriceUsd: "2.19",
    contextWindow: 128_000, maxOutputTokens: 32_768, defaultMaxOutputTokens: 8_192,
    tools: false, vision: false, json: false, reasoning: true, qualityTier: 4 },
  { id: "kimi-k2", displayName: "Kimi K2", provider: "Moonshot", inputPriceUsd: "0.20", outputPriceUsd: "0.60",
    contextWindow: 131_072, maxOutputTokens: 16_384, defaultMaxOutputTokens: 4_096,
    tools: true, vision: false, json: true, reasoning: false, qualityTier: 4 },
  { id: "glm-4-plus", displayName: "GLM-4-Plus", provider: "Zhipu", inputPriceUsd: "0.15", outputPriceUsd: "0.50",
    contextWindow: 128_000, maxOutputTokens: 4_096, defaultMaxOutputTokens: 4_096,
    tools: true, vision: false, json: true, reasoning: false, qualityTier: 3 },
  { id: "qwen-max", displayName: "Qwen-Max", provider: "Alibaba", inputPriceUsd: "0.16", outputPriceUsd: "0.64",
    contextWindow: 32_768, maxOutputTokens: 8_192, defaultMaxOutputTokens: 4_096,
    tools: true, vision: false, json: true, reasoning: false, qualityTier: 4 },
  { id: "gpt-4o", displayName: "GPT-4o", provider: "OpenAI", inputPriceUsd: "2.50", outputPriceUsd: "10.00",
    contextWindow: 128_000, maxOutputTokens: 16_384, defaultMaxOutputTokens: 4_096,
    // Images: 85 + 170 per 512-px tile, at most 8 tiles after scaling (768 × 2048): 1,445 tokens.
    tools: true, vision: true, json: true, reasoning: false, qualityTier: 5, imageTokens: 1_445 },
  // JSON mode off: Anthropic's API has no response_format, so we do not promise it for "auto".
  // Cache reads $0.30, 5-minute cache writes $3.75 (https://docs.anthropic.com/en/docs/about-claude/pricing).
  { id: "claude-sonnet", displayName: "Claude Sonnet", provider: "Anthropic", inputPriceUsd: "3.00", outputPriceUsd: "15.00",
    cachedInputPriceUsd: "0.30", cacheWriteInputPriceUsd: "3.75",
    contextWindow: 200_000, maxOutputTokens: 64_000, defaultMaxOutputTokens: 4_096,
    // Images: ≈ width × height / 750 after scaling to ≤ 1.15 MP, i.e. ≈ 1,600 tokens; rounded up.
    tools: true, vision: true, json: false, reasoning: true, qualityTier: 5, imageTokens: 1_800 },
];

export const SIGNUP_CREDIT_NANOS = usdToNanos("5.00");
const DEMO_CHANNEL_NAME = "Demo (built-in)";
// Distinct from the migration lock: seeding runs after migrating, possibly in many instances.
const SEED_LOCK_KEY = 7_426_170_002;

export async function seedDatabase(
  connectionString: string,
  opts: { adminEmail?: string; adminPassword?: string } = {},
): Promise<SeedResult> {
  const client = new Client({ connectionString });
  client.on("error", () => {}); // a dropped connection surfaces as a failed query below
  await client.connect();
  try {
    // scrypt takes ~50 ms: hash before the transaction, and only when an admin may be needed.
    const admin = (await hasAdmin(client)) ? undefined : await prepareAdmin(opts);

    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock($1)", [SEED_LOCK_KEY]);
      const insertedModels = await seedModels(client);
      const createdDemoChannel = await seedDemoChannel(client);
      const outcome = admin && !(await hasAdmin(client)) ? await createAdmin(client, admin) : {};
      await client.query("COMMIT");
      if (outcome.warning) console.warn(`[seed] ${outcome.warning}`);
      return { ...outcome, insertedModels, createdDemoChannel };
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    }
  } finally {
    await client.end().catch(() => {});
  }
}

async function seedModels(client: Client): Promise<number> {
  let inserted = 0;
  for (const [i, m] of SEED_MODELS.entries()) {
    const res = await client.query(
      `INSERT INTO "Model" ("id", "displayName", "provider", "kind", "inputPriceNanos", "outputPriceNanos",
         "contextWindow", "maxOutputTokens", "defaultMaxOutputTokens", "supportsTools", "supportsVision",
         "supportsJson", "supportsReasoning", "qualityTier", "enabled", "sortOrder", "maxImageTokens",
         "cachedInputPriceNanos", "cacheWriteInputPriceNanos", "updatedAt")
       VALUES ($1, $2, $3, 'CHAT', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, true, $14, $15, $16, $17, CURRENT_TIMESTAMP)
       ON CONFLICT ("id") DO NOTHING`,
      [
        m.id,
        m.displayName,
        m.provider,
        usdToNanos(m.inputPriceUsd).toString(),
        usdToNanos(m.outputPriceUsd).toString(),
        m.contextWindow,
        m.maxOutputTokens,
        m.defaultMaxOutputTokens,
        m.tools,
        m.vision,
        m.json,
        m.reasoning,
        m.qualityTier,
        (i + 1) * 10,
        m.imageTokens ?? 2_000,
        m.cachedInputPriceUsd === undefined ? null : usdToNanos(m.cachedInputPriceUsd).toString(),
        m.cacheWriteInputPriceUsd === undefined ? null : usdToNanos(m.cacheWriteInputPriceUsd).toString(),
      ],
    );
    inserted += res.rowCount ?? 0;
  }
  return inserted;
}

/** A local provider that answers without network or keys, so a fresh install works at once. */
async function seedDemoChannel(client: Client): Promise<boolean> {
  const existing = await client.query(`SELECT 1 FROM "Channel" WHERE "provider" = 'demo' LIMIT 1`);
  if (existing.rowCount) return false;
  await client.query(
    `INSERT INTO "Channel" ("id", "name", "provider", "baseUrl", "models", "priority", "weight", "updatedAt")
     VALUES ($1, $2, 'demo', 'demo://local', $3, 0, 1, CURRENT_TIMESTAMP)`,
    [randomUUID(), DEMO_CHANNEL_NAME, SEED_MODELS.map((m) => m.id)],
  );
  return true;
}

async function hasAdmin(client: Client): Promise<boolean> {
  const res = await client.query(`SELECT 1 FROM "User" WHERE "role" = 'ADMIN' LIMIT 1`);
  return (res.rowCount ?? 0) > 0;
}

interface PreparedAdmin {
  email: string;
  password: string;
  passwordHash: string;
}

async function prepareAdmin(opts: { adminEmail?: string; adminPassword?: string }): Promise<PreparedAdmin> {
  const email = (opts.adminEmail ?? process.env.TOKENFLOW_ADMIN_EMAIL ?? "admin@tokenflow.local").trim().toLowerCase();
  const password = opts.adminPassword ?? process.env.TOKENFLOW_ADMIN_PASSWORD ?? randomBytes(12).toString("base64url");
  return { email, password, passwordHash: await hashPassword(password) };
}

async function createAdmin(
  client: Client,
  admin: PreparedAdmin,
): Promise<Pick<SeedResult, "createdAdmin" | "warning">> {
  // The email may already belong to an ordinary user: promoting them would overwrite existing data
  // (and hand admin rights to whoever registered it), so skip; startup must not fail over this.
  const taken = await client.query(`SELECT 1 FROM "User" WHERE lower("email") = $1`, [admin.email]);
  if (taken.rowCount) {
    return {
      warning:
        `No admin account exists, and ${admin.email} already belongs to an ordinary user, so none was created. ` +
        "Set TOKENFLOW_ADMIN_EMAIL to another address and restart.",
    };
  }
  const userId = randomUUID();
  const orgId = randomUUID();
  await client.query(
    `INSERT INTO "User" ("id", "email", "name", "passwordHash", "role", "updatedAt")
     VALUES ($1, $2, 'Admin', $3, 'ADMIN', CURRENT_TIMESTAMP)`,
    [userId, admin.email, admin.passwordHash],
  );
  await client.query(
    `INSERT INTO "Organization" ("id", "name", "personal", "updatedAt") VALUES ($1, $2, true, CURRENT_TIMESTAMP)`,
    [orgId, `${admin.email}'s workspace`],
  );
  await client.query(
    `INSERT INTO "Membership" ("id", "userId", "organizationId", "role") VALUES ($1, $2, $3, 'OWNER')`,
    [randomUUID(), userId, orgId],
  );
  // Money moves only together with its ledger entry (balance + held == sum of ledger).
  await client.query(
    `INSERT INTO "LedgerEntry" ("id", "organizationId", "kind", "amountNanos", "reference", "note", "actorUserId")
     VALUES ($1, $2, 'SIGNUP_CREDIT', $3, $2, 'Starting credit', $4)`,
    [randomUUID(), orgId, SIGNUP_CREDIT_NANOS.toString(), userId],
  );
  await client.query(
    `UPDATE "Organization" SET "balanceNanos" = "balanceNanos" + $2, "updatedAt" = CURRENT_TIMESTAMP WHERE "id" = $1`,
    [orgId, SIGNUP_CREDIT_NANOS.toString()],
  );
  const key = generateApiKey();
  await client.query(
    `INSERT INTO "ApiKey" ("id", "organizationId", "createdById", "name", "scope", "keyHash", "partialKey")
     VALUES ($1, $2, $3, 'Quick start', 'GATEWAY', $4, $5)`,
    [randomUUID(), orgId, userId, key.keyHash, key.partialKey],
  );
  return { createdAdmin: { email: admin.email, password: admin.password, apiKey: key.key } };
}

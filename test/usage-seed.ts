// Billed requests for usage tests, through the real money path: tf_admit then tf_settle for each
// (so receipts, ledger charges and daily rollups are written exactly as the gateway writes them),
// spread over models, keys and past days with a seeded pseudo-random generator.
import type pg from "pg";
import { creditOrganization } from "@/lib/billing/credits";
import { costNanos } from "@/lib/billing/money";
import { admitHold, settleHold } from "@/lib/billing/holds";
import { insertRequestLog, type RequestLogRow } from "@/lib/billing/request-log";
import { newRequestId } from "@/lib/http/request-id";
import { seededRandom } from "./seeded-random";

export interface SeedModel {
  id: string;
  inputPriceNanos: bigint;
  cachedInputPriceNanos: bigint;
  outputPriceNanos: bigint;
}

export const SEED_MODELS: SeedModel[] = [
  {
    id: "deepseek-v3",
    inputPriceNanos: 270_000_000n,
    cachedInputPriceNanos: 70_000_000n,
    outputPriceNanos: 1_100_000_000n,
  },
  {
    id: "gpt-4o",
    inputPriceNanos: 2_500_000_000n,
    cachedInputPriceNanos: 1_250_000_000n,
    outputPriceNanos: 10_000_000_000n,
  },
  {
    id: "qwen-plus",
    inputPriceNanos: 400_000_000n,
    cachedInputPriceNanos: 400_000_000n,
    outputPriceNanos: 1_200_000_000n,
  },
  {
    id: "claude-sonnet-4",
    inputPriceNanos: 3_000_000_000n,
    cachedInputPriceNanos: 300_000_000n,
    outputPriceNanos: 15_000_000_000n,
  },
];

export async function insertOrganization(db: pg.Pool, id: string, balanceNanos: bigint) {
  await db.query(
    `INSERT INTO "Organization" (id, name, "createdAt", "updatedAt") VALUES ($1, $1, now(), now()) ON CONFLICT DO NOTHING`,
    [id],
  );
  await creditOrganization(db, { organizationId: id, amountNanos: balanceNanos, kind: "ADJUSTMENT" });
}

export async function insertKey(
  db: pg.Pool,
  input: { id: string; organizationId: string; name: string; createdById?: string | null },
) {
  await db.query(
    `INSERT INTO "ApiKey" (id, "organizationId", "createdById", name, "keyHash", "partialKey", "createdAt")
     VALUES ($1, $2, $3, $4, $1, 'tf-' || left($1, 4) || '…' || right($1, 4), now())`,
    [input.id, input.organizationId, input.createdById ?? null, input.name],
  );
}

export async function insertUser(db: pg.Pool, id: string, organizationId: string, role = "MEMBER") {
  await db.query(
    `INSERT INTO "User" (id, email, "updatedAt") VALUES ($1, $1 || '@example.com', now()) ON CONFLICT DO NOTHING`,
    [id],
  );
  await db.query(
    `INSERT INTO "Membership" (id, "userId", "organizationId", role, "createdAt") VALUES ('mem_' || $1 || $2, $1, $2, $3, now())`,
    [id, organizationId, role],
  );
}

export function receipt(input: Partial<RequestLogRow> & Pick<RequestLogRow, "id" | "organizationId">): RequestLogRow {
  return {
    apiKeyId: null,
    endpoint: "chat.completions",
    modelRequested: "deepseek-v3",
    modelRouted: "deepseek-v3",
    upstreamModel: null,
    channelId: null,
    routeReason: null,
    isStream: false,
    status: 200,
    errorCode: null,
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens: 0,
    inputPriceNanos: 0n,
    cachedInputPriceNanos: 0n,
    outputPriceNanos: 0n,
    holdNanos: 0n,
    costNanos: 0n,
    usageSource: "UPSTREAM",
    attempts: 1,
    latencyMs: 500,
    ttftMs: 120,
    createdAt: new Date(),
    overageNanos: 0n,
    requestCount: 1,
    ...input,
  };
}

/**
 * `count` billed requests for the organization over the last `days` UTC days (createdAt in the
 * past, so they land in those days' rollups), on the given keys (null = no key), plus
 * `refusals` aggregated refusal receipts (no money). Returns the ids of the billed ones.
 */
export async function seedBilledRequests(
  db: pg.Pool,
  opts: {
    organizationId: string;
    keyIds: (string | null)[];
    count: number;
    days: number;
    seed?: number;
    models?: SeedModel[];
    refusals?: number;
    now?: Date;
  },
): Promise<string[]> {
  const rand = seededRandom(opts.seed ?? 1);
  const models = opts.models ?? SEED_MODELS;
  const now = (opts.now ?? new Date()).getTime();
  const ids: string[] = [];
  for (let i = 0; i < opts.count; i++) {
    const model = models[Math.floor(rand() * models.length)];
    const keyId = opts.keyIds[Math.floor(rand() * opts.keyIds.length)];
    // Several requests share a millisecond on purpose: keyset pages must break ties by id.
    const createdAt = new Date(now - Math.floor(rand() * opts.days) * 86_400_000 - (i % 3) * 1000 - (i % 2 ? 0 : 1));
    const tokens = {
      inputTokens: Math.floor(rand() * 5000),
      cachedInputTokens: rand() < 0.3 ? Math.floor(rand() * 2000) : 0,
      outputTokens: Math.floor(rand() * 1500),
    };
    const failed = rand() < 0.05;
    const estimated = !failed && rand() < 0.1;
    const cost = failed ? 0n : costNanos(tokens, model);
    // Now and then the provider bills past the hold: an overage, charged in full.
    const hold = rand() < 0.05 ? cost / 2n : cost + 1_000n;
    const id = newRequestId();
    if (
      (await admitHold(db, {
        requestId: id,
        organizationId: opts.organizationId,
        apiKeyId: keyId,
        amountNanos: hold,
      })) !== "ok"
    )
      throw new Error(`seed: admission refused for ${opts.organizationId}`);
    await settleHold(
      db,
      id,
      cost,
      receipt({
        id,
        organizationId: opts.organizationId,
        apiKeyId: keyId,
        modelRequested: rand() < 0.2 ? "auto" : model.id,
        modelRouted: model.id,
        routeReason: "auto: cheapest model that fits",
        status: failed ? 502 : 200,
        errorCode: failed ? "upstream_error" : null,
        ...(failed ? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 } : tokens),
        inputPriceNanos: model.inputPriceNanos,
        cachedInputPriceNanos: model.cachedInputPriceNanos,
        outputPriceNanos: model.outputPriceNanos,
        usageSource: failed ? "NONE" : estimated ? "ESTIMATED" : "UPSTREAM",
        latencyMs: 200 + Math.floor(rand() * 3000),
        ttftMs: 50 + Math.floor(rand() * 500),
        createdAt,
      }),
    );
    ids.push(id);
  }
  for (let i = 0; i < (opts.refusals ?? 0); i++)
    await insertRequestLog(
      db,
      receipt({
        id: newRequestId(),
        organizationId: opts.organizationId,
        apiKeyId: opts.keyIds[i % opts.keyIds.length],
        modelRouted: null,
        status: 429,
        errorCode: "rate_limit_exceeded",
        usageSource: "NONE",
        requestCount: 5 + i,
        createdAt: new Date(now - i * 60_000),
      }),
    );
  return ids;
}

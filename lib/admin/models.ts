import { z } from "zod";
import { ApiError, notFound } from "@/lib/api/errors";
import { nanosToUsd } from "@/lib/billing/money";
import type { Prisma } from "@/generated/prisma/client";
import { getPrisma } from "@/lib/db/client";
import { getPool } from "@/lib/db/pool";
import { invalidateCatalog } from "@/lib/gateway/catalog";
import { recordAudit } from "./audit";
import type { AdminActor } from "./auth";
import { isRecordNotFound, isUniqueViolation } from "./db-errors";
import { outputCapFieldSchema } from "./channels";
import { intInRange, MAX_MODEL_TOKENS, modelRef, priceUsd, text, usdOrNull } from "./fields";

// Models and their prices (USD per 1M tokens on the wire, nano-USD per 1M tokens in the table).
// Every write invalidates the gateway catalog, so a new price applies to the next admitted request
// (a request already admitted keeps the price its hold and receipt were computed with), and is
// audited with the model before and after.

// Public ids travel in URL paths (/api/admin/models/{id}), so no "/"; "auto" and "auto:*" are the router's.
export const modelIdSchema = modelRef.refine(
  (id) => id.toLowerCase() !== "auto" && !id.toLowerCase().startsWith("auto:"),
  "is reserved for automatic model routing",
);

const modelTokens = intInRange(1, MAX_MODEL_TOKENS);

const modelFields = {
  displayName: text(200),
  provider: text(100),
  kind: z.enum(["CHAT", "EMBEDDING"], { error: 'must be "CHAT" or "EMBEDDING"' }),
  inputPriceUsd: priceUsd,
  outputPriceUsd: priceUsd,
  cachedInputPriceUsd: priceUsd.nullable(), // null = billed at the input price
  cacheWriteInputPriceUsd: priceUsd.nullable(), // tokens written to a prompt cache; null = the input price
  contextWindow: modelTokens,
  maxOutputTokens: modelTokens,
  defaultMaxOutputTokens: modelTokens,
  supportsTools: z.boolean(),
  supportsVision: z.boolean(),
  supportsJson: z.boolean(),
  supportsReasoning: z.boolean(),
  qualityTier: intInRange(1, 5),
  enabled: z.boolean(),
  sortOrder: intInRange(-1_000_000, 1_000_000),
  // null: the channel's setting decides.
  outputCapField: outputCapFieldSchema.nullable(),
  maxImageTokens: intInRange(0, 1_000_000),
  // Top-level request fields forwarded to this model beyond the provider's allow-list (e.g. a
  // provider's thinking switch once its output is bounded and priced): snake_case names.
  extraRequestFields: z
    .array(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be snake_case field names"))
    .max(50)
    .transform((names) => [...new Set(names)]),
};

export const createModelSchema = z.strictObject({
  id: modelIdSchema,
  displayName: modelFields.displayName,
  provider: modelFields.provider,
  kind: modelFields.kind.optional(),
  inputPriceUsd: modelFields.inputPriceUsd,
  outputPriceUsd: modelFields.outputPriceUsd,
  cachedInputPriceUsd: modelFields.cachedInputPriceUsd.optional(),
  cacheWriteInputPriceUsd: modelFields.cacheWriteInputPriceUsd.optional(),
  contextWindow: modelFields.contextWindow,
  maxOutputTokens: modelFields.maxOutputTokens,
  defaultMaxOutputTokens: modelFields.defaultMaxOutputTokens,
  supportsTools: modelFields.supportsTools.optional(),
  supportsVision: modelFields.supportsVision.optional(),
  supportsJson: modelFields.supportsJson.optional(),
  supportsReasoning: modelFields.supportsReasoning.optional(),
  qualityTier: modelFields.qualityTier.optional(),
  enabled: modelFields.enabled.optional(),
  sortOrder: modelFields.sortOrder.optional(),
  outputCapField: modelFields.outputCapField.optional(),
  maxImageTokens: modelFields.maxImageTokens.optional(),
  extraRequestFields: modelFields.extraRequestFields.optional(),
});
export type CreateModelInput = z.output<typeof createModelSchema>;

// A PATCH takes any subset of the creation fields except the id.
export const updateModelSchema = createModelSchema.omit({ id: true }).partial();
export type UpdateModelInput = z.output<typeof updateModelSchema>;

/** The default output cap is what the hold is computed from; it cannot exceed the model's maximum. */
export function assertOutputCaps(caps: { maxOutputTokens: number; defaultMaxOutputTokens: number }): void {
  if (caps.defaultMaxOutputTokens > caps.maxOutputTokens) {
    throw new ApiError(
      "validation_error",
      `defaultMaxOutputTokens must not exceed maxOutputTokens (${caps.maxOutputTokens})`,
      {
        field: "defaultMaxOutputTokens",
      },
    );
  }
}

/**
 * A model with neither an input nor an output price would serve requests for free: it may exist
 * (being set up), but it cannot be enabled. An input-free model with an output price is priced.
 */
export function isUnpriced(prices: { inputPriceNanos: bigint; outputPriceNanos: bigint }): boolean {
  return prices.inputPriceNanos === 0n && prices.outputPriceNanos === 0n;
}

/** Refuses a model state that is enabled but unpriced (the state after the write, not the patch). */
export function assertPricedIfEnabled(state: {
  enabled: boolean;
  inputPriceNanos: bigint;
  outputPriceNanos: bigint;
}): void {
  if (state.enabled && isUnpriced(state)) {
    throw new ApiError(
      "validation_error",
      "enabled: a model without a price cannot be enabled; set inputPriceUsd or outputPriceUsd above zero, or send enabled: false",
      { field: "enabled" },
    );
  }
}

export interface ModelJson {
  id: string;
  displayName: string;
  provider: string;
  kind: "CHAT" | "EMBEDDING";
  inputPriceUsd: string; // per 1M tokens
  outputPriceUsd: string;
  cachedInputPriceUsd: string | null;
  cacheWriteInputPriceUsd: string | null;
  contextWindow: number;
  maxOutputTokens: number;
  defaultMaxOutputTokens: number;
  supportsTools: boolean;
  supportsVision: boolean;
  supportsJson: boolean;
  supportsReasoning: boolean;
  qualityTier: number;
  enabled: boolean;
  sortOrder: number;
  outputCapField: "max_tokens" | "max_completion_tokens" | null;
  maxImageTokens: number;
  extraRequestFields: string[];
  /** False when both the input and the output price are zero: such a model cannot be enabled. */
  isPriced: boolean;
  createdAt: string;
  updatedAt: string;
}

/**
 * A model in the console's list: how many enabled channels serve it, and whether the gateway can
 * route a request to it right now ("unavailable": enabled, but no enabled channel serves it).
 */
export interface ModelListItemJson extends ModelJson {
  enabledChannelCount: number;
  availability: "available" | "unavailable" | "disabled";
}

type ModelRow = Omit<
  ModelJson,
  | "inputPriceUsd"
  | "outputPriceUsd"
  | "cachedInputPriceUsd"
  | "cacheWriteInputPriceUsd"
  | "isPriced"
  | "createdAt"
  | "updatedAt"
> & {
  inputPriceNanos: bigint;
  outputPriceNanos: bigint;
  cachedInputPriceNanos: bigint | null;
  cacheWriteInputPriceNanos?: bigint | null;
  createdAt: Date;
  updatedAt: Date;
};

export function toModelJson(row: ModelRow): ModelJson {
  return {
    id: row.id,
    displayName: row.displayName,
    provider: row.provider,
    kind: row.kind,
    inputPriceUsd: nanosToUsd(row.inputPriceNanos),
    outputPriceUsd: nanosToUsd(row.outputPriceNanos),
    cachedInputPriceUsd: usdOrNull(row.cachedInputPriceNanos),
    cacheWriteInputPriceUsd: usdOrNull(row.cacheWriteInputPriceNanos ?? null),
    contextWindow: row.contextWindow,
    maxOutputTokens: row.maxOutputTokens,
    defaultMaxOutputTokens: row.defaultMaxOutputTokens,
    supportsTools: row.supportsTools,
    supportsVision: row.supportsVision,
    supportsJson: row.supportsJson,
    supportsReasoning: row.supportsReasoning,
    qualityTier: row.qualityTier,
    enabled: row.enabled,
    sortOrder: row.sortOrder,
    outputCapField: row.outputCapField,
    maxImageTokens: row.maxImageTokens,
    extraRequestFields: row.extraRequestFields,
    isPriced: !isUnpriced(row),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** All models, disabled ones included, in display order, with whether a channel serves them. */
export async function listModels(): Promise<{ data: ModelListItemJson[] }> {
  const [rows, counts] = await Promise.all([
    getPrisma().model.findMany({ orderBy: [{ sortOrder: "asc" }, { id: "asc" }] }),
    enabledChannelCounts(),
  ]);
  return { data: rows.map((row) => withAvailability(toModelJson(row), counts.get(row.id) ?? 0)) };
}

export async function getModel(id: string): Promise<ModelListItemJson> {
  const row = await getPrisma().model.findUnique({ where: { id } });
  if (!row) throw notFound("Model");
  const counts = await enabledChannelCounts([id]);
  return withAvailability(toModelJson(row), counts.get(id) ?? 0);
}

export function withAvailability(model: ModelJson, enabledChannelCount: number): ModelListItemJson {
  const availability = !model.enabled ? "disabled" : enabledChannelCount > 0 ? "available" : "unavailable";
  return { ...model, enabledChannelCount, availability };
}

/** Model id → number of ENABLED channels listing it (the channels the gateway routes to). */
async function enabledChannelCounts(ids?: string[]): Promise<Map<string, number>> {
  const { rows } = await getPool().query<{ model: string; count: number }>(
    `SELECT m AS model, count(*)::int AS count
       FROM "Channel" c, unnest(c.models) AS m
      WHERE c.status = 'ENABLED' AND ($1::text[] IS NULL OR m = ANY($1::text[]))
      GROUP BY m`,
    [ids ?? null],
  );
  return new Map(rows.map((row) => [row.model, row.count]));
}

export async function createModel(input: CreateModelInput, actor: AdminActor): Promise<ModelJson> {
  assertOutputCaps(input);
  assertPricedIfEnabled({
    enabled: input.enabled ?? true,
    inputPriceNanos: input.inputPriceUsd,
    outputPriceNanos: input.outputPriceUsd,
  });
  let row;
  try {
    row = await getPrisma().model.create({
      data: { ...priceColumns(input), ...plainFields(input), id: input.id } as Prisma.ModelCreateInput,
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ApiError(
        "conflict",
        `Model "${input.id}" already exists; change it with PATCH /api/admin/models/${input.id}`,
      );
    throw err;
  }
  invalidateCatalog();
  const after = toModelJson(row);
  await recordAudit(actor, {
    action: "model.create",
    targetType: "Model",
    targetId: row.id,
    before: null,
    after: { ...after },
  });
  return after;
}

export async function updateModel(id: string, patch: UpdateModelInput, actor: AdminActor): Promise<ModelJson> {
  const prisma = getPrisma();
  const existing = await prisma.model.findUnique({ where: { id } });
  if (!existing) throw notFound("Model");
  assertOutputCaps({
    maxOutputTokens: patch.maxOutputTokens ?? existing.maxOutputTokens,
    defaultMaxOutputTokens: patch.defaultMaxOutputTokens ?? existing.defaultMaxOutputTokens,
  });
  assertPricedIfEnabled({
    enabled: patch.enabled ?? existing.enabled,
    inputPriceNanos: patch.inputPriceUsd ?? existing.inputPriceNanos,
    outputPriceNanos: patch.outputPriceUsd ?? existing.outputPriceNanos,
  });
  let row;
  try {
    // Only if nobody changed the model since it was read: the checks above and the audit's "before"
    // hold for the row actually written.
    row = await prisma.model.update({
      where: { id, updatedAt: existing.updatedAt },
      data: { ...priceColumns(patch), ...plainFields(patch) },
    });
  } catch (err) {
    if (isRecordNotFound(err)) {
      if (!(await prisma.model.findUnique({ where: { id }, select: { id: true } }))) throw notFound("Model");
      throw new ApiError("conflict", `Model "${id}" was changed by someone else just now; read it again and retry`);
    }
    throw err;
  }
  invalidateCatalog();
  const after = toModelJson(row);
  await recordAudit(actor, {
    action: "model.update",
    targetType: "Model",
    targetId: id,
    data: { fields: Object.keys(patch) },
    before: { ...toModelJson(existing) },
    after: { ...after },
  });
  return after;
}

function priceColumns(input: UpdateModelInput): Prisma.ModelUpdateInput {
  return {
    ...(input.inputPriceUsd !== undefined ? { inputPriceNanos: input.inputPriceUsd } : {}),
    ...(input.outputPriceUsd !== undefined ? { outputPriceNanos: input.outputPriceUsd } : {}),
    ...(input.cachedInputPriceUsd !== undefined ? { cachedInputPriceNanos: input.cachedInputPriceUsd } : {}),
    ...(input.cacheWriteInputPriceUsd !== undefined
      ? { cacheWriteInputPriceNanos: input.cacheWriteInputPriceUsd }
      : {}),
  };
}

function plainFields(input: UpdateModelInput): Prisma.ModelUpdateInput {
  const { inputPriceUsd, outputPriceUsd, cachedInputPriceUsd, cacheWriteInputPriceUsd, ...rest } = input;
  void inputPriceUsd;
  void outputPriceUsd;
  void cachedInputPriceUsd;
  void cacheWriteInputPriceUsd;
  return Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
}

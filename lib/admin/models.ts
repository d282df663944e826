import { z } from "zod";
import { ApiError, notFound } from "@/lib/api/errors";
import { nanosToUsd } from "@/lib/billing/money";
import type { Prisma } from "@/generated/prisma/client";
import { getPrisma } from "@/lib/db/client";
import { invalidateCatalog } from "@/lib/gateway/catalog";
import { recordAudit } from "./audit";
import type { AdminActor } from "./auth";
import { isRecordNotFound, isUniqueViolation } from "./db-errors";
import { outputCapFieldSchema } from "./channels";
import { intInRange, MAX_MODEL_TOKENS, modelRef, priceUsd, text, usdOrNull } from "./fields";

// Models and their prices (USD per 1M tokens on the wire, nano-USD per 1M tokens in the table).
// Every write invalidates the gateway catalog.

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

export interface ModelJson {
  id: string;
  displayName: string;
  provider: string;
  kind: "CHAT" | "EMBEDDING";
  inputPriceUsd: string; // per 1M tokens
  outputPriceUsd: string;
  cachedInputPriceUsd: string | null;
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
  createdAt: string;
  updatedAt: string;
}

type ModelRow = Omit<
  ModelJson,
  "inputPriceUsd" | "outputPriceUsd" | "cachedInputPriceUsd" | "createdAt" | "updatedAt"
> & {
  inputPriceNanos: bigint;
  outputPriceNanos: bigint;
  cachedInputPriceNanos: bigint | null;
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
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** All models, disabled ones included, in display order. */
export async function listModels(): Promise<{ data: ModelJson[] }> {
  const rows = await getPrisma().model.findMany({ orderBy: [{ sortOrder: "asc" }, { id: "asc" }] });
  return { data: rows.map(toModelJson) };
}

export async function getModel(id: string): Promise<ModelJson> {
  const row = await getPrisma().model.findUnique({ where: { id } });
  if (!row) throw notFound("Model");
  return toModelJson(row);
}

export async function createModel(input: CreateModelInput, actor: AdminActor): Promise<ModelJson> {
  assertOutputCaps(input);
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
  await recordAudit(actor, { action: "model.create", targetType: "Model", targetId: row.id, data: auditPrices(row) });
  return toModelJson(row);
}

export async function updateModel(id: string, patch: UpdateModelInput, actor: AdminActor): Promise<ModelJson> {
  const prisma = getPrisma();
  const existing = await prisma.model.findUnique({ where: { id } });
  if (!existing) throw notFound("Model");
  assertOutputCaps({
    maxOutputTokens: patch.maxOutputTokens ?? existing.maxOutputTokens,
    defaultMaxOutputTokens: patch.defaultMaxOutputTokens ?? existing.defaultMaxOutputTokens,
  });
  let row;
  try {
    row = await prisma.model.update({ where: { id }, data: { ...priceColumns(patch), ...plainFields(patch) } });
  } catch (err) {
    if (isRecordNotFound(err)) throw notFound("Model");
    throw err;
  }
  invalidateCatalog();
  await recordAudit(actor, {
    action: "model.update",
    targetType: "Model",
    targetId: id,
    data: { fields: Object.keys(patch), ...auditPrices(row) },
  });
  return toModelJson(row);
}

function priceColumns(input: UpdateModelInput): Prisma.ModelUpdateInput {
  return {
    ...(input.inputPriceUsd !== undefined ? { inputPriceNanos: input.inputPriceUsd } : {}),
    ...(input.outputPriceUsd !== undefined ? { outputPriceNanos: input.outputPriceUsd } : {}),
    ...(input.cachedInputPriceUsd !== undefined ? { cachedInputPriceNanos: input.cachedInputPriceUsd } : {}),
  };
}

function plainFields(input: UpdateModelInput): Prisma.ModelUpdateInput {
  const { inputPriceUsd, outputPriceUsd, cachedInputPriceUsd, ...rest } = input;
  void inputPriceUsd;
  void outputPriceUsd;
  void cachedInputPriceUsd;
  return Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
}

function auditPrices(row: ModelRow): Record<string, string | null> {
  return {
    inputPriceUsd: nanosToUsd(row.inputPriceNanos),
    outputPriceUsd: nanosToUsd(row.outputPriceNanos),
    cachedInputPriceUsd: usdOrNull(row.cachedInputPriceNanos),
  };
}

import { z } from "zod";
import { ApiError, notFound } from "@/lib/api/errors";
import { appEncryptionKey } from "@/lib/crypto/app-key";
import { encryptSecret, lastFour } from "@/lib/crypto/secrets";
import type { Prisma } from "@/generated/prisma/client";
import { getPrisma } from "@/lib/db/client";
import { invalidateCatalog } from "@/lib/gateway/catalog";
import { PROVIDER_IDS, type ProviderId } from "@/lib/gateway/providers/list";
import { findPreset } from "@/lib/gateway/providers/presets";
import { allowListFromEnv, validateUpstreamUrl } from "@/lib/security/ssrf";
import { recordAudit } from "./audit";
import type { AdminActor } from "./auth";
import { isRecordNotFound } from "./db-errors";
import { httpUrl, intInRange, modelRef, text, upstreamModelName } from "./fields";

// Channels (DESIGN §5): one upstream credential each. The API key is write-only: it is encrypted at
// rest, and only its last four characters ever leave the server. Every write invalidates the catalog.

export const DEMO_BASE_URL = "demo://local";
export const CHANNEL_TEST_TIMEOUT_MS = 10_000;

type ChannelProvider = ProviderId;

// ---------- request schemas ----------

const providerSchema = z.enum(PROVIDER_IDS, {
  error: `must be one of ${PROVIDER_IDS.map((id) => `"${id}"`).join(", ")}`,
});
const MAX_CHANNEL_MODELS = 500;
const modelIdsSchema = z
  .array(modelRef, { error: "must be an array of model ids" })
  .min(1, "must list at least one model")
  .max(MAX_CHANNEL_MODELS, `must list at most ${MAX_CHANNEL_MODELS} models`)
  .transform((ids) => [...new Set(ids)]);
const modelMappingSchema = z
  .record(modelRef, upstreamModelName, { error: "must be an object of public model id → upstream model id" })
  .refine(
    (mapping) => Object.keys(mapping).length <= MAX_CHANNEL_MODELS,
    `must have at most ${MAX_CHANNEL_MODELS} entries`,
  );
const baseUrlSchema = httpUrl(2048);
// Sent upstream in a header: printable ASCII only, so it can never split or inject a header.
const apiKeySchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(4096, "must be at most 4096 characters")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");
const prioritySchema = intInRange(-1_000_000, 1_000_000);
const weightSchema = intInRange(0, 1_000_000);
export const outputCapFieldSchema = z.enum(["max_tokens", "max_completion_tokens"], {
  error: 'must be "max_tokens" or "max_completion_tokens"',
});

export const createChannelSchema = z.strictObject({
  name: text(100).optional(),
  provider: providerSchema.optional(),
  baseUrl: baseUrlSchema.optional(),
  apiKey: apiKeySchema.optional(),
  models: modelIdsSchema.optional(),
  modelMapping: modelMappingSchema.optional(),
  priority: prioritySchema.optional(),
  weight: weightSchema.optional(),
  enabled: z.boolean().optional(),
  // The field this upstream honours as the output cap; presets fill it (default max_tokens).
  outputCapField: outputCapFieldSchema.optional(),
  preset: text(100).optional(),
});
export type CreateChannelInput = z.output<typeof createChannelSchema>;

// A PATCH takes any subset of the same fields, except the preset (which only shapes a new channel).
export const updateChannelSchema = createChannelSchema.omit({ preset: true });
export type UpdateChannelInput = z.output<typeof updateChannelSchema>;

// ---------- pure resolution ----------

export interface ChannelDraft {
  name: string;
  provider: ChannelProvider;
  baseUrl: string; // not yet SSRF-checked (demo: DEMO_BASE_URL)
  apiKey: string | null; // null for demo
  models: string[];
  modelMapping: Record<string, string>;
  priority: number;
  weight: number;
  enabled: boolean;
  outputCapField: "max_tokens" | "max_completion_tokens";
}

/** Fills a create request from its preset (explicit fields win) and checks what each provider needs. */
export function resolveChannelCreate(input: CreateChannelInput): ChannelDraft {
  const preset = input.preset === undefined ? undefined : findPreset(input.preset);
  if (input.preset !== undefined && !preset) {
    throw new ApiError("validation_error", `preset: unknown preset "${input.preset}"`, { field: "preset" });
  }
  const provider = input.provider ?? preset?.provider;
  if (!provider) throw required("provider");
  const name = input.name ?? preset?.name;
  if (!name) throw required("name");
  const models = input.models ?? (preset ? [...preset.models] : undefined);
  if (!models) throw required("models");
  // Without an explicit mapping, the preset's applies to whichever of its models the channel serves.
  const modelMapping =
    input.modelMapping ??
    Object.fromEntries(Object.entries(preset?.modelMapping ?? {}).filter(([id]) => models.includes(id)));
  assertMappingServesModels(modelMapping, models);

  let baseUrl = DEMO_BASE_URL;
  let apiKey: string | null = null;
  if (provider !== "demo") {
    const url = input.baseUrl ?? preset?.baseUrl;
    if (!url) throw required("baseUrl");
    if (!input.apiKey) throw required("apiKey");
    baseUrl = url;
    apiKey = input.apiKey;
  }
  return {
    name,
    provider,
    baseUrl,
    apiKey,
    models,
    modelMapping,
    priority: input.priority ?? 0,
    weight: input.weight ?? 1,
    enabled: input.enabled ?? true,
    outputCapField: input.outputCapField ?? preset?.outputCapField ?? "max_tokens",
  };
}

/** Mapping keys are public model ids; one the channel does not serve is almost always a typo. */
export function assertMappingServesModels(mapping: Record<string, string>, models: readonly string[]): void {
  const stray = Object.keys(mapping).find((id) => !models.includes(id));
  if (stray !== undefined) {
    throw new ApiError("validation_error", `modelMapping: "${stray}" is not one of the channel's models`, {
      field: "modelMapping",
    });
  }
}

function required(field: string): ApiError {
  return new ApiError("validation_error", `${field} is required`, { field });
}

// ---------- response shape ----------

interface ChannelRow {
  id: string;
  name: string;
  provider: string;
  baseUrl: string;
  apiKeyLast4: string | null;
  models: string[];
  modelMapping: unknown;
  priority: number;
  weight: number;
  status: "ENABLED" | "DISABLED" | "AUTH_FAILED";
  disabledReason: string | null;
  consecutiveFailures: number;
  lastError: string | null;
  lastLatencyMs: number | null;
  lastCheckedAt: Date | null;
  outputCapField: "max_tokens" | "max_completion_tokens";
  createdAt: Date;
  updatedAt: Date;
}

export interface ChannelJson {
  id: string;
  name: string;
  provider: string;
  baseUrl: string;
  models: string[];
  modelMapping: Record<string, string>;
  priority: number;
  weight: number;
  enabled: boolean;
  outputCapField: ChannelRow["outputCapField"];
  status: ChannelRow["status"];
  disabledReason: string | null;
  apiKeyLast4: string | null;
  health: {
    consecutiveFailures: number;
    lastError: string | null;
    lastLatencyMs: number | null;
    lastCheckedAt: string | null;
  };
  createdAt: string;
  updatedAt: string;
}

export function toChannelJson(row: ChannelRow): ChannelJson {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    baseUrl: row.baseUrl,
    models: row.models,
    modelMapping: asMapping(row.modelMapping),
    priority: row.priority,
    weight: row.weight,
    enabled: row.status === "ENABLED",
    outputCapField: row.outputCapField,
    status: row.status,
    disabledReason: row.disabledReason,
    apiKeyLast4: row.apiKeyLast4,
    health: {
      consecutiveFailures: row.consecutiveFailures,
      lastError: row.lastError,
      lastLatencyMs: row.lastLatencyMs,
      lastCheckedAt: row.lastCheckedAt?.toISOString() ?? null,
    },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function asMapping(value: unknown): Record<string, string> {
  if (!value || typeof value !== "object" || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

// ---------- reads ----------

export async function listChannels(): Promise<{ data: ChannelJson[] }> {
  const rows = await getPrisma().channel.findMany({ orderBy: [{ priority: "desc" }, { createdAt: "asc" }] });
  return { data: rows.map(toChannelJson) };
}

export async function getChannel(id: string): Promise<ChannelJson> {
  const row = await getPrisma().channel.findUnique({ where: { id } });
  if (!row) throw notFound("Channel");
  return toChannelJson(row);
}

// ---------- writes ----------

export async function createChannel(input: CreateChannelInput, actor: AdminActor): Promise<ChannelJson> {
  const draft = resolveChannelCreate(input);
  const baseUrl = draft.provider === "demo" ? DEMO_BASE_URL : await checkBaseUrl(draft.baseUrl);
  await assertModelsExist(draft.models);
  const row = await getPrisma().channel.create({
    data: {
      name: draft.name,
      provider: draft.provider,
      baseUrl,
      ...secretColumns(draft.apiKey),
      models: draft.models,
      modelMapping: draft.modelMapping,
      priority: draft.priority,
      weight: draft.weight,
      outputCapField: draft.outputCapField,
      status: draft.enabled ? "ENABLED" : "DISABLED",
    },
  });
  invalidateCatalog();
  await recordAudit(actor, {
    action: "channel.create",
    targetType: "Channel",
    targetId: row.id,
    data: { preset: input.preset ?? null },
    before: null,
    after: channelAuditSnapshot(row),
  });
  return toChannelJson(row);
}

export async function updateChannel(id: string, patch: UpdateChannelInput, actor: AdminActor): Promise<ChannelJson> {
  const prisma = getPrisma();
  const existing = await prisma.channel.findUnique({ where: { id }, omit: { apiKeyEncrypted: false } });
  if (!existing) throw notFound("Channel");

  const provider = patch.provider ?? existing.provider;
  const data: Prisma.ChannelUpdateInput = {};
  if (patch.name !== undefined) data.name = patch.name;
  if (patch.provider !== undefined) data.provider = patch.provider;
  if (patch.priority !== undefined) data.priority = patch.priority;
  if (patch.weight !== undefined) data.weight = patch.weight;
  if (patch.outputCapField !== undefined) data.outputCapField = patch.outputCapField;

  if (provider === "demo") {
    data.baseUrl = DEMO_BASE_URL;
    Object.assign(data, secretColumns(null));
  } else {
    if (patch.baseUrl !== undefined) data.baseUrl = await checkBaseUrl(patch.baseUrl);
    else if (existing.baseUrl === DEMO_BASE_URL)
      throw new ApiError("validation_error", "baseUrl is required when leaving the demo provider", {
        field: "baseUrl",
      });
    if (patch.apiKey !== undefined) Object.assign(data, secretColumns(patch.apiKey));
    else if (!existing.apiKeyEncrypted)
      throw new ApiError("validation_error", "apiKey is required for this provider", { field: "apiKey" });
  }

  const models = patch.models ?? existing.models;
  if (patch.models !== undefined) {
    await assertModelsExist(patch.models);
    data.models = patch.models;
  }
  if (patch.modelMapping !== undefined) {
    assertMappingServesModels(patch.modelMapping, models);
    data.modelMapping = patch.modelMapping;
  }

  if (patch.enabled === true) {
    // Also the way back from AUTH_FAILED once the admin fixed the credential.
    Object.assign(data, { status: "ENABLED", disabledReason: null, consecutiveFailures: 0 });
  } else if (patch.enabled === false) {
    Object.assign(data, { status: "DISABLED", disabledReason: null });
  }

  let row;
  try {
    row = await prisma.channel.update({ where: { id }, data });
  } catch (err) {
    if (isRecordNotFound(err)) throw notFound("Channel");
    throw err;
  }
  invalidateCatalog();
  await recordAudit(actor, {
    action: "channel.update",
    targetType: "Channel",
    targetId: id,
    data: { fields: Object.keys(patch) },
    before: channelAuditSnapshot(existing),
    after: channelAuditSnapshot(row),
  });
  return toChannelJson(row);
}

export async function deleteChannel(id: string, actor: AdminActor): Promise<void> {
  let row;
  try {
    row = await getPrisma().channel.delete({ where: { id } });
  } catch (err) {
    if (isRecordNotFound(err)) throw notFound("Channel");
    throw err;
  }
  invalidateCatalog();
  await recordAudit(actor, {
    action: "channel.delete",
    targetType: "Channel",
    targetId: id,
    before: channelAuditSnapshot(row),
    after: null,
  });
}

/**
 * What the audit log keeps of a channel: its configuration, never the secret. The key appears only
 * as its last four characters, under a name the audit redaction leaves alone (a name containing
 * "apiKey" would be redacted), so a rotated key shows as a change.
 */
export function channelAuditSnapshot(row: {
  name: string;
  provider: string;
  baseUrl: string;
  apiKeyLast4: string | null;
  models: string[];
  modelMapping: unknown;
  priority: number;
  weight: number;
  status: string;
  disabledReason: string | null;
  outputCapField: string;
}): Record<string, unknown> {
  return {
    name: row.name,
    provider: row.provider,
    baseUrl: row.baseUrl,
    keyLast4: row.apiKeyLast4,
    models: row.models,
    modelMapping: asMapping(row.modelMapping),
    priority: row.priority,
    weight: row.weight,
    status: row.status,
    disabledReason: row.disabledReason,
    outputCapField: row.outputCapField,
  };
}

function secretColumns(apiKey: string | null): { apiKeyEncrypted: string | null; apiKeyLast4: string | null } {
  if (apiKey === null) return { apiKeyEncrypted: null, apiKeyLast4: null };
  return { apiKeyEncrypted: encryptSecret(apiKey, appEncryptionKey()), apiKeyLast4: lastFour(apiKey) };
}

/** The SSRF guard at save time, plus what joinUrl needs: no query or fragment, no trailing slash. */
async function checkBaseUrl(raw: string): Promise<string> {
  const result = await validateUpstreamUrl(raw, allowListFromEnv());
  if (!result.ok) throw new ApiError("invalid_base_url", `baseUrl refused: ${result.reason}`, { field: "baseUrl" });
  if (result.url.search || result.url.hash) {
    throw new ApiError("invalid_base_url", "baseUrl refused: it must not contain a query string or fragment", {
      field: "baseUrl",
    });
  }
  return result.url.origin + result.url.pathname.replace(/\/+$/, "");
}

async function assertModelsExist(ids: readonly string[]): Promise<void> {
  const found = await getPrisma().model.findMany({ where: { id: { in: [...ids] } }, select: { id: true } });
  const known = new Set(found.map((m) => m.id));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length > 0) {
    throw new ApiError(
      "validation_error",
      `models: unknown model${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (create with POST /api/admin/models first)`,
      {
        field: "models",
      },
    );
  }
}

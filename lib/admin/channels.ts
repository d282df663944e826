import { z } from "zod";
import { ApiError, notFound } from "@/lib/api/errors";
import { appEncryptionKey } from "@/lib/crypto/app-key";
import { decryptSecret, encryptSecret, lastFour } from "@/lib/crypto/secrets";
import type { Prisma } from "@/generated/prisma/client";
import { getPrisma } from "@/lib/db/client";
import { invalidateCatalog, type CatalogChannel } from "@/lib/gateway/catalog";
import { findPreset } from "@/lib/gateway/providers/presets";
import { postUpstream, readUpstreamBody } from "@/lib/gateway/upstream";
import { allowListFromEnv, validateUpstreamUrl } from "@/lib/security/ssrf";
import { recordAudit } from "./audit";
import type { AdminActor } from "./auth";
import { isRecordNotFound } from "./db-errors";
import { text } from "./fields";

// Channels (DESIGN §5): one upstream credential each. The API key is write-only: it is encrypted at
// rest, and only its last four characters ever leave the server. Every write invalidates the catalog.

export const DEMO_BASE_URL = "demo://local";
export const CHANNEL_TEST_TIMEOUT_MS = 10_000;

type ChannelProvider = "openai" | "anthropic" | "demo";

// ---------- request schemas ----------

const providerSchema = z.enum(["openai", "anthropic", "demo"], {
  error: 'must be one of "openai", "anthropic", "demo"',
});
const modelIdsSchema = z
  .array(text(200), { error: "must be an array of model ids" })
  .min(1, "must list at least one model")
  .max(500)
  .transform((ids) => [...new Set(ids)]);
const modelMappingSchema = z.record(z.string().min(1).max(200), text(200), {
  error: "must be an object of public model id → upstream model id",
});
const baseUrlSchema = z.string().trim().min(1, "must not be empty").max(2048);
const apiKeySchema = z.string().trim().min(1, "must not be empty").max(4096);
const prioritySchema = z.int("must be an integer").min(-1_000_000).max(1_000_000);
const weightSchema = z.int("must be an integer").min(0, "must not be negative").max(1_000_000);

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
  preset: z.string().max(100).optional(),
});
export type CreateChannelInput = z.output<typeof createChannelSchema>;

export const updateChannelSchema = z.strictObject({
  name: text(100).optional(),
  provider: providerSchema.optional(),
  baseUrl: baseUrlSchema.optional(),
  apiKey: apiKeySchema.optional(),
  models: modelIdsSchema.optional(),
  modelMapping: modelMappingSchema.optional(),
  priority: prioritySchema.optional(),
  weight: weightSchema.optional(),
  enabled: z.boolean().optional(),
});
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

function asMapping(value: unknown): Record<string, string> {
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
      status: draft.enabled ? "ENABLED" : "DISABLED",
    },
  });
  invalidateCatalog();
  await recordAudit(actor, {
    action: "channel.create",
    targetType: "Channel",
    targetId: row.id,
    data: { name: row.name, provider: row.provider, baseUrl: row.baseUrl, preset: input.preset ?? null },
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
  });
  return toChannelJson(row);
}

export async function deleteChannel(id: string, actor: AdminActor): Promise<void> {
  try {
    await getPrisma().channel.delete({ where: { id } });
  } catch (err) {
    if (isRecordNotFound(err)) throw notFound("Channel");
    throw err;
  }
  invalidateCatalog();
  await recordAudit(actor, { action: "channel.delete", targetType: "Channel", targetId: id });
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

// ---------- test ----------

export interface ChannelTestResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

/** A one-token chat completion through the real relay path (SSRF-guarded), recorded as the channel's health. */
export async function testChannel(id: string): Promise<ChannelTestResult> {
  const prisma = getPrisma();
  const row = await prisma.channel.findUnique({ where: { id }, omit: { apiKeyEncrypted: false } });
  if (!row) throw notFound("Channel");

  const result = row.provider === "demo" ? { ok: true, latencyMs: 0 } : await probeChannel(row);
  await prisma.channel.updateMany({
    where: { id },
    data: {
      lastCheckedAt: new Date(),
      lastError: result.ok ? null : result.error,
      ...(result.ok ? { lastLatencyMs: result.latencyMs } : {}),
    },
  });
  return result;
}

async function probeChannel(row: {
  id: string;
  name: string;
  provider: CatalogChannel["provider"];
  baseUrl: string;
  apiKeyEncrypted: string | null;
  models: string[];
  modelMapping: unknown;
  priority: number;
  weight: number;
}): Promise<ChannelTestResult> {
  const modelId = row.models[0];
  if (!modelId) return { ok: false, latencyMs: 0, error: "the channel serves no models" };
  let apiKey: string | null = null;
  if (row.apiKeyEncrypted) {
    try {
      apiKey = decryptSecret(row.apiKeyEncrypted, appEncryptionKey());
    } catch {
      return {
        ok: false,
        latencyMs: 0,
        error: "the stored API key cannot be decrypted (was TOKENFLOW_ENCRYPTION_KEY changed?); set the key again",
      };
    }
  }
  const mapping = asMapping(row.modelMapping);
  const channel: CatalogChannel = {
    id: row.id,
    name: row.name,
    provider: row.provider,
    baseUrl: row.baseUrl,
    apiKey,
    models: new Set(row.models),
    modelMapping: mapping,
    priority: row.priority,
    weight: row.weight,
  };
  const body = {
    model: mapping[modelId] ?? modelId,
    messages: [{ role: "user", content: "ping" }],
    max_tokens: 1,
    stream: false,
  };

  const signal = AbortSignal.timeout(CHANNEL_TEST_TIMEOUT_MS);
  const startedAt = performance.now();
  const elapsed = () => Math.round(performance.now() - startedAt);
  try {
    const response = await postUpstream(channel, "/chat/completions", body, signal);
    const bodyText = await readUpstreamBody(response.body, 1024 * 1024);
    if (response.status >= 200 && response.status < 300) return { ok: true, latencyMs: elapsed() };
    return {
      ok: false,
      latencyMs: elapsed(),
      error: redactSecret(describeUpstreamStatus(response.status, bodyText), apiKey),
    };
  } catch (err) {
    return { ok: false, latencyMs: elapsed(), error: redactSecret(describeNetworkError(err, signal.aborted), apiKey) };
  }
}

/** A short, admin-facing reason for a non-2xx answer, with the upstream's own message when it gave one. */
export function describeUpstreamStatus(status: number, bodyText: string): string {
  const hint =
    status === 401 || status === 403
      ? " (the upstream rejected the API key)"
      : status === 404
        ? " (check the base URL and the model mapping)"
        : status === 429
          ? " (rate limited or out of credit upstream)"
          : "";
  const message = upstreamMessage(bodyText);
  return `upstream answered ${status}${hint}${message ? `: ${message}` : ""}`;
}

function upstreamMessage(bodyText: string): string | null {
  let candidate: unknown;
  try {
    const parsed = JSON.parse(bodyText) as { error?: { message?: unknown } | string; message?: unknown };
    candidate = typeof parsed?.error === "string" ? parsed.error : (parsed?.error?.message ?? parsed?.message);
  } catch {
    return null;
  }
  if (typeof candidate !== "string" || !candidate.trim()) return null;
  return candidate.trim().slice(0, 300);
}

/** Network-level failures, by their code; never the raw message (it can hold URLs or headers). */
export function describeNetworkError(err: unknown, timedOut: boolean): string {
  if (timedOut) return `no answer within ${CHANNEL_TEST_TIMEOUT_MS / 1000} s`;
  const code = errorCode(err) ?? errorCode((err as { cause?: unknown })?.cause);
  switch (code) {
    case "ESSRF":
      return "the base URL's address is refused by the SSRF guard; add it to TOKENFLOW_ALLOWED_UPSTREAMS if it is trusted";
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "the host could not be resolved";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "the connection was closed by the upstream";
    case "UND_ERR_CONNECT_TIMEOUT":
      return "connection timed out";
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return "the upstream did not answer in time";
    default:
      return code ? `network error (${code})` : "network error";
  }
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Removes the channel's key, and anything shaped like a provider key, from a message. */
export function redactSecret(message: string, secret: string | null): string {
  let out = message;
  if (secret && secret.length >= 4) out = out.split(secret).join("[redacted]");
  return out.replace(/\b(sk|tf|key)-[A-Za-z0-9_-]{6,}/g, "[redacted]");
}

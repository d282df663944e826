import { notFound } from "@/lib/api/errors";
import { appEncryptionKey } from "@/lib/crypto/app-key";
import { decryptSecret } from "@/lib/crypto/secrets";
import { getPrisma } from "@/lib/db/client";
import type { CatalogChannel } from "@/lib/gateway/catalog";
import { isProviderId } from "@/lib/gateway/providers/list";
import { adapterFor } from "@/lib/gateway/providers/registry";
import { recordAudit } from "./audit";
import type { AdminActor } from "./auth";
import { asMapping, CHANNEL_TEST_TIMEOUT_MS } from "./channels";

// POST /api/admin/channels/{id}/test: a one-token request through the real (SSRF-guarded) relay
// path, recorded as the channel's health. Errors are described without ever including the key.

export interface ChannelTestResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

/** A one-token chat completion through the real relay path (SSRF-guarded), recorded as the channel's health. */
export async function testChannel(id: string, actor?: AdminActor): Promise<ChannelTestResult> {
  const prisma = getPrisma();
  const row = await prisma.channel.findUnique({ where: { id }, omit: { apiKeyEncrypted: false } });
  if (!row) throw notFound("Channel");

  const result = !isProviderId(row.provider)
    ? { ok: false, latencyMs: 0, error: `no adapter speaks the provider "${row.provider}"` }
    : row.provider === "demo"
      ? { ok: true, latencyMs: 0 }
      : await probeChannel({ ...row, provider: row.provider });
  await prisma.channel.updateMany({
    where: { id },
    data: {
      lastCheckedAt: new Date(),
      lastError: result.ok ? null : result.error,
      ...(result.ok ? { lastLatencyMs: result.latencyMs } : {}),
    },
  });
  // A test spends a request on the operator's upstream account and rewrites the channel's health.
  if (actor) {
    await recordAudit(actor, {
      action: "channel.test",
      targetType: "Channel",
      targetId: id,
      data: { ok: result.ok, latencyMs: result.latencyMs, ...(result.error ? { error: result.error } : {}) },
    });
  }
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
  outputCapField: CatalogChannel["outputCapField"];
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
    outputCapField: row.outputCapField,
  };
  const signal = AbortSignal.timeout(CHANNEL_TEST_TIMEOUT_MS);
  const startedAt = performance.now();
  const elapsed = () => Math.round(performance.now() - startedAt);
  try {
    // The same adapter the relay uses: a one-token request in the channel's own wire format.
    const response = await adapterFor(channel.provider).probe(channel, mapping[modelId] ?? modelId, signal);
    const bodyText = response.bodyText;
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

/**
 * Removes the channel's key, and anything shaped like a provider key, from a message. Providers echo
 * a rejected key masked (OpenAI: "sk-...abcd"; some show more of its tail or head), so any 8
 * characters of the key, and a tail longer than the last four the console shows, go too.
 */
export function redactSecret(message: string, secret: string | null): string {
  let out = message;
  if (secret && secret.length >= 4) {
    out = out.split(secret).join("[redacted]");
    for (let i = 0; i + 8 <= secret.length; i++) out = out.split(secret.slice(i, i + 8)).join("[redacted]");
    for (let n = Math.min(7, secret.length - 1); n >= 5; n--) out = out.split(secret.slice(-n)).join("[redacted]");
  }
  return out.replace(/\b(sk|tf|key)-[A-Za-z0-9_-]{6,}/g, "[redacted]");
}

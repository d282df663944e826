import { isProviderId, type ProviderId } from "./providers/list";
import { onInvalidation, publishInvalidation } from "@/lib/cache/invalidation";
import { hotPathDb } from "@/lib/db/hot-path";
import { DB_QUERY_TIMEOUT_MS, timedQuery } from "@/lib/db/pool";
import { appEncryptionKey } from "@/lib/crypto/app-key";
import { decryptSecret } from "@/lib/crypto/secrets";
import type { Prices } from "@/lib/billing/money";
import { gatewayConfig } from "./config";
import { TtlCache } from "./ttl-cache";
import { logger } from "@/lib/log";

const log = logger("gateway");

// Models and channels as the gateway sees them, cached a couple of seconds per instance.
// Admin writes call invalidateCatalog() so the local instance sees them at once.

export interface CatalogModel {
  id: string;
  provider: string;
  kind: "CHAT" | "EMBEDDING";
  prices: Prices;
  contextWindow: number;
  maxOutputTokens: number;
  defaultMaxOutputTokens: number;
  supportsTools: boolean;
  supportsVision: boolean;
  supportsJson: boolean;
  supportsReasoning: boolean;
  qualityTier: number;
  /** Overrides the channel's output-cap field for this model (null: the channel decides). */
  outputCapField: OutputCapField | null;
  /** Most input tokens one image can cost on this model: the hold counts every image at this. */
  maxImageTokens: number;
  /** Top-level request fields forwarded beyond the provider's allow-list. */
  extraRequestFields: ReadonlySet<string>;
  createdAt: Date;
}

export type OutputCapField = "max_tokens" | "max_completion_tokens";

export interface CatalogChannel {
  id: string;
  name: string;
  provider: ProviderId;
  baseUrl: string;
  apiKey: string | null; // decrypted, server memory only
  models: Set<string>;
  modelMapping: Record<string, string>;
  priority: number;
  weight: number;
  outputCapField: OutputCapField;
}

export interface Catalog {
  models: Map<string, CatalogModel>;
  channels: CatalogChannel[];
}

const cache = new TtlCache<Catalog>(gatewayConfig().TOKENFLOW_CACHE_TTL_MS);

export function getCatalog(): Promise<Catalog> {
  return cache.get("catalog", loadCatalog);
}

/** After an admin write: clears this instance's catalog and tells the others (Redis pub/sub). */
export function invalidateCatalog() {
  cache.clear();
  publishInvalidation({ kind: "catalog" });
}

onInvalidation((message) => {
  if (message.kind === "catalog") cache.clear();
});

async function loadCatalog(): Promise<Catalog> {
  const [models, channels] = await Promise.all([
    hotPathDb.query(timedQuery(`SELECT * FROM "Model" WHERE enabled`, [], DB_QUERY_TIMEOUT_MS)),
    hotPathDb.query(timedQuery(`SELECT * FROM "Channel" WHERE status = 'ENABLED'`, [], DB_QUERY_TIMEOUT_MS)),
  ]);
  return {
    models: new Map(
      models.rows.map((m) => [
        m.id,
        {
          id: m.id,
          provider: m.provider,
          kind: m.kind,
          prices: {
            inputPriceNanos: m.inputPriceNanos,
            outputPriceNanos: m.outputPriceNanos,
            cachedInputPriceNanos: m.cachedInputPriceNanos ?? m.inputPriceNanos,
            cacheWriteInputPriceNanos: m.cacheWriteInputPriceNanos ?? m.inputPriceNanos,
          },
          contextWindow: m.contextWindow,
          maxOutputTokens: m.maxOutputTokens,
          defaultMaxOutputTokens: m.defaultMaxOutputTokens,
          supportsTools: m.supportsTools,
          supportsVision: m.supportsVision,
          supportsJson: m.supportsJson,
          supportsReasoning: m.supportsReasoning,
          qualityTier: m.qualityTier,
          outputCapField: m.outputCapField,
          maxImageTokens: m.maxImageTokens,
          extraRequestFields: new Set<string>(m.extraRequestFields ?? []),
          createdAt: m.createdAt,
        } satisfies CatalogModel,
      ]),
    ),
    channels: channels.rows.flatMap((c) => {
      // A provider with no adapter (the enum's reserved "gemini") cannot serve anything.
      if (!isProviderId(c.provider)) return [];
      let apiKey: string | null = null;
      try {
        apiKey = c.apiKeyEncrypted ? decryptSecret(c.apiKeyEncrypted, appEncryptionKey()) : null;
      } catch {
        // One unreadable secret (TOKENFLOW_ENCRYPTION_KEY changed?) takes out that channel, not the gateway.
        log.error(
          { channelId: c.id },
          "the channel API key cannot be decrypted; skipping the channel until it is set again",
        );
        return [];
      }
      return [
        {
          id: c.id,
          name: c.name,
          provider: c.provider,
          baseUrl: c.baseUrl,
          apiKey,
          models: new Set<string>(c.models ?? []),
          modelMapping: (c.modelMapping ?? {}) as Record<string, string>,
          priority: c.priority,
          weight: c.weight,
          outputCapField: c.outputCapField,
        },
      ];
    }),
  };
}

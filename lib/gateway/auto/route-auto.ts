import type { KeyContext } from "../auth";
import { getCatalog, type CatalogModel } from "../catalog";
import type { ChatRequest } from "../chat-request";
import { gatewayConfig } from "../config";
import { GatewayError } from "../errors";
import { breaker, type FailoverTarget } from "../failover";
import { modelHealth } from "../model-health";
import type { Routed } from "../pipeline";
import type { PreparedChatBody } from "../prepared-body";
import { chooseOutputCap } from "../providers/openai-compatible";
import { routeAuto, type AutoCandidate, type AutoVariant } from "./router";
import { lookupSticky, rememberSticky, stickyKey } from "./sticky";

// The I/O side of `model: "auto"`: the candidates this key may use with their live health, the
// conversation's sticky model, the router's decision (router.ts), and the explanation the answer
// and the receipt carry: `<model>; tier=<difficulty>; variant=<variant>; reason=<reason>`.

const MAX_LISTED_MODELS = 32;

export async function routeAutoRequest(key: KeyContext, body: PreparedChatBody, variant: AutoVariant): Promise<Routed> {
  const features = body.auto;
  if (!features) throw new Error("auto routing without request features"); // prepared-body sets them
  const head = body.head as ChatRequest;
  const requested = requestedModels(head.models);
  const catalog = await getCatalog();
  const health = breaker();

  const channelsOf = new Map<string, FailoverTarget>();
  const candidates: AutoCandidate[] = [];
  for (const model of catalog.models.values()) {
    if (model.kind !== "CHAT") continue;
    if (key.allowedModels.length > 0 && !key.allowedModels.includes(model.id)) continue;
    const channels = catalog.channels.filter((c) => c.models.has(model.id));
    if (channels.length === 0) continue;
    channelsOf.set(model.id, { model, channels });
    const live = modelHealth(model.id);
    candidates.push(
      candidate(
        model,
        head,
        channels.some((c) => health.isAvailable(c.id)),
        live,
      ),
    );
  }
  if (candidates.length === 0) {
    throw new GatewayError("service_unavailable", "No model is available for automatic routing right now.");
  }

  const conversation = stickyKey(key.organizationId, variant, features.conversationKey);
  const sticky = features.userTurns > 1 ? await lookupSticky(conversation) : null;
  const decision = routeAuto({
    variant,
    needs: {
      difficulty: features.difficulty,
      tools: features.needsTools,
      vision: features.needsVision,
      json: features.needsJson,
      promptTokens: body.promptTokenEstimate,
    },
    candidates,
    requested,
    sticky,
  });
  if (!decision.ok) {
    throw new GatewayError("invalid_request", decision.message, {
      code: "no_capable_model",
      param: decision.unmet === "models" ? "models" : "model",
    });
  }

  const chosen = decision.order[0];
  const attempts = gatewayConfig().TOKENFLOW_MAX_RETRIES + 1;
  return {
    targets: decision.order.slice(0, attempts).map((id) => channelsOf.get(id)!),
    auto: {
      describe: (modelId) =>
        `${modelId}; tier=${features.difficulty}; variant=${variant}; reason=${modelId === chosen ? decision.reason : "fallback"}`,
      onServed: (modelId) => rememberSticky(conversation, modelId),
    },
  };
}

function candidate(
  model: CatalogModel,
  head: ChatRequest,
  available: boolean,
  live: { latencyMs: number | null; errorRate: number },
): AutoCandidate {
  return {
    id: model.id,
    qualityTier: model.qualityTier,
    inputPriceNanos: model.prices.inputPriceNanos,
    outputPriceNanos: model.prices.outputPriceNanos,
    contextWindow: model.contextWindow,
    outputCap: chooseOutputCap(head, model).value,
    supportsTools: model.supportsTools,
    supportsVision: model.supportsVision,
    supportsJson: model.supportsJson,
    available,
    latencyMs: live.latencyMs,
    errorRate: live.errorRate,
  };
}

/** OpenRouter's `models`: the models to choose among, the others following in order as fallbacks. */
function requestedModels(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > MAX_LISTED_MODELS ||
    !value.every((id) => typeof id === "string" && id.length > 0 && id.length <= 200)
  ) {
    throw new GatewayError(
      "invalid_request",
      `Invalid value for 'models': must be a list of 1 to ${MAX_LISTED_MODELS} model ids.`,
      { param: "models" },
    );
  }
  return [...new Set(value as string[])];
}

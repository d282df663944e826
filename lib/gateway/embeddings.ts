import { nanosToUsd } from "@/lib/billing/money";
import { prepareEmbeddingsBody } from "./body-pool";
import type { EmbeddingsRequest } from "./chat-request";
import { withFailover } from "./failover";
import { handleBilledRequest, settleWithoutOutput, type RelayContext } from "./pipeline";
import { demoEmbeddingsBody } from "./providers/demo";
import { buildUpstreamEmbeddingsBody, parseUsage } from "./providers/openai-compatible";
import { routedTo, routeModel, upstreamModelName } from "./route-model";
import { materializeBody, type PreparedEmbeddingsBody } from "./prepared-body";
import { embeddingBoundFromItems } from "./tokens";
import { postUpstreamJson } from "./upstream";
import { GatewayResponse, type GatewayRequest } from "./http";

// POST /v1/embeddings: the billed pipeline without streaming and without output tokens.

export function handleEmbeddings(request: GatewayRequest): Promise<GatewayResponse> {
  return handleBilledRequest<PreparedEmbeddingsBody>(request, {
    endpoint: "embeddings",
    kind: "EMBEDDING",
    prepare: prepareEmbeddingsBody,
    modelId: (body) => (body.head as EmbeddingsRequest).model,
    isStream: () => false,
    route: async (key, body) => routedTo(await routeModel(key, (body.head as EmbeddingsRequest).model, "EMBEDDING")),
    bounds: (body, model) => ({
      promptTokensUpperBound: embeddingBoundFromItems(body.itemBounds, model.contextWindow),
      outputTokensCap: 0,
      n: 1,
    }),
    tokenEstimate: (body) => body.inputTokenEstimate,
    relay: relayEmbeddings,
  });
}

async function relayEmbeddings({
  request,
  headers,
  body,
  targets,
  meter,
}: RelayContext<PreparedEmbeddingsBody>): Promise<GatewayResponse> {
  let result;
  try {
    result = await withFailover(targets, request.signal, async (channel, model, attempt) => {
      if (channel.provider === "demo") {
        const { input } = materializeBody(body) as EmbeddingsRequest; // the demo answers from the input itself
        return demoEmbeddingsBody(input, model.id) as Record<string, unknown>;
      }
      const upstreamBody = buildUpstreamEmbeddingsBody(
        body,
        upstreamModelName(channel, model.id),
        model.extraRequestFields,
      );
      return postUpstreamJson(channel, "/embeddings", upstreamBody, attempt);
    });
  } catch (err) {
    return settleWithoutOutput(meter, err);
  }

  const { model } = result;
  const response = result.value;
  // Embeddings have no output tokens. Without usage from upstream, count the input ourselves.
  const reported = response.usage ? parseUsage({ completion_tokens: 0, ...(response.usage as object) }) : null;
  const usage = reported ?? { inputTokens: body.inputTokenEstimate, cachedInputTokens: 0, outputTokens: 0 };
  const chargedNanos = await meter.charge({
    status: 200,
    usage,
    usageSource: reported ? "UPSTREAM" : "ESTIMATED",
    channelId: result.channel.id,
    upstreamModel: upstreamModelName(result.channel, model.id),
    attempts: result.attempts,
  });
  response.model = model.id;
  response.usage = {
    ...((response.usage as object) ?? { prompt_tokens: usage.inputTokens, total_tokens: usage.inputTokens }),
    cost_usd: nanosToUsd(chargedNanos),
  };
  return GatewayResponse.json(response, {
    headers: {
      ...headers,
      "x-request-id": meter.init.requestId,
      "x-tokenflow-model": model.id,
      "x-tokenflow-cost-usd": nanosToUsd(chargedNanos),
    },
  });
}

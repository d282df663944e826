import { admitHold } from "@/lib/billing/holds";
import { holdNanos } from "@/lib/billing/hold-amount";
import { nanosToUsd } from "@/lib/billing/money";
import { getPool } from "@/lib/db/pool";
import { authenticateRequest, type KeyContext } from "./auth";
import { parseEmbeddingsRequest, type EmbeddingsRequest } from "./chat-request";
import { gatewayConfig } from "./config";
import { errorResponse, GatewayError, toGatewayError } from "./errors";
import { ClientClosedError, failureFromStatus, UpstreamFailure, withFailover } from "./failover";
import { logRefusedRequest, Meter, newRequestId } from "./meter";
import { demoEmbeddingsBody } from "./providers/demo";
import { parseUsage } from "./providers/openai-compatible";
import { readJsonBody } from "./read-body";
import { routeModel, upstreamModelName } from "./route-model";
import { embeddingInputUpperBound } from "./tokens";
import { postUpstream, readUpstreamBody } from "./upstream";

// POST /v1/embeddings: same pipeline as chat, without streaming and without output tokens.

export async function handleEmbeddings(request: Request): Promise<Response> {
  const requestId = newRequestId();
  const startedAt = performance.now();
  const createdAt = new Date();
  let key: KeyContext | undefined;
  let body: EmbeddingsRequest | undefined;
  try {
    key = await authenticateRequest(request.headers);
    body = parseEmbeddingsRequest(await readJsonBody(request, gatewayConfig().TOKENFLOW_MAX_BODY_BYTES));
    const { model, channels } = await routeModel(key, body.model, "EMBEDDING");
    const hold = holdNanos({ promptTokensUpperBound: embeddingInputUpperBound(body.input, model.contextWindow), outputTokensCap: 0, n: 1 }, model.prices);
    const admitted = await admitHold(getPool(), { requestId, organizationId: key.organizationId, apiKeyId: key.apiKeyId, amountNanos: hold });
    if (admitted !== "ok") throw new GatewayError("insufficient_quota", "You exceeded your current quota: your TokenFlow balance is too low for this request. Top up to continue.");
    const meter = new Meter({ requestId, startedAt, createdAt, key, endpoint: "embeddings", modelRequested: body.model, modelRouted: model.id, isStream: false, prices: model.prices, holdNanos: hold });
    const request_ = body;

    let result;
    try {
      result = await withFailover(channels, request.signal, async (channel, signal) => {
        if (channel.provider === "demo") return demoEmbeddingsBody(request_.input, model.id) as Record<string, unknown>;
        const upstream = await postUpstream(channel, "/embeddings", { ...request_, model: upstreamModelName(channel, model.id) }, signal);
        const text = await readUpstreamBody(upstream.body);
        if (upstream.status !== 200) throw failureFromStatus(upstream.status, text);
        try {
          return JSON.parse(text) as Record<string, unknown>;
        } catch {
          throw new UpstreamFailure("upstream sent invalid JSON", true, upstream.status);
        }
      });
    } catch (err) {
      const failure = err instanceof ClientClosedError ? err : toGatewayError(err);
      await meter.settle({ status: failure instanceof ClientClosedError ? 499 : failure.status, errorCode: failure instanceof ClientClosedError ? "client_closed" : failure.code ?? failure.type, usage: null, usageSource: "NONE" });
      throw failure;
    }

    const response = result.value;
    const usage = parseUsage({ completion_tokens: 0, ...(response.usage as object) });
    const charged = await meter.settle({
      status: 200,
      usage,
      usageSource: usage ? "UPSTREAM" : "NONE",
      channelId: result.channel.id,
      upstreamModel: upstreamModelName(result.channel, model.id),
      attempts: result.attempts,
    });
    response.model = model.id;
    response.usage = { ...(response.usage as object), cost_usd: nanosToUsd(charged) };
    return Response.json(response, {
      headers: { "x-request-id": requestId, "x-tokenflow-model": model.id, "x-tokenflow-cost-usd": nanosToUsd(charged) },
    });
  } catch (err) {
    const error = toGatewayError(err);
    if (key && !(err instanceof ClientClosedError)) {
      await logRefusedRequest({ requestId, startedAt, createdAt, key, endpoint: "embeddings", modelRequested: body?.model ?? "", isStream: false, status: error.status, errorCode: error.code ?? error.type });
    }
    return errorResponse(error, requestId);
  }
}

import { newRequestId } from "@/lib/http/request-id";
import { authenticateRequest } from "../../auth";
import { autoVariant } from "../../auto/router";
import { bodyLimits } from "../../body-pool";
import { gatewayConfig } from "../../config";
import { breaker } from "../../failover";
import { enforceLimits } from "../../limits";
import { anthropicAuth } from "../../providers/anthropic/adapter";
import { parseJsonBytes, readBodyBytes } from "../../read-body";
import { routeModel, upstreamModelName } from "../../route-model";
import { postUpstream, readUpstreamBody } from "../../upstream";
import type { CatalogChannel } from "../../catalog";
import { estimateMessagesInputTokens } from "./count-tokens";
import { anthropicErrorResponse } from "./errors";
import { parseCountTokensRequest, type CountTokensRequest } from "./request";
import { GatewayResponse, type GatewayRequest } from "../../http";

// POST /v1/messages/count_tokens (https://docs.anthropic.com/en/api/messages-count-tokens): free.
// A model served by an Anthropic channel is counted by Anthropic itself (exact); any other model,
// or an Anthropic channel that does not answer within a few seconds, gets our local estimate.
// Authenticated and rate limited like any request, never billed.

const NATIVE_COUNT_TIMEOUT_MS = 5_000;

export async function handleCountTokens(request: GatewayRequest): Promise<GatewayResponse> {
  const requestId = newRequestId();
  try {
    const key = await authenticateRequest(request.headers);
    const limits = await enforceLimits(key);
    try {
      const config = gatewayConfig();
      const bytes = await readBodyBytes(request, config.TOKENFLOW_MAX_BODY_BYTES);
      const limitsOfBody = bodyLimits();
      const body = parseCountTokensRequest(parseJsonBytes(bytes, limitsOfBody.maxDepth), limitsOfBody);
      let inputTokens: number | null = null;
      if (!autoVariant(body.model)) {
        const route = await routeModel(key, body.model, "CHAT");
        const channel = route.channels.find((c) => c.provider === "anthropic" && breaker().isAvailable(c.id));
        if (channel) inputTokens = await countNatively(channel, upstreamModelName(channel, route.model.id), body);
      }
      return GatewayResponse.json(
        { input_tokens: inputTokens ?? estimateMessagesInputTokens(body) },
        { headers: { ...limits.headers, "x-request-id": requestId, "request-id": requestId } },
      );
    } finally {
      await limits.release();
    }
  } catch (err) {
    return anthropicErrorResponse(err, requestId);
  }
}

/** Anthropic's own count, or null when it could not be had (the estimate answers instead). */
async function countNatively(channel: CatalogChannel, model: string, body: CountTokensRequest): Promise<number | null> {
  const { system, messages, tools, tool_choice, thinking } = body as Record<string, unknown>;
  try {
    const response = await postUpstream(
      channel,
      "/messages/count_tokens",
      {
        model,
        messages,
        ...(system ? { system } : {}),
        ...(tools ? { tools } : {}),
        ...(tool_choice ? { tool_choice } : {}),
        ...(thinking ? { thinking } : {}),
      },
      {
        signal: AbortSignal.timeout(NATIVE_COUNT_TIMEOUT_MS),
        headersTimeoutMs: NATIVE_COUNT_TIMEOUT_MS,
        auth: anthropicAuth(channel),
      },
    );
    const text = await readUpstreamBody(response.body, 64 * 1024);
    if (response.status !== 200) return null;
    const count = (JSON.parse(text) as { input_tokens?: unknown }).input_tokens;
    return typeof count === "number" && Number.isInteger(count) && count >= 0 ? count : null;
  } catch {
    return null;
  }
}

import { admitHold } from "@/lib/billing/holds";
import { holdNanos } from "@/lib/billing/hold-amount";
import { nanosToUsd, type TokenCounts } from "@/lib/billing/money";
import { getPool } from "@/lib/db/pool";
import { authenticateRequest, type KeyContext } from "./auth";
import { parseChatRequest, type ChatRequest } from "./chat-request";
import { gatewayConfig } from "./config";
import { errorResponse, GatewayError, sseErrorEvent, toGatewayError } from "./errors";
import { ClientClosedError, failureFromStatus, UpstreamFailure, withFailover } from "./failover";
import { logRefusedRequest, Meter, newRequestId, type UsageSource } from "./meter";
import { buildUpstreamChatBody, chooseOutputCap, parseUsage, type OutputCap } from "./providers/openai-compatible";
import { demoChatCompletionBody, demoChatStreamEvents } from "./providers/demo";
import { readJsonBody } from "./read-body";
import { routeModel, upstreamModelName } from "./route-model";
import { ChatStreamTranslator } from "./stream-translator";
import { estimateTokens, promptTokenUpperBound } from "./tokens";
import { postUpstream, readUpstreamBody } from "./upstream";
import type { CatalogChannel } from "./catalog";

// POST /v1/chat/completions: authenticate → validate → route → hold → relay (with failover) → settle.

export async function handleChatCompletions(request: Request): Promise<Response> {
  const requestId = newRequestId();
  const startedAt = performance.now();
  const createdAt = new Date();
  let key: KeyContext | undefined;
  let body: ChatRequest | undefined;
  try {
    key = await authenticateRequest(request.headers);
    body = parseChatRequest(await readJsonBody(request, gatewayConfig().TOKENFLOW_MAX_BODY_BYTES));
    const { model, channels } = await routeModel(key, body.model, "CHAT");
    const cap = chooseOutputCap(body, model);
    const hold = holdNanos(
      { promptTokensUpperBound: promptTokenUpperBound(body, model.contextWindow), outputTokensCap: cap.value, n: body.n ?? 1 },
      model.prices,
    );
    const admitted = await admitHold(getPool(), { requestId, organizationId: key.organizationId, apiKeyId: key.apiKeyId, amountNanos: hold });
    if (admitted !== "ok") throw quotaError(admitted);

    const meter = new Meter({
      requestId,
      startedAt,
      createdAt,
      key,
      endpoint: "chat.completions",
      modelRequested: body.model,
      modelRouted: model.id,
      isStream: Boolean(body.stream),
      prices: model.prices,
      holdNanos: hold,
    });
    // From here on every path settles the hold exactly once.
    return body.stream
      ? await relayStream(request, body, cap, channels, meter)
      : await relayJson(request, body, cap, channels, meter);
  } catch (err) {
    const error = toGatewayError(err);
    if (key) {
      await logRefusedRequest({
        requestId,
        startedAt,
        createdAt,
        key,
        endpoint: "chat.completions",
        modelRequested: body?.model ?? "",
        isStream: Boolean(body?.stream),
        status: error.status,
        errorCode: error.code ?? error.type,
      });
    }
    return errorResponse(error, requestId);
  }
}

function quotaError(result: "insufficient_quota" | "key_spend_limit"): GatewayError {
  return result === "key_spend_limit"
    ? new GatewayError("insufficient_quota", "This API key has reached its spend limit. Raise the limit or use another key.")
    : new GatewayError("insufficient_quota", "You exceeded your current quota: your TokenFlow balance is too low for this request. Top up to continue.");
}

function upstreamBodyFor(channel: CatalogChannel, body: ChatRequest, cap: OutputCap) {
  return buildUpstreamChatBody(body, upstreamModelName(channel, body.model), cap);
}

/** Settles a request that produced nothing (all channels failed, client left first): free. */
async function settleFailure(meter: Meter, error: GatewayError | ClientClosedError, attempts = 0): Promise<never> {
  const status = error instanceof ClientClosedError ? 499 : error.status;
  await meter.settle({ status, errorCode: error instanceof ClientClosedError ? "client_closed" : error.code ?? error.type, usage: null, usageSource: "NONE", attempts });
  throw error;
}

function responseHeaders(requestId: string, modelId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { "x-request-id": requestId, "x-tokenflow-model": modelId, ...extra };
}

function usageWithCost(raw: Record<string, unknown> | null, usage: TokenCounts, chargedNanos: bigint): Record<string, unknown> {
  const prompt = usage.inputTokens + usage.cachedInputTokens;
  const base = raw ?? { prompt_tokens: prompt, completion_tokens: usage.outputTokens, total_tokens: prompt + usage.outputTokens };
  return { ...base, cost_usd: nanosToUsd(chargedNanos) };
}

function estimatePromptTokens(body: ChatRequest): number {
  return estimateTokens(JSON.stringify(body.messages));
}

// ---------------------------------------------------------------------------------------------
// Non-streaming

async function relayJson(request: Request, body: ChatRequest, cap: OutputCap, channels: CatalogChannel[], meter: Meter): Promise<Response> {
  const publicModel = meter.init.modelRouted;
  let result;
  try {
    result = await withFailover(channels, request.signal, async (channel, signal) => {
      if (channel.provider === "demo") return demoChatCompletionBody(body, publicModel, cap.value) as Record<string, unknown>;
      const upstream = await postUpstream(channel, "/chat/completions", upstreamBodyFor(channel, body, cap), signal);
      const text = await readUpstreamBody(upstream.body);
      if (upstream.status !== 200) throw failureFromStatus(upstream.status, text);
      try {
        return JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new UpstreamFailure("upstream sent invalid JSON", true, upstream.status);
      }
    });
  } catch (err) {
    return settleFailure(meter, err instanceof ClientClosedError ? err : toGatewayError(err));
  }

  const completion = result.value;
  let usage = parseUsage(completion.usage);
  let source: UsageSource = "UPSTREAM";
  if (!usage) {
    // No usage from upstream: count what it actually produced.
    const text = JSON.stringify((completion.choices as unknown[] | undefined) ?? []);
    const produced = estimateTokens(text);
    usage = produced > 0 ? { inputTokens: estimatePromptTokens(body), cachedInputTokens: 0, outputTokens: produced } : null;
    source = usage ? "ESTIMATED" : "NONE";
  }
  const charged = await meter.settle({
    status: 200,
    usage,
    usageSource: source,
    channelId: result.channel.id,
    upstreamModel: upstreamModelName(result.channel, body.model),
    attempts: result.attempts,
  });
  completion.model = publicModel;
  completion.usage = usageWithCost(
    (completion.usage as Record<string, unknown>) ?? null,
    usage ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
    charged,
  );
  return Response.json(completion, {
    headers: responseHeaders(meter.init.requestId, publicModel, { "x-tokenflow-cost-usd": nanosToUsd(charged) }),
  });
}

// ---------------------------------------------------------------------------------------------
// Streaming

interface StreamSource {
  iterator: AsyncIterator<Uint8Array>;
  first: Uint8Array;
  close: () => void;
}

const encoder = new TextEncoder();

async function openStream(channel: CatalogChannel, body: ChatRequest, cap: OutputCap, publicModel: string, signal: AbortSignal): Promise<StreamSource> {
  if (channel.provider === "demo") {
    const events = demoChatStreamEvents(body, publicModel, cap.value);
    const iterator = (async function* () {
      for (const event of events) yield encoder.encode(event);
    })();
    const first = await iterator.next();
    return { iterator, first: first.value as Uint8Array, close: () => void iterator.return(undefined) };
  }
  const upstream = await postUpstream(channel, "/chat/completions", upstreamBodyFor(channel, body, cap), signal);
  if (upstream.status !== 200) throw failureFromStatus(upstream.status, await readUpstreamBody(upstream.body).catch(() => ""));
  const iterator = upstream.body[Symbol.asyncIterator]();
  // Wait for the first bytes before answering: a stream that dies here can still fail over.
  const first = await iterator.next();
  if (first.done) throw new UpstreamFailure("upstream stream ended before any data", true);
  return { iterator, first: first.value, close: () => upstream.body.destroy?.() };
}

async function relayStream(request: Request, body: ChatRequest, cap: OutputCap, channels: CatalogChannel[], meter: Meter): Promise<Response> {
  const publicModel = meter.init.modelRouted;
  let result;
  try {
    result = await withFailover(channels, request.signal, (channel, signal) => openStream(channel, body, cap, publicModel, signal));
  } catch (err) {
    return settleFailure(meter, err instanceof ClientClosedError ? err : toGatewayError(err));
  }
  const { channel, attempts, controller } = result;
  const source = result.value;
  const upstreamModel = upstreamModelName(channel, body.model);
  const translator = new ChatStreamTranslator(publicModel, upstreamModel);
  const includeUsage = body.stream_options?.include_usage === true;
  let pending: Uint8Array | null = source.first;
  let finished = false;

  const finish = async (clientGone: boolean): Promise<string> => {
    finished = true;
    const stats = translator.stats;
    const completed = translator.completed;
    let usage = stats.usage;
    let usageSource: UsageSource = "UPSTREAM";
    if (!usage || !completed) {
      // Cut short or no usage reported: bill what the upstream actually produced, counted here.
      // The provider may report usage before it is cut; prefer it when present.
      if (!usage) {
        usage = stats.deltas > 0 ? { inputTokens: estimatePromptTokens(body), cachedInputTokens: 0, outputTokens: stats.deltas } : null;
        usageSource = usage ? "ESTIMATED" : "NONE";
      }
    }
    const errorCode = clientGone ? "client_closed" : completed ? null : "upstream_stream_error";
    const charged = await meter.settle({
      status: 200,
      errorCode,
      usage,
      usageSource,
      channelId: channel.id,
      upstreamModel,
      attempts,
      ttftMs: stats.firstDeltaAt === null ? null : Math.round(stats.firstDeltaAt - meter.init.startedAt),
    });
    if (clientGone) return "";
    if (!completed) {
      return sseErrorEvent(new GatewayError("upstream_error", "The upstream model provider ended the stream unexpectedly."));
    }
    const tail = includeUsage
      ? translator.usageEvent(usageWithCost(stats.rawUsage, usage ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 }, charged))
      : "";
    return tail + "data: [DONE]\n\n";
  };

  const stream = new ReadableStream<Uint8Array>({
    async pull(output) {
      try {
        for (;;) {
          let chunk: Uint8Array;
          if (pending) {
            chunk = pending;
            pending = null;
          } else {
            const next = await source.iterator.next();
            if (next.done) break;
            chunk = next.value;
          }
          const text = translator.push(chunk);
          if (translator.stats.upstreamError) break;
          if (text) {
            output.enqueue(encoder.encode(text));
            return;
          }
        }
      } catch {
        if (finished) return; // cancelled by the client meanwhile
        // Upstream connection failed mid-stream: fall through to finish (bills what was produced).
      }
      if (finished) return;
      source.close();
      const tail = await finish(false);
      if (tail) output.enqueue(encoder.encode(tail));
      output.close();
    },
    async cancel() {
      // The client left: stop the upstream at once, then bill what it had produced.
      controller.abort(new ClientClosedError());
      source.close();
      if (!finished) await finish(true);
    },
  });

  // Belt and braces: if the runtime reports the disconnect on the request rather than by
  // cancelling the body, settle from here.
  request.signal.addEventListener(
    "abort",
    () => {
      if (finished) return;
      source.close();
      void finish(true);
    },
    { once: true },
  );

  return new Response(stream, {
    headers: responseHeaders(meter.init.requestId, publicModel, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    }),
  });
}

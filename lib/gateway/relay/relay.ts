import { nanosToUsd, type TokenCounts } from "@/lib/billing/money";
import { ServerShutdown } from "@/lib/server/lifecycle";
import type { ChatRequest } from "../chat-request";
import { streamTimeLimitMs } from "@/lib/billing/config";
import { GatewayError } from "../errors";
import { ClientClosedError, UpstreamFailure, withFailover } from "../failover";
import type { Meter, UsageSource } from "@/lib/billing/meter";
import { settleWithoutOutput, type RelayContext } from "../pipeline";
import type { PreparedChatBody } from "../prepared-body";
import type { AdapterCall, ProviderAdapter } from "../providers/adapter";
import { chooseOutputCap, parseUsage } from "../providers/openai-compatible";
import { adapterFor } from "../providers/registry";
import { upstreamModelName } from "../route-model";
import { estimateTokens } from "../tokens";
import type { CatalogChannel, CatalogModel } from "../catalog";
import type { AttemptContext } from "../failover";
import type { ChargedUsage, InboundCodec } from "./codec";
import { GatewayResponse } from "../http";
import { RelayedStream } from "./relayed-stream";

// The one billed relay of every chat-shaped request, whatever surface it came in on and whichever
// provider answers it: failover over the targets' channels (each through its provider's adapter),
// exactly one settlement, and the answer encoded by the inbound surface's codec.

export function relayChat(context: RelayContext<PreparedChatBody>, codec: InboundCodec): Promise<GatewayResponse> {
  return head(context.body).stream ? relayStream(context, codec) : relayCompletion(context, codec);
}

function head(body: PreparedChatBody): ChatRequest {
  return body.head as ChatRequest;
}

function callFor(
  codec: InboundCodec,
  body: PreparedChatBody,
  channel: CatalogChannel,
  model: CatalogModel,
  attempt: AttemptContext,
): { adapter: ProviderAdapter; call: AdapterCall } {
  const adapter = adapterFor(channel.provider);
  return {
    adapter,
    call: {
      channel,
      model,
      body,
      outputCap: chooseOutputCap(head(body), model).value,
      attempt,
      native: codec.nativeBody?.(adapter),
    },
  };
}

function responseHeaders(
  meter: Meter,
  common: Record<string, string>,
  extra: Record<string, string>,
): Record<string, string> {
  return {
    ...common,
    "x-request-id": meter.init.requestId,
    "x-tokenflow-model": meter.init.modelRouted,
    ...(meter.init.routeReason ? { "x-tokenflow-route": meter.init.routeReason } : {}),
    ...extra,
  };
}

/**
 * The usage the client is told: the upstream's own object when it sent one (it may carry details we
 * do not bill on), else our counts in OpenAI's shape; with the cost we chargedNanos.
 */
export function usageWithCost(
  raw: Record<string, unknown> | null,
  usage: TokenCounts,
  chargedNanos: bigint,
): ChargedUsage {
  const cacheWrite = usage.cacheWriteInputTokens ?? 0;
  const prompt = usage.inputTokens + usage.cachedInputTokens + cacheWrite;
  const base = raw ?? {
    prompt_tokens: prompt,
    completion_tokens: usage.outputTokens,
    total_tokens: prompt + usage.outputTokens,
    ...(usage.cachedInputTokens > 0 || cacheWrite > 0
      ? {
          prompt_tokens_details: {
            cached_tokens: usage.cachedInputTokens,
            ...(cacheWrite > 0 ? { cache_write_tokens: cacheWrite } : {}),
          },
        }
      : {}),
  };
  return { ...(base as ChargedUsage), cost_usd: nanosToUsd(chargedNanos) };
}

const NO_TOKENS: TokenCounts = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };

// ---------------------------------------------------------------------------------------------
// Non-streaming

async function relayCompletion(
  { request, headers, body, targets, meter }: RelayContext<PreparedChatBody>,
  codec: InboundCodec,
): Promise<GatewayResponse> {
  let result;
  try {
    result = await withFailover(targets, request.signal, async (channel, model, attempt) => {
      const { adapter, call } = callFor(codec, body, channel, model, attempt);
      return { adapter, answer: await adapter.complete(call) };
    });
  } catch (err) {
    return settleWithoutOutput(meter, err);
  }
  const { model } = result;
  meter.serveWith(model);
  const { adapter, answer } = result.value;
  const completion = answer.completion;
  let usage = parseUsage(completion.usage);
  let source: UsageSource = "UPSTREAM";
  if (!usage) {
    // No usage from upstream: count what it actually produced.
    const produced = estimateTokens(JSON.stringify(completion.choices ?? []));
    usage =
      produced > 0 ? { inputTokens: body.promptTokenEstimate, cachedInputTokens: 0, outputTokens: produced } : null;
    source = usage ? "ESTIMATED" : "NONE";
  }
  const chargedNanos = await meter.charge({
    status: 200,
    usage,
    usageSource: source,
    channelId: result.channel.id,
    upstreamModel: upstreamModelName(result.channel, model.id),
    attempts: result.attempts,
  });
  return codec.completionResponse({
    answer,
    adapter,
    publicModel: model.id,
    usage: usageWithCost((completion.usage as Record<string, unknown>) ?? null, usage ?? NO_TOKENS, chargedNanos),
    headers: responseHeaders(meter, headers, { "x-tokenflow-cost-usd": nanosToUsd(chargedNanos) }),
  });
}

// ---------------------------------------------------------------------------------------------
// Streaming

async function relayStream(
  { request, headers, body, targets, meter }: RelayContext<PreparedChatBody>,
  codec: InboundCodec,
): Promise<GatewayResponse> {
  let result;
  try {
    result = await withFailover(targets, request.signal, async (channel, model, attempt) => {
      const { adapter, call } = callFor(codec, body, channel, model, attempt);
      return { adapter, source: await adapter.openStream(call) };
    });
  } catch (err) {
    return settleWithoutOutput(meter, err);
  }
  const { model } = result;
  meter.serveWith(model);
  const { channel, attempts, controller } = result;
  const { adapter, source } = result.value;
  const upstreamModel = upstreamModelName(channel, model.id);
  const translator = codec.clientStream({ adapter, publicModel: model.id });
  let finished = false;
  // A stream must settle before the sweeper could take its hold for an orphan: past that age it is
  // cut (and billed for what was produced). Keep-alive comments alone would otherwise hold it open.
  // Why the stream was cut on our side, if it was: billed for what was produced, and said in the receipt.
  let cutBy: "max_duration" | "server_shutdown" | null = null;
  const maxDuration = setTimeout(() => {
    cutBy = "max_duration";
    controller.abort(new UpstreamFailure("stream exceeded the maximum duration", "timeout"));
    source.close();
  }, streamTimeLimitMs());
  maxDuration.unref();

  const finish = async (clientGone: boolean): Promise<string> => {
    finished = true;
    clearTimeout(maxDuration);
    const stats = translator.stats;
    const completed = translator.completed;
    let usage = stats.usage;
    let usageSource: UsageSource = "UPSTREAM";
    // Cut short or no usage reported: bill what the upstream actually produced, counted here.
    // The provider may report usage before it is cut; prefer it when present.
    if (!usage) {
      usage =
        stats.deltas > 0
          ? { inputTokens: body.promptTokenEstimate, cachedInputTokens: 0, outputTokens: stats.deltas }
          : null;
      usageSource = usage ? "ESTIMATED" : "NONE";
    }
    // A stream we cut whose client was not reading is settled when its connection is closed: still our cut.
    const errorCode = clientGone ? (cutBy ?? "client_closed") : completed ? null : (cutBy ?? "upstream_stream_error");
    const chargedNanos = await meter.charge({
      status: 200,
      errorCode,
      usage,
      usageSource,
      channelId: channel.id,
      upstreamModel,
      attempts,
      ttftMs: stats.firstDeltaAt === null ? null : Math.round(stats.firstDeltaAt - meter.init.startedAt),
    });
    // Unlike a non-streaming answer, a stream's closing events wait for its settlement: nobody waits
    // on the end of a stream, but a client that opens its next stream at once would otherwise have
    // that stream's admission (its first token) wait behind this settlement on the organization's
    // row (measured: +7 ms time to first token at 32 streams).
    await meter.settled();
    if (clientGone) return "";
    if (!completed) {
      const message =
        cutBy === "server_shutdown"
          ? "The server is restarting: this stream was cut. You were billed only for the output produced."
          : "The upstream model provider ended the stream unexpectedly.";
      return translator.fail(new GatewayError("upstream_error", message, { code: cutBy ?? "upstream_error" }));
    }
    return translator.end(usageWithCost(stats.rawUsage, usage ?? NO_TOKENS, chargedNanos));
  };

  const stream = new RelayedStream(source, {
    translate(chunk) {
      const text = translator.push(chunk);
      return translator.stats.upstreamError ? null : text;
    },
    finish: () => (finished ? Promise.resolve("") : finish(false)),
    cancel() {
      // The client left: stop the upstream at once, then bill what it had produced.
      controller.abort(new ClientClosedError());
      source.close();
      if (!finished) void finish(true);
    },
  });

  // Belt and braces: if the runtime reports the disconnect on the request rather than by
  // destroying the body, settle from here (and end the body, in case anyone still reads it).
  // A server shutdown cuts the stream instead: it ends with an error event and is billed.
  request.signal.addEventListener(
    "abort",
    () => {
      if (finished) return;
      if (request.signal.reason instanceof ServerShutdown) {
        cutBy = "server_shutdown";
        source.close();
        return;
      }
      source.close();
      void finish(true);
    },
    { once: true },
  );

  return new GatewayResponse(
    200,
    responseHeaders(meter, headers, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    }),
    stream,
  );
}

import { nanosToUsd, type TokenCounts } from "@/lib/billing/money";
import { prepareChatBody } from "./body-pool";
import type { ChatRequest } from "./chat-request";
import { gatewayConfig } from "./config";
import { GatewayError, sseErrorEvent } from "./errors";
import { ClientClosedError, failureFromStatus, UpstreamFailure, withFailover, type AttemptContext } from "./failover";
import type { Meter, UsageSource } from "./meter";
import { handleBilledRequest, settleWithoutOutput, type Authenticate, type RelayContext } from "./pipeline";
import {
  buildUpstreamChatBody,
  chooseOutputCap,
  parseUsage,
  refusePriceRaisingFields,
  type OutputCap,
} from "./providers/openai-compatible";
import { demoChatCompletionBody, demoChatStreamEvents } from "./providers/demo";
import { routeAutoRequest } from "./auto/route-auto";
import { autoVariant } from "./auto/router";
import { routedTo, routeModel, upstreamModelName } from "./route-model";
import { ChatStreamTranslator } from "./stream-translator";
import { materializeBody, type PreparedChatBody } from "./prepared-body";
import { estimateTokens, promptTokenUpperBoundFromParts } from "./tokens";
import { postUpstream, postUpstreamJson, readUpstreamBody } from "./upstream";
import type { CatalogChannel, CatalogModel } from "./catalog";
import { ServerShutdown } from "@/lib/server/lifecycle";

// POST /v1/chat/completions, streaming or not, through the billed pipeline (pipeline.ts).

export function handleChatCompletions(request: Request, authenticate?: Authenticate): Promise<Response> {
  return handleBilledRequest<PreparedChatBody>(
    request,
    {
      endpoint: "chat.completions",
      kind: "CHAT",
      prepare: prepareChatBody,
      modelId: (body) => head(body).model,
      isStream: (body) => Boolean(head(body).stream),
      route: async (key, body) => {
        const variant = autoVariant(head(body).model);
        return variant
          ? routeAutoRequest(key, body, variant)
          : routedTo(await routeModel(key, head(body).model, "CHAT"));
      },
      check: (body, model) => refusePriceRaisingFields(body, model.extraRequestFields),
      bounds: (body, model) => ({
        promptTokensUpperBound: promptTokenUpperBoundFromParts(body.promptBound, model.contextWindow, {
          imageTokens: model.maxImageTokens,
        }),
        outputTokensCap: chooseOutputCap(head(body), model).value,
        n: head(body).n ?? 1,
      }),
      tokenEstimate: (body, model) =>
        body.promptTokenEstimate + chooseOutputCap(head(body), model).value * (head(body).n ?? 1),
      relay: (context) => (head(context.body).stream ? relayStream(context) : relayJson(context)),
    },
    authenticate,
  );
}

/** The body's small, validated fields (the model, stream, caps, n … are never large). */
function head(body: PreparedChatBody): ChatRequest {
  return body.head as ChatRequest;
}

/**
 * The body for one channel: the cap the hold covers, in the field this model (or else this channel)
 * says the upstream honours.
 */
function upstreamBodyFor(channel: CatalogChannel, model: CatalogModel, body: PreparedChatBody): Buffer {
  const cap: OutputCap = chooseOutputCap(head(body), model, model.outputCapField ?? channel.outputCapField);
  return buildUpstreamChatBody(body, upstreamModelName(channel, model.id), cap, model.extraRequestFields);
}

/** The demo provider answers from the messages themselves (a fresh install's bodies are small). */
function demoRequest(body: PreparedChatBody): ChatRequest {
  return materializeBody(body) as ChatRequest;
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

function usageWithCost(
  raw: Record<string, unknown> | null,
  usage: TokenCounts,
  chargedNanos: bigint,
): Record<string, unknown> {
  const prompt = usage.inputTokens + usage.cachedInputTokens;
  const base = raw ?? {
    prompt_tokens: prompt,
    completion_tokens: usage.outputTokens,
    total_tokens: prompt + usage.outputTokens,
  };
  return { ...base, cost_usd: nanosToUsd(chargedNanos) };
}

function streamTimeLimitMs(): number {
  const { TOKENFLOW_HOLD_TTL_MS } = gatewayConfig();
  return Math.max(TOKENFLOW_HOLD_TTL_MS - 60_000, TOKENFLOW_HOLD_TTL_MS / 2);
}

// ---------------------------------------------------------------------------------------------
// Non-streaming

async function relayJson({
  request,
  headers,
  body,
  targets,
  meter,
}: RelayContext<PreparedChatBody>): Promise<Response> {
  let result;
  try {
    result = await withFailover(targets, request.signal, async (channel, model, attempt) => {
      if (channel.provider === "demo")
        return demoChatCompletionBody(demoRequest(body), model.id, chooseOutputCap(head(body), model).value);
      return postUpstreamJson(channel, "/chat/completions", upstreamBodyFor(channel, model, body), attempt);
    });
  } catch (err) {
    return settleWithoutOutput(meter, err);
  }
  const { model } = result;
  meter.serveWith(model);
  const publicModel = model.id;

  const completion = result.value;
  let usage = parseUsage(completion.usage);
  let source: UsageSource = "UPSTREAM";
  if (!usage) {
    // No usage from upstream: count what it actually produced.
    const text = JSON.stringify((completion.choices as unknown[] | undefined) ?? []);
    const produced = estimateTokens(text);
    usage =
      produced > 0 ? { inputTokens: body.promptTokenEstimate, cachedInputTokens: 0, outputTokens: produced } : null;
    source = usage ? "ESTIMATED" : "NONE";
  }
  const charged = await meter.settle({
    status: 200,
    usage,
    usageSource: source,
    channelId: result.channel.id,
    upstreamModel: upstreamModelName(result.channel, model.id),
    attempts: result.attempts,
  });
  completion.model = publicModel;
  completion.usage = usageWithCost(
    (completion.usage as Record<string, unknown>) ?? null,
    usage ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
    charged,
  );
  return Response.json(completion, {
    headers: responseHeaders(meter, headers, { "x-tokenflow-cost-usd": nanosToUsd(charged) }),
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

async function openStream(
  channel: CatalogChannel,
  model: CatalogModel,
  body: PreparedChatBody,
  publicModel: string,
  { signal, remainingMs }: AttemptContext,
): Promise<StreamSource> {
  if (channel.provider === "demo") {
    const events = demoChatStreamEvents(demoRequest(body), publicModel, chooseOutputCap(head(body), model).value);
    const iterator = (async function* () {
      for (const event of events) yield encoder.encode(event);
    })();
    const first = await iterator.next();
    return { iterator, first: first.value as Uint8Array, close: () => void iterator.return(undefined) };
  }
  // A stream's headers come at once from a healthy upstream; the first-byte timeout bounds the wait.
  const upstream = await postUpstream(channel, "/chat/completions", upstreamBodyFor(channel, model, body), {
    signal,
    headersTimeoutMs: Math.min(gatewayConfig().TOKENFLOW_FIRST_BYTE_TIMEOUT_MS, remainingMs),
  });
  if (upstream.status !== 200)
    throw failureFromStatus(upstream.status, await readUpstreamBody(upstream.body, 1024 * 1024).catch(() => ""));
  const iterator = upstream.body[Symbol.asyncIterator]();
  // Wait for the first bytes before answering: a stream that dies here can still fail over.
  const first = await iterator.next();
  if (first.done) throw new UpstreamFailure("upstream stream ended before any data", "transient");
  return { iterator, first: first.value, close: () => upstream.body.destroy?.() };
}

async function relayStream({
  request,
  headers,
  body,
  targets,
  meter,
}: RelayContext<PreparedChatBody>): Promise<Response> {
  let result;
  try {
    result = await withFailover(targets, request.signal, (channel, model, attempt) =>
      openStream(channel, model, body, model.id, attempt),
    );
  } catch (err) {
    return settleWithoutOutput(meter, err);
  }
  const { model } = result;
  meter.serveWith(model);
  const publicModel = model.id;
  const { channel, attempts, controller } = result;
  const source = result.value;
  const upstreamModel = upstreamModelName(channel, model.id);
  const translator = new ChatStreamTranslator(publicModel);
  const includeUsage = head(body).stream_options?.include_usage === true;
  let pending: Uint8Array | null = source.first;
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
    if (!usage || !completed) {
      // Cut short or no usage reported: bill what the upstream actually produced, counted here.
      // The provider may report usage before it is cut; prefer it when present.
      if (!usage) {
        usage =
          stats.deltas > 0
            ? { inputTokens: body.promptTokenEstimate, cachedInputTokens: 0, outputTokens: stats.deltas }
            : null;
        usageSource = usage ? "ESTIMATED" : "NONE";
      }
    }
    // A stream we cut whose client was not reading is settled when its connection is closed: still our cut.
    const errorCode = clientGone ? (cutBy ?? "client_closed") : completed ? null : (cutBy ?? "upstream_stream_error");
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
      const message =
        cutBy === "server_shutdown"
          ? "The server is restarting: this stream was cut. You were billed only for the output produced."
          : "The upstream model provider ended the stream unexpectedly.";
      return sseErrorEvent(new GatewayError("upstream_error", message, { code: cutBy ?? "upstream_error" }));
    }
    const tail = includeUsage
      ? translator.usageEvent(
          usageWithCost(stats.rawUsage, usage ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 }, charged),
        )
      : "";
    return tail + "data: [DONE]\n\n";
  };

  let output: ReadableStreamDefaultController<Uint8Array> | undefined;
  const closeOutput = () => {
    try {
      output?.close();
    } catch {
      /* already closed or cancelled */
    }
  };

  const stream = new ReadableStream<Uint8Array>({
    start(controllerOfOutput) {
      output = controllerOfOutput;
    },
    async pull(out) {
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
            out.enqueue(encoder.encode(text));
            return;
          }
        }
      } catch {
        // The upstream connection failed mid-stream (or we closed it): finish below bills what was produced.
      }
      if (finished) return closeOutput(); // settled elsewhere (the client left): never leave the stream open
      source.close();
      const tail = await finish(false);
      try {
        if (tail) out.enqueue(encoder.encode(tail));
      } catch {
        /* the client left meanwhile */
      }
      closeOutput();
    },
    async cancel() {
      // The client left: stop the upstream at once, then bill what it had produced.
      controller.abort(new ClientClosedError());
      source.close();
      if (!finished) await finish(true);
    },
  });

  // Belt and braces: if the runtime reports the disconnect on the request rather than by
  // cancelling the body, settle from here (and end the body, in case anyone still reads it).
  // A server shutdown cuts the stream instead: the pull loop ends it with an error event and bills it.
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
      void finish(true).finally(closeOutput);
    },
    { once: true },
  );

  return new Response(stream, {
    headers: responseHeaders(meter, headers, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    }),
  });
}

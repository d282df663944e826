import type { AdmitResult } from "@/lib/billing/holds";
import { holdNanos } from "@/lib/billing/hold-amount";
import type { RequestLogRow } from "@/lib/billing/request-log";
import { admitOnHotPath, hotPathHoldPools } from "@/lib/billing/hot-path-admission";
import { isDatabaseUnavailable } from "@/lib/db/errors";
import { ServerShutdown } from "@/lib/server/lifecycle";
import { countAdmissionRetry } from "@/lib/metrics/hooks";
import { authenticateRequest, type KeyContext } from "./auth";
import type { CatalogModel } from "./catalog";
import { gatewayConfig } from "./config";
import { errorResponse, GatewayError, toGatewayError } from "./errors";
import { enforceLimits, type LimitGrant } from "./limits";
import { ClientClosedError, failedChannelOf, type FailoverTarget } from "./failover";
import { logRefusedRequest, Meter, newRequestId, settlementsInFlight, settlementsPending } from "@/lib/billing/meter";
import { readBodyBytes } from "./read-body";
import { GatewayResponse, type GatewayRequest, type HeaderReader } from "./http";

// The one request pipeline of every billed /v1 endpoint:
//   authenticate → request limits → read + parse → route → check → token limit → hold (one atomic
//   step) → relay with failover → settle (once).
// Everything that can refuse without the body (key, key and organization state, requests/min,
// concurrency) runs before the body is read, so a refusal costs no parse. Admission happens here,
// before any upstream call; settlement happens in the Meter, after it.

export interface HoldBounds {
  promptTokensUpperBound: number;
  outputTokensCap: number;
  n: number;
}

export interface RelayContext<B> {
  request: GatewayRequest;
  /** Headers every answer to this request carries (x-ratelimit-*). */
  headers: Record<string, string>;
  body: B;
  /** The model chosen and its channels first; for `model: "auto"`, fallback models after it. */
  targets: FailoverTarget[];
  meter: Meter;
}

/** Where a request goes: the model (and its channels), plus fallback models for `auto`. */
export interface Routed {
  targets: FailoverTarget[];
  /** `model: "auto"`: why this model (x-tokenflow-route) and what to do once a model answered. */
  auto?: { describe(modelId: string): string; onServed(modelId: string): void };
}

export interface BilledEndpoint<B> {
  endpoint: RequestLogRow["endpoint"];
  kind: CatalogModel["kind"];
  /** Decodes, checks, parses and measures the body (large ones off the main thread; 400 when malformed). */
  prepare(bytes: Buffer): Promise<B>;
  modelId(body: B): string;
  isStream(body: B): boolean;
  /** The model(s) that may serve it: 404 unknown, 403 not allowed for the key, 503 no channel. */
  route(key: KeyContext, body: B): Promise<Routed>;
  /** Refuses what this model cannot take or we cannot price (400), before anything is held. */
  check?(body: B, model: CatalogModel): void;
  /** Token bounds of this request on this model: the hold covers their worst case. */
  bounds(body: B, model: CatalogModel): HoldBounds;
  /** A realistic token count (prompt estimate + output cap) for tokens-per-minute limits, as OpenAI counts them. */
  tokenEstimate(body: B, model: CatalogModel): number;
  /** Calls the upstream and answers; must settle `meter` on every path. */
  relay(context: RelayContext<B>): Promise<GatewayResponse>;
  /** This surface's error envelope; OpenAI's by default. */
  renderError?(error: unknown, requestId: string): GatewayResponse;
}

/** Who pays: the request's bearer key on /v1; the key a signed-in member picked in the playground. */
export type Authenticate = (headers: HeaderReader) => Promise<KeyContext>;

export async function handleBilledRequest<B>(
  request: GatewayRequest,
  spec: BilledEndpoint<B>,
  authenticate: Authenticate = authenticateRequest,
): Promise<GatewayResponse> {
  let requestId = newRequestId();
  const startedAt = performance.now();
  const createdAt = new Date();
  let key: KeyContext | undefined;
  let body: B | undefined;
  let limits: LimitGrant | undefined;
  let meter: Meter | undefined;
  try {
    key = await authenticate(request.headers);
    limits = await enforceLimits(key);
    body = await spec.prepare(await readBodyBytes(request, gatewayConfig().TOKENFLOW_MAX_BODY_BYTES));
    const modelId = spec.modelId(body);
    const routed = await spec.route(key, body);
    const parsed = body;
    const model = routed.targets[0].model;
    spec.check?.(parsed, model);
    // A fallback model that could not take this request (a field it does not price) is left out.
    let targets = [
      routed.targets[0],
      ...routed.targets.slice(1).filter((t) => passes(() => spec.check?.(parsed, t.model))),
    ];
    await limits.consumeTokens(() => spec.tokenEstimate(parsed, model));

    // The hold covers whichever target model ends up answering; when the balance covers only the
    // chosen model, its dearer fallbacks are dropped rather than the request refused.
    const holdFor = (t: FailoverTarget) => holdNanos(spec.bounds(parsed, t.model), t.model.prices);
    let holdAmountNanos = targets.reduce((max, t) => (holdFor(t) > max ? holdFor(t) : max), 0n);
    let admitted = await admit(requestId, key, holdAmountNanos);
    if (admitted.result === "insufficient_quota" && targets.length > 1 && holdFor(targets[0]) < holdAmountNanos) {
      const primaryHold = holdFor(targets[0]);
      targets = targets.filter((t) => holdFor(t) <= primaryHold);
      holdAmountNanos = primaryHold;
      admitted = await admit(requestId, key, holdAmountNanos);
    }
    if (admitted.result !== "ok") {
      await limits.refund(); // a request refused for money does not count against rate limits
      throw quotaError(admitted.result);
    }
    requestId = admitted.holdId; // a pooled hold's id names the request from here on

    meter = new Meter({
      requestId,
      startedAt,
      createdAt,
      key,
      endpoint: spec.endpoint,
      modelRequested: modelId,
      modelRouted: model.id,
      routeReason: routed.auto?.describe(model.id) ?? null,
      isStream: spec.isStream(body),
      prices: model.prices,
      holdNanos: holdAmountNanos,
    });
    meter.onDone(limits.release);
    if (routed.auto) meter.onServed(routed.auto);
    return await spec.relay({ request, headers: limits.headers, body, targets, meter });
  } catch (err) {
    if (!meter) await limits?.release(); // refused before a meter took over the slot
    const shutdown = request.signal.reason instanceof ServerShutdown;
    const clientLeft = err instanceof ClientClosedError || (request.signal.aborted && !shutdown);
    const error = clientLeft ? null : shutdown && !(err instanceof GatewayError) ? restarting() : toGatewayError(err);
    // The receipt of a refused request (the meter writes those of admitted ones). Written before
    // the answer, so its x-request-id finds it, unless the database is what refused: then the 503
    // must not wait for a write that will most likely fail too.
    if (key && !meter) {
      const written = logRefusedRequest({
        requestId,
        startedAt,
        createdAt,
        key,
        endpoint: spec.endpoint,
        modelRequested: body === undefined ? "" : String(spec.modelId(body)),
        isStream: body === undefined ? false : spec.isStream(body),
        status: error?.status ?? 499,
        errorCode: error ? (error.code ?? error.type) : "client_closed",
      });
      if (!isDatabaseUnavailable(err)) await written;
    }
    // Nobody is listening when the client left: 499 is nginx's "client closed request".
    return error
      ? (spec.renderError ?? errorResponse)(error, requestId)
      : new GatewayResponse(499, { "x-request-id": requestId });
  }
}

/**
 * Admission: a hold pooled for the key when one fits (hold-pool.ts), else one through the batches.
 * Answers the hold's id (the request's id from then on) or why it was refused.
 */
async function admit(
  requestId: string,
  key: KeyContext,
  amountNanos: bigint,
): Promise<{ result: AdmitResult; holdId: string }> {
  const pooled = hotPathHoldPools().take(key, amountNanos);
  if (pooled) return { result: "ok", holdId: pooled };
  const hold = { requestId, organizationId: key.organizationId, apiKeyId: key.apiKeyId, amountNanos };
  const result = await admitOnHotPath(hold);
  if (result === "ok") return { result, holdId: requestId };
  // Money this instance holds back must not refuse this request: holds pooled for the organization
  // (they go back now), and holds of requests already answered whose settlement has not landed.
  const pooledReleased =
    result === "insufficient_quota" && (await hotPathHoldPools().releaseOrganization(key.organizationId));
  if (!pooledReleased && settlementsPending(key.organizationId) === 0) return { result, holdId: requestId };
  await settlementsInFlight(key.organizationId);
  const retried = await admitOnHotPath(hold);
  countAdmissionRetry(retried);
  return { result: retried, holdId: requestId };
}

function passes(check: () => void): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

function restarting(): GatewayError {
  return new GatewayError("service_unavailable", "The server is restarting. Please retry the request.", {
    code: "server_shutdown",
  });
}

function quotaError(result: Exclude<AdmitResult, "ok">): GatewayError {
  switch (result) {
    case "key_spend_limit":
      return new GatewayError(
        "insufficient_quota",
        "This API key has reached its spend limit. Raise the limit or use another key.",
      );
    case "member_spend_limit":
      return new GatewayError(
        "insufficient_quota",
        "The owner of this API key has reached their monthly spend limit in this organization.",
      );
    default:
      return new GatewayError(
        "insufficient_quota",
        "You exceeded your current quota: your TokenFlow balance is too low for this request. Top up to continue.",
      );
  }
}

/** Charges a request that produced nothing (all channels failed, or the client left first): free. */
export async function settleWithoutOutput(meter: Meter, error: unknown, attempts = 0): Promise<never> {
  const failure = error instanceof ClientClosedError ? error : toGatewayError(error);
  await meter.charge({
    status: failure instanceof ClientClosedError ? 499 : failure.status,
    errorCode: failure instanceof ClientClosedError ? "client_closed" : (failure.code ?? failure.type),
    usage: null,
    usageSource: "NONE",
    attempts,
    // The channel whose answer ended it (all channels failed): its health counts the failure.
    channelId: failedChannelOf(error),
  });
  throw failure;
}

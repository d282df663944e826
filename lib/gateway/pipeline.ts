import { admitHold } from "@/lib/billing/holds";
import { holdNanos } from "@/lib/billing/hold-amount";
import type { RequestLogRow } from "@/lib/billing/request-log";
import { getPool } from "@/lib/db/pool";
import { authenticateRequest, type KeyContext } from "./auth";
import type { CatalogChannel, CatalogModel } from "./catalog";
import { gatewayConfig } from "./config";
import { errorResponse, GatewayError, toGatewayError } from "./errors";
import { enforceLimits, type LimitGrant } from "./limits";
import { ClientClosedError } from "./failover";
import { logRefusedRequest, Meter, newRequestId } from "./meter";
import { readJsonBody } from "./read-body";
import { routeModel } from "./route-model";

// The one request pipeline of every billed /v1 endpoint:
//   authenticate → parse → route → hold (one atomic step) → relay with failover → settle (once).
// Admission happens here, before any upstream call; settlement happens in the Meter, after it.

export interface HoldBounds {
  promptTokensUpperBound: number;
  outputTokensCap: number;
  n: number;
}

export interface RelayContext<B> {
  request: Request;
  /** Headers every answer to this request carries (x-ratelimit-*). */
  headers: Record<string, string>;
  body: B;
  model: CatalogModel;
  channels: CatalogChannel[];
  meter: Meter;
}

export interface BilledEndpoint<B> {
  endpoint: RequestLogRow["endpoint"];
  kind: CatalogModel["kind"];
  parse(body: unknown): B;
  modelId(body: B): string;
  isStream(body: B): boolean;
  /** Token bounds of this request on this model: the hold covers their worst case. */
  bounds(body: B, model: CatalogModel): HoldBounds;
  /** A realistic token count (prompt estimate + output cap) for tokens-per-minute limits, as OpenAI counts them. */
  tokenEstimate(body: B, model: CatalogModel): number;
  /** Calls the upstream and answers; must settle `meter` on every path. */
  relay(context: RelayContext<B>): Promise<Response>;
}

export async function handleBilledRequest<B>(request: Request, spec: BilledEndpoint<B>): Promise<Response> {
  const requestId = newRequestId();
  const startedAt = performance.now();
  const createdAt = new Date();
  let key: KeyContext | undefined;
  let body: B | undefined;
  let limits: LimitGrant | undefined;
  let meter: Meter | undefined;
  try {
    key = await authenticateRequest(request.headers);
    body = spec.parse(await readJsonBody(request, gatewayConfig().TOKENFLOW_MAX_BODY_BYTES));
    const modelId = spec.modelId(body);
    const { model, channels } = await routeModel(key, modelId, spec.kind);
    const parsed = body;
    limits = await enforceLimits(key, () => spec.tokenEstimate(parsed, model));
    const hold = holdNanos(spec.bounds(body, model), model.prices);
    const admitted = await admitHold(getPool(), {
      requestId,
      organizationId: key.organizationId,
      apiKeyId: key.apiKeyId,
      amountNanos: hold,
    });
    if (admitted !== "ok") {
      await limits.refund(); // a request refused for money does not count against rate limits
      throw quotaError(admitted);
    }

    meter = new Meter({
      requestId,
      startedAt,
      createdAt,
      key,
      endpoint: spec.endpoint,
      modelRequested: modelId,
      modelRouted: model.id,
      isStream: spec.isStream(body),
      prices: model.prices,
      holdNanos: hold,
    });
    meter.onSettled(limits.release);
    return await spec.relay({ request, headers: limits.headers, body, model, channels, meter });
  } catch (err) {
    if (!meter) await limits?.release(); // refused before a meter took over the slot
    const clientLeft = err instanceof ClientClosedError || request.signal.aborted;
    const error = clientLeft ? null : toGatewayError(err);
    // The receipt of a refused request; a no-op when the meter already wrote this request's receipt.
    if (key) {
      await logRefusedRequest({
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
    }
    // Nobody is listening when the client left: 499 is nginx's "client closed request".
    return error
      ? errorResponse(error, requestId)
      : new Response(null, { status: 499, headers: { "x-request-id": requestId } });
  }
}

function quotaError(result: "insufficient_quota" | "key_spend_limit"): GatewayError {
  return result === "key_spend_limit"
    ? new GatewayError(
        "insufficient_quota",
        "This API key has reached its spend limit. Raise the limit or use another key.",
      )
    : new GatewayError(
        "insufficient_quota",
        "You exceeded your current quota: your TokenFlow balance is too low for this request. Top up to continue.",
      );
}

/** Settles a request that produced nothing (all channels failed, or the client left first): free. */
export async function settleWithoutOutput(meter: Meter, error: unknown, attempts = 0): Promise<never> {
  const failure = error instanceof ClientClosedError ? error : toGatewayError(error);
  await meter.settle({
    status: failure instanceof ClientClosedError ? 499 : failure.status,
    errorCode: failure instanceof ClientClosedError ? "client_closed" : (failure.code ?? failure.type),
    usage: null,
    usageSource: "NONE",
    attempts,
  });
  throw failure;
}

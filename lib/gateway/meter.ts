import { getPool } from "@/lib/db/pool";
import { costNanos, type Prices, type TokenCounts } from "@/lib/billing/money";
import { settleHold } from "@/lib/billing/holds";
import { insertRequestLog, type RequestLogRow } from "@/lib/billing/request-log";
import type { KeyContext } from "./auth";

// One meter per request: it knows what was held and at which prices, and settles exactly once
// (in memory here, and by the hold's state in the database, so a replay is a no-op).

export { newRequestId } from "@/lib/http/request-id";

export type UsageSource = RequestLogRow["usageSource"];

export interface MeterOutcome {
  status: number;
  errorCode?: string | null;
  usage: TokenCounts | null;
  usageSource: UsageSource;
  channelId?: string | null;
  upstreamModel?: string | null;
  attempts?: number;
  ttftMs?: number | null;
}

export interface MeterInit {
  requestId: string;
  startedAt: number; // performance.now()
  createdAt: Date;
  key: KeyContext;
  endpoint: RequestLogRow["endpoint"];
  modelRequested: string;
  modelRouted: string;
  routeReason?: string | null;
  isStream: boolean;
  prices: Prices;
  holdNanos: bigint;
}

// Settlements still running, so a draining server can wait for them before it exits.
const pendingSettlements = new Set<Promise<unknown>>();

/** Resolves when every settlement started so far has finished. */
export async function settlementsInFlight(): Promise<void> {
  while (pendingSettlements.size > 0) await Promise.allSettled([...pendingSettlements]);
}

export class Meter {
  private settled: Promise<bigint> | undefined;
  private afterSettle: Array<() => Promise<void>> = [];

  constructor(readonly init: MeterInit) {}

  /** Runs `fn` once the request is settled (e.g. frees its concurrency slot). */
  onSettled(fn: () => Promise<void>) {
    this.afterSettle.push(fn);
  }

  /** Charges the actual cost (never more than the hold) and writes the receipt. Returns the nanos charged. */
  settle(outcome: MeterOutcome): Promise<bigint> {
    if (!this.settled) {
      const settled = this.doSettle(outcome).finally(() =>
        Promise.all(this.afterSettle.map((fn) => fn().catch(() => undefined))),
      );
      this.settled = settled;
      pendingSettlements.add(settled);
      void settled.finally(() => pendingSettlements.delete(settled));
    }
    return this.settled;
  }

  private async doSettle(outcome: MeterOutcome): Promise<bigint> {
    const usage = outcome.usage ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
    const cost = costNanos(usage, this.init.prices);
    const row = this.logRow(outcome, usage, cost);
    try {
      const charged = await settleHold(getPool(), this.init.requestId, cost, row);
      return charged ?? 0n;
    } catch (err) {
      // The hold stays HELD; the sweeper releases it later (the request is then free, never double-charged).
      console.error(`[billing] settlement failed for ${this.init.requestId}:`, (err as Error).message);
      return 0n;
    }
  }

  private logRow(outcome: MeterOutcome, usage: TokenCounts, cost: bigint): RequestLogRow {
    const i = this.init;
    return {
      id: i.requestId,
      organizationId: i.key.organizationId,
      apiKeyId: i.key.apiKeyId,
      endpoint: i.endpoint,
      modelRequested: i.modelRequested,
      modelRouted: i.modelRouted,
      upstreamModel: outcome.upstreamModel ?? null,
      channelId: outcome.channelId ?? null,
      routeReason: i.routeReason ?? null,
      isStream: i.isStream,
      status: outcome.status,
      errorCode: outcome.errorCode ?? null,
      inputTokens: usage.inputTokens,
      cachedInputTokens: usage.cachedInputTokens,
      outputTokens: usage.outputTokens,
      inputPriceNanos: i.prices.inputPriceNanos,
      cachedInputPriceNanos: i.prices.cachedInputPriceNanos,
      outputPriceNanos: i.prices.outputPriceNanos,
      holdNanos: i.holdNanos,
      costNanos: cost,
      usageSource: outcome.usageSource,
      attempts: outcome.attempts ?? 0,
      latencyMs: Math.round(performance.now() - i.startedAt),
      ttftMs: outcome.ttftMs ?? null,
      createdAt: i.createdAt,
    };
  }
}

/** Receipt of an authenticated request refused before any money was held (400/402/403/404 …). */
export async function logRefusedRequest(args: {
  requestId: string;
  startedAt: number;
  createdAt: Date;
  key: KeyContext;
  endpoint: RequestLogRow["endpoint"];
  modelRequested: string;
  isStream: boolean;
  status: number;
  errorCode: string;
}): Promise<void> {
  await insertRequestLog(getPool(), {
    id: args.requestId,
    organizationId: args.key.organizationId,
    apiKeyId: args.key.apiKeyId,
    endpoint: args.endpoint,
    modelRequested: args.modelRequested.slice(0, 200),
    modelRouted: null,
    upstreamModel: null,
    channelId: null,
    routeReason: null,
    isStream: args.isStream,
    status: args.status,
    errorCode: args.errorCode,
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens: 0,
    inputPriceNanos: 0n,
    cachedInputPriceNanos: 0n,
    outputPriceNanos: 0n,
    holdNanos: 0n,
    costNanos: 0n,
    usageSource: "NONE",
    attempts: 0,
    latencyMs: Math.round(performance.now() - args.startedAt),
    ttftMs: null,
    createdAt: args.createdAt,
  }).catch((err) => console.error("[billing] could not write request log:", (err as Error).message));
}

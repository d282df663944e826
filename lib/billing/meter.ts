import { costNanos, type Prices, type TokenCounts } from "./money";
import { hotPathBilling } from "./billing-batches";
import { refusalLog } from "./refusals";
import { serializeLogRow, type RequestLogRow } from "./request-log";
import { settlementJournal } from "./settlement-journal";
import { logCompletedRequest } from "@/lib/gateway/access-log";
import type { KeyContext } from "@/lib/gateway/auth";
import { logger, serializeError } from "@/lib/log";
import { countHoldInFlight, countOverage, countReceipt, countUnmatchedSettlement } from "@/lib/metrics/hooks";

const log = logger("billing");

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

/** Requests charged above their hold since start (an upstream billing past the cap we sent). */
export const overages = { count: 0, nanos: 0n };

// Settlements still running, per organization, so that a draining server can wait for all of them
// before it exits, and an admission refused for money can wait for the ones that would free it.
// On globalThis: the playground's requests run in Next.js's bundle of this module, and the
// server's drain must wait for theirs too.
const globalForMeter = globalThis as unknown as { tokenflowPendingSettlements?: Map<string, Set<Promise<unknown>>> };
const pendingSettlements = (globalForMeter.tokenflowPendingSettlements ??= new Map());

/** Resolves when every settlement started so far (of one organization, or of all) has finished. */
export async function settlementsInFlight(organizationId?: string): Promise<void> {
  for (;;) {
    const pending = organizationId
      ? [...(pendingSettlements.get(organizationId) ?? [])]
      : [...pendingSettlements.values()].flatMap((set) => [...set]);
    if (pending.length === 0) return;
    await Promise.allSettled(pending);
  }
}

/** Settlements of this organization this instance has not landed yet. */
export function settlementsPending(organizationId: string): number {
  return pendingSettlements.get(organizationId)?.size ?? 0;
}

function track(organizationId: string, settlement: Promise<unknown>) {
  let set = pendingSettlements.get(organizationId);
  if (!set) pendingSettlements.set(organizationId, (set = new Set()));
  set.add(settlement);
  void settlement.finally(() => {
    set.delete(settlement);
    if (set.size === 0 && pendingSettlements.get(organizationId) === set) pendingSettlements.delete(organizationId);
  });
}

export class Meter {
  private cost: bigint | undefined;
  private settling: Promise<unknown> | undefined;
  private afterDone: Array<() => Promise<void>> = [];
  private auto: { describe(modelId: string): string; onServed(modelId: string): void } | undefined;

  // A meter exists once money is held: it counts as a hold in flight until its settlement ends.
  constructor(readonly init: MeterInit) {
    countHoldInFlight(1);
  }

  /** Runs `fn` once the request is done, i.e. charged (e.g. frees its concurrency slot). */
  onDone(fn: () => Promise<void>) {
    this.afterDone.push(fn);
  }

  /** `model: "auto"`: how to explain the served model, and whom to tell once it answered. */
  onServed(auto: { describe(modelId: string): string; onServed(modelId: string): void }) {
    this.auto = auto;
  }

  /**
   * The model that actually answers (an `auto` fallback may differ from the chosen one): the request
   * is billed at its prices and its receipt and headers name it. The hold covered every candidate.
   */
  serveWith(model: { id: string; prices: Prices }) {
    if (model.id === this.init.modelRouted) return;
    this.init.modelRouted = model.id;
    this.init.prices = model.prices;
    if (this.auto) this.init.routeReason = this.auto.describe(model.id);
  }

  /**
   * Charges the request, exactly once, off the response path: the cost is known now (tokens × the
   * prices the request was admitted at), so the answer carries it at once, while the settlement
   * (charge, release of the rest of the hold, receipt) lands in the organization's next settlement
   * batch. Until it has landed, the hold (never less than the cost, bar an overage) keeps the money
   * aside. It is written first to the unsettled log (lib/billing/unsettled-log.ts), so a crash in
   * between does not lose it; a draining server waits for it; one the database does not take is
   * journaled. When the log cannot be written, this waits for the settlement itself. Returns the cost.
   */
  async charge(outcome: MeterOutcome): Promise<bigint> {
    if (this.cost !== undefined) return this.cost;
    const usage = outcome.usage ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
    const cost = costNanos(usage, this.init.prices);
    this.cost = cost;
    const row = this.logRow(outcome, usage, cost);
    const logJson = serializeLogRow(row);
    let landed: (() => void) | undefined;
    try {
      landed = settlementJournal().unsettled.add(this.init.requestId, cost, logJson);
    } catch (err) {
      log.error({ err, requestId: this.init.requestId }, "could not record the settlement: settling before answering");
    }
    const settled = this.doSettle(outcome, row, logJson, cost, landed ?? (() => undefined))
      .catch((err: unknown) => {
        log.error({ err, requestId: this.init.requestId }, "settlement failed");
        return 0n;
      })
      .finally(() => countHoldInFlight(-1));
    this.settling = settled;
    track(this.init.key.organizationId, settled);
    // The request is over for its client: its concurrency slot is free now, not when the batch lands.
    for (const fn of this.afterDone) void fn().catch(() => undefined);
    if (!landed) await settled;
    return cost;
  }

  /** Resolves once the settlement started by charge() has landed (or was journaled). */
  async settled(): Promise<void> {
    await this.settling;
  }

  /** `landed` is called once the settlement is in the database or durably journaled. */
  private async doSettle(
    outcome: MeterOutcome,
    row: RequestLogRow,
    logJson: string,
    cost: bigint,
    landed: () => void,
  ): Promise<bigint> {
    countReceipt(row);
    logCompletedRequest(row);
    if (outcome.status === 200) this.auto?.onServed(this.init.modelRouted);
    let charged: bigint;
    try {
      const settlement = {
        organizationId: row.organizationId,
        requestId: this.init.requestId,
        costNanos: cost,
        log: row,
        logJson,
      };
      const result = await hotPathBilling().settle(settlement);
      landed();
      charged = result ?? this.unmatched(cost);
    } catch (err) {
      return this.deferSettlement(cost, row, err, landed);
    }
    if (charged > this.init.holdNanos) {
      // The upstream billed past the cap we sent: charged in full, flagged on the receipt, counted.
      overages.count++;
      overages.nanos += charged - this.init.holdNanos;
      countOverage(row.modelRouted, row.channelId, charged - this.init.holdNanos);
      log.warn(
        {
          requestId: this.init.requestId,
          chargedNanos: charged.toString(),
          holdNanos: this.init.holdNanos.toString(),
          model: this.init.modelRouted,
          channelId: outcome.channelId ?? null,
        },
        "overage: charged above the hold",
      );
    }
    return charged;
  }

  /**
   * The settlement found no open hold: the database lost this request's admission (say, a failover to
   * a replica that had not received its commit), or something else settled it. The statement charges
   * nothing and writes no receipt then, which is right for a journal's replay but never expected of a
   * live request: it is logged with what was not charged, and counted, so it cannot pass unseen.
   */
  private unmatched(cost: bigint): bigint {
    countUnmatchedSettlement();
    log.error(
      {
        requestId: this.init.requestId,
        organizationId: this.init.key.organizationId,
        costNanos: cost.toString(),
        model: this.init.modelRouted,
      },
      "settlement found no open hold: nothing charged, no receipt written",
    );
    return 0n;
  }

  /**
   * The database did not take the settlement (down, or the connection died mid-statement): journal it
   * durably and let the journal retry until it lands. The cost will be charged, so it is reported.
   */
  private async deferSettlement(cost: bigint, row: RequestLogRow, err: unknown, landed: () => void): Promise<bigint> {
    const requestId = this.init.requestId;
    try {
      await settlementJournal().add({ kind: "settle", requestId, costNanos: cost.toString(), log: row });
      landed();
      log.warn({ err, requestId }, "settlement deferred; journaled");
      return cost;
    } catch (journalError) {
      // Last resort: the entry stays in the unsettled log (read back by the next start, or by
      // another instance, if this process dies) and the journal retries it from memory meanwhile.
      log.error(
        { err, journalError: serializeError(journalError), requestId },
        "settlement failed and could not be journaled; retried from memory",
      );
      settlementJournal().retryLater({ kind: "settle", requestId, costNanos: cost.toString(), log: row }, landed);
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
      cacheWriteInputTokens: usage.cacheWriteInputTokens ?? 0,
      outputTokens: usage.outputTokens,
      inputPriceNanos: i.prices.inputPriceNanos,
      cachedInputPriceNanos: i.prices.cachedInputPriceNanos,
      cacheWriteInputPriceNanos: i.prices.cacheWriteInputPriceNanos ?? i.prices.inputPriceNanos,
      outputPriceNanos: i.prices.outputPriceNanos,
      holdNanos: i.holdNanos,
      costNanos: cost,
      usageSource: outcome.usageSource,
      attempts: outcome.attempts ?? 0,
      latencyMs: Math.round(performance.now() - i.startedAt),
      ttftMs: outcome.ttftMs ?? null,
      createdAt: i.createdAt,
      overageNanos: 0n, // tf_settle records the real figure
      requestCount: 1,
    };
  }
}

/** Receipt of an authenticated request refused before any money was held (400/402/403/404 …). */
export function logRefusedRequest(args: {
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
  const row: RequestLogRow = {
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
    cacheWriteInputTokens: 0,
    outputTokens: 0,
    inputPriceNanos: 0n,
    cachedInputPriceNanos: 0n,
    cacheWriteInputPriceNanos: 0n,
    outputPriceNanos: 0n,
    holdNanos: 0n,
    costNanos: 0n,
    usageSource: "NONE",
    attempts: 0,
    latencyMs: Math.round(performance.now() - args.startedAt),
    ttftMs: null,
    createdAt: args.createdAt,
    overageNanos: 0n,
    requestCount: 1,
  };
  countReceipt(row); // one per refusal: aggregated receipts carry the same sum in requestCount
  logCompletedRequest(row);
  return refusalLog().record(row);
}

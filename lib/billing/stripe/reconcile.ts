import type Stripe from "stripe";
import { getPool } from "@/lib/db/pool";
import { formatUsd } from "@/lib/format";
import { stripeClient } from "./config";
import { isStripeEventRecorded } from "./event-log";
import { fulfillCheckoutSession } from "./fulfill";
import { HANDLED_EVENT_TYPES, processStripeEvent } from "./process-event";

// `npm run stripe:reconcile`, after Stripe's "process undelivered events" guidance: events of the
// types we handle from the last days that Stripe could not deliver successfully are listed and each
// is processed once (the same code as the webhook; a recorded event is skipped), then top-ups still
// pending after an hour are listed and their sessions re-read. A second run changes nothing.
// https://docs.stripe.com/webhooks/process-undelivered-events

export interface ReconcileReport {
  lines: string[];
  processed: number;
  skipped: number;
  failed: number;
  stuck: number;
}

export async function reconcileStripe(days = 3, now = Date.now()): Promise<ReconcileReport> {
  const report: ReconcileReport = { lines: [], processed: 0, skipped: 0, failed: 0, stuck: 0 };
  const since = Math.floor(now / 1000) - days * 86_400;
  const events: Stripe.Event[] = await stripeClient()
    .events.list({
      types: [...HANDLED_EVENT_TYPES],
      created: { gte: since },
      delivery_success: false,
      limit: 100,
    })
    .autoPagingToArray({ limit: 10_000 });
  events.sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
  report.lines.push(`${events.length} undelivered event(s) of the last ${days} days`);
  for (const event of events) {
    if (await isStripeEventRecorded(event.id)) {
      report.skipped++;
      continue;
    }
    try {
      const { result } = await processStripeEvent(event);
      report.processed++;
      report.lines.push(`  ${event.id} ${event.type}: ${result}`);
    } catch (err) {
      report.failed++;
      report.lines.push(`  ${event.id} ${event.type}: FAILED (${(err as Error).message}); run again later`);
    }
  }
  if (report.skipped) report.lines.push(`  ${report.skipped} already processed`);

  const { rows } = await getPool().query<{
    id: string;
    organizationId: string;
    kind: string;
    amountNanos: bigint;
    stripeSessionId: string | null;
    createdAt: Date;
  }>(
    `SELECT id, "organizationId", kind, "amountNanos", "stripeSessionId", "createdAt" FROM "Payment"
      WHERE status = 'PENDING' AND "createdAt" < (now() AT TIME ZONE 'UTC') - interval '1 hour'
      ORDER BY "createdAt"`,
  );
  report.lines.push(`${rows.length} top-up(s) pending for more than an hour`);
  for (const row of rows) {
    let result = "no Checkout Session";
    if (row.stripeSessionId) {
      try {
        result = await fulfillCheckoutSession(row.stripeSessionId);
      } catch (err) {
        result = `could not re-read (${(err as Error).message})`;
      }
    }
    if (result === "pending") report.stuck++;
    report.lines.push(
      `  ${row.id} ${row.kind} ${formatUsd(row.amountNanos)} org ${row.organizationId} since ${row.createdAt.toISOString()}: ${result}`,
    );
  }
  return report;
}

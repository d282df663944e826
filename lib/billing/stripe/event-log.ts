import type { Pool, PoolClient } from "pg";
import { getPool } from "@/lib/db/pool";

// The record of Stripe events we processed. A handler writes it in the same transaction as the
// money it moved, so an event is either applied and recorded or neither; a redelivery (or
// `npm run stripe:reconcile`) that finds the record does nothing.

export interface StripeEventRef {
  id: string;
  type: string;
  livemode: boolean;
  /** The event's object id (cs_…, ch_…, dp_…, pi_…). */
  objectId: string | null;
  /** Unix seconds, as Stripe sends it. */
  created: number;
}

export async function recordStripeEvent<R extends string>(
  db: Pool | PoolClient,
  event: StripeEventRef | null,
  result: R,
): Promise<R> {
  if (!event) return result;
  await db.query(
    `INSERT INTO "StripeEvent" (id, type, livemode, "objectId", result, "stripeCreatedAt", "createdAt")
     VALUES ($1, $2, $3, $4, $5, to_timestamp($6) AT TIME ZONE 'UTC', (now() AT TIME ZONE 'UTC'))
     ON CONFLICT (id) DO NOTHING`,
    [event.id, event.type, event.livemode, event.objectId, result, event.created],
  );
  return result;
}

export async function isStripeEventRecorded(eventId: string, db: Pool | PoolClient = getPool()): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM "StripeEvent" WHERE id = $1`, [eventId]);
  return rows.length > 0;
}

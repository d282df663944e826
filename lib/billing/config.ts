import { z } from "zod";

// Billing tunables, from the environment once per process (documented in .env.example).
const schema = z.object({
  /** A hold older than this is an orphan (its request died): the sweeper releases it. Streams are cut before. */
  TOKENFLOW_HOLD_TTL_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(30 * 60_000),
  TOKENFLOW_SWEEP_INTERVAL_MS: z.coerce.number().int().positive().default(60_000),
  /** Pre-admitted holds for busy keys (lib/billing/hold-pool.ts); "off" makes every request wait for its own admission. */
  TOKENFLOW_HOLD_POOL: z.enum(["on", "off"], { error: "must be on or off" }).default("on"),
  /**
   * Settled and released holds older than this are deleted by the sweep (lib/billing/sweeper.ts). A
   * settlement arriving later than this for a released hold (a journal replayed after a long outage)
   * finds no hold and charges nothing, so keep it far above any outage an instance could come back from.
   */
  TOKENFLOW_HOLD_RETENTION_DAYS: z.coerce.number().min(1).default(30),
  /** With autovacuum off on the database: how often the API's tables are vacuumed and analyzed (lib/db/maintenance.ts). */
  TOKENFLOW_MAINTENANCE_INTERVAL_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(2 * 60_000),
});

export type BillingConfig = z.infer<typeof schema>;

let cached: BillingConfig | undefined;

export function billingConfig(): BillingConfig {
  cached ??= schema.parse(process.env);
  return cached;
}

/** The longest a stream may run: it must settle before the sweeper could take its hold for an orphan. */
export function streamTimeLimitMs(): number {
  const { TOKENFLOW_HOLD_TTL_MS } = billingConfig();
  return Math.max(TOKENFLOW_HOLD_TTL_MS - 60_000, TOKENFLOW_HOLD_TTL_MS / 2);
}

// `npm run stripe:reconcile [days]`: processes Stripe events we missed and lists stuck top-ups
// (lib/billing/stripe/reconcile.ts). Needs DATABASE_URL and STRIPE_SECRET_KEY.
import { closePool } from "../lib/db/pool";
import { stripeSettings } from "../lib/billing/stripe/config";
import { reconcileStripe } from "../lib/billing/stripe/reconcile";

async function main(): Promise<number> {
  if (!process.env.DATABASE_URL) throw new Error("DATABASE_URL is not set");
  if (!stripeSettings()) throw new Error("STRIPE_SECRET_KEY is not set");
  const days = Number(process.argv[2] ?? 3);
  if (!Number.isInteger(days) || days < 1 || days > 30) throw new Error("days must be a whole number from 1 to 30");
  try {
    const report = await reconcileStripe(days);
    for (const line of report.lines) console.log(`stripe:reconcile: ${line}`);
    console.log(
      `stripe:reconcile: ${report.processed} processed, ${report.skipped} already processed, ${report.failed} failed, ` +
        `${report.stuck} top-up(s) still pending`,
    );
    return report.failed > 0 ? 1 : 0;
  } finally {
    await closePool();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`stripe:reconcile: ${err.message}`);
    process.exit(2);
  },
);

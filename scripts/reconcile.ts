// `npm run reconcile`: checks balance + held = Σ ledger and held = Σ open holds for every
// organization; prints mismatches and exits non-zero if there is any.
import pg from "pg";
import { findLedgerMismatches } from "../lib/billing/reconcile";
import { nanosToUsd } from "../lib/billing/money";
import { bigintTypes } from "../lib/db/pool";

async function main() {
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) throw new Error("DATABASE_URL is not set");
  const pool = new pg.Pool({ connectionString, max: 1, types: bigintTypes });
  pool.on("error", () => undefined);
  try {
    const mismatches = await findLedgerMismatches(pool);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "Organization"`);
    if (mismatches.length === 0) {
      console.log(`reconcile: ${rows[0].n} organizations checked, the books balance`);
      return 0;
    }
    for (const m of mismatches) {
      console.error(
        `reconcile: MISMATCH ${m.organizationId}: balance ${nanosToUsd(m.balanceNanos)} + held ${nanosToUsd(m.heldNanos)} ` +
          `vs ledger ${nanosToUsd(m.ledgerSumNanos)}; open holds ${nanosToUsd(m.openHoldsNanos)}`,
      );
    }
    return 1;
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`reconcile: ${err.message}`);
    process.exit(2);
  },
);

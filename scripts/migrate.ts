// `npm run db:migrate`: applies pending SQL migrations to DATABASE_URL (see lib/db/migrate.ts).
import { applyMigrations } from "../lib/db/migrate";

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set. Example: postgres://postgres@127.0.0.1:5432/tokenflow");
  const { applied } = await applyMigrations(url, { log: (msg) => console.log(msg) });
  console.log(applied.length ? `Applied: ${applied.join(", ")}` : "Nothing to apply: the database is up to date.");
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

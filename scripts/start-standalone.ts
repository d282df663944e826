// The production start of a packaged standalone folder (the Docker image's command): applies the
// pending migrations, seeds what a first start needs, then runs the server (scripts/server.ts) in
// this same process, so signals reach it directly. Unlike `npm start` it never starts an embedded
// database, generates secrets or builds: a deployment sets DATABASE_URL and the secrets, and the
// image holds the build. scripts/package-standalone.mjs bundles it, with the server, as start.mjs.
import path from "node:path";
import { applyMigrations } from "@/lib/db/migrate";
import { seedDatabase } from "@/lib/db/seed";
import { checkStartupConfig } from "@/lib/startup-config";
import { announceAdmin } from "./announce-admin";
import { appRoot } from "./app-root";

function log(message: string) {
  console.log(`[tokenflow] ${message}`);
}

async function main() {
  // Every pg connection (migrations, seed, the app) works in UTC, matching Prisma's DateTime storage.
  process.env.PGOPTIONS ??= "-c TimeZone=UTC";
  Object.assign(process.env, { NODE_ENV: "production" });
  // The same refusal the server would give, before anything touches the database.
  checkStartupConfig();
  const databaseUrl = process.env.DATABASE_URL!;
  // The migrations ship in the app's folder, whatever the working directory.
  const { applied } = await applyMigrations(databaseUrl, {
    migrationsDir: path.join(appRoot(), "prisma", "migrations"),
  });
  log(applied.length ? `applied migrations: ${applied.join(", ")}` : "database schema is up to date");
  const seeded = await seedDatabase(databaseUrl);
  if (seeded.insertedModels) log(`seeded ${seeded.insertedModels} models and prices`);
  if (seeded.createdAdmin) {
    const base = process.env.TOKENFLOW_PUBLIC_URL || process.env.NEXTAUTH_URL || "http://localhost:3000";
    announceAdmin(seeded.createdAdmin, base, path.resolve(process.env.TOKENFLOW_DATA_DIR ?? ".data"));
  }
  await import("./server");
}

main().catch((err: Error) => {
  console.error(`[tokenflow] ${err.message}`);
  process.exit(1);
});

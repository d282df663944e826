// Prisma CLI config. Only `prisma generate` is used here: migrations are plain SQL applied by
// lib/db/migrate.ts, because the schema engine binary cannot be downloaded on our machines.
import { defineConfig } from "prisma/config";

// `prisma generate` does not need the schema engine, but the CLI looks for it at start-up.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= "/bin/false";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});

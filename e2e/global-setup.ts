// Playwright global setup: the same Postgres choice as the integration tests, a fresh seeded
// database, and a production `next start` on a free port. Tests read E2E_BASE_URL / E2E_ADMIN_KEY.
import { randomBytes } from "node:crypto";
import { createFreshDatabaseAt } from "../test/database";
import { resolveServer } from "../test/global-setup";
import { startAppServer } from "../test/app-server";

export default async function globalSetup() {
  const server = await resolveServer();
  console.log(`[e2e] ${server.description}`);
  const runId = randomBytes(3).toString("hex");
  const database = await createFreshDatabaseAt(server.url, { seed: true, namePrefix: `tf_test_${runId}_` });
  const app = await startAppServer({ databaseUrl: database.url });
  process.env.E2E_BASE_URL = app.url;
  process.env.E2E_ADMIN_KEY = app.adminKey;
  return async () => {
    await app.stop();
    await database.drop();
    await server.cleanup(runId);
  };
}

// Playwright global setup: the same Postgres choice as the integration tests, a fresh seeded
// database, a real SMTP server catching the app's email, and the production server on a free port.
// Tests read E2E_BASE_URL / E2E_ADMIN_KEY, E2E_DATABASE_URL (to arrange data) and E2E_MAIL_DIR
// (the messages received, see e2e/mail-catcher.ts). Stripe is the fake API (e2e/fake-stripe); specs
// sign webhooks with E2E_STRIPE_WEBHOOK_SECRET and drive the fake through E2E_STRIPE_URL.
import { randomBytes } from "node:crypto";
import { hashPassword } from "../lib/auth/password";
import { createOrganization } from "../lib/organizations/create";
import { createFreshDatabaseAt, withClient } from "../test/database";
import { resolveServer } from "../test/global-setup";
import { startAppServer } from "../test/app-server";
import { startMailCatcher } from "./mail-catcher";
import { spawnFakeStripe } from "./fake-stripe/client";

export default async function globalSetup() {
  const server = await resolveServer();
  console.log(`[e2e] ${server.description}`);
  const runId = randomBytes(3).toString("hex");
  const database = await createFreshDatabaseAt(server.url, { seed: true, namePrefix: `tf_test_${runId}_` });
  const mail = await startMailCatcher();
  const stripe = await spawnFakeStripe();
  const stripeEnv = {
    STRIPE_SECRET_KEY: `sk_test_${randomBytes(12).toString("hex")}`,
    STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(16).toString("hex")}`,
    STRIPE_API_BASE_URL: stripe.url,
  };
  // Every spec signs up from 127.0.0.1: a budget well above the default 10 an hour (the throttle
  // itself is proven in lib/accounts/accounts.integration.test.ts).
  const app = await startAppServer({
    databaseUrl: database.url,
    env: { SMTP_URL: mail.url, TOKENFLOW_SIGNUP_LIMIT_PER_HOUR: "1000", ...stripeEnv },
  });
  process.env.E2E_BASE_URL = app.url;
  process.env.E2E_DATABASE_URL = database.url;
  process.env.E2E_MAIL_DIR = mail.dir;
  process.env.E2E_ADMIN_KEY = app.adminKey;
  process.env.E2E_STRIPE_URL = stripe.url;
  process.env.E2E_STRIPE_SECRET_KEY = stripeEnv.STRIPE_SECRET_KEY;
  process.env.E2E_STRIPE_WEBHOOK_SECRET = stripeEnv.STRIPE_WEBHOOK_SECRET;
  // The seed's admin (password generated and returned once) and an ordinary member, for sign-in flows.
  const admin = database.seeded?.createdAdmin;
  if (!admin?.password) throw new Error("the seed did not create the admin account");
  process.env.E2E_ADMIN_EMAIL = admin.email;
  process.env.E2E_ADMIN_PASSWORD = admin.password;
  process.env.E2E_MEMBER_EMAIL = "member@example.com";
  process.env.E2E_MEMBER_PASSWORD = randomBytes(12).toString("base64url");
  await withClient(database.url, async (client) => {
    await client.query(
      `INSERT INTO "User" (id, email, "passwordHash", role, "updatedAt") VALUES ($1, $2, $3, 'USER', now())`,
      [`user_${runId}`, process.env.E2E_MEMBER_EMAIL, await hashPassword(process.env.E2E_MEMBER_PASSWORD!)],
    );
    // As at sign-up: every user has a personal organization.
    await createOrganization(client, { name: "Member's workspace", ownerUserId: `user_${runId}`, personal: true });
  });
  return async () => {
    await app.stop();
    await mail.stop();
    await stripe.stop();
    await database.drop();
    await server.cleanup(runId);
  };
}

// The secret canary: the real server runs the main flows with unique secrets planted everywhere a
// secret enters it (the channel's upstream key, a tenant key, the Stripe secret key and webhook
// secret, the auth secret, the encryption key, the admin key, a user's password, and the password in
// the database URL, of a Postgres role made for this test), including the paths that fail (upstream
// errors that echo the channel key, a wrong tenant key one character off the real one, a wrong
// password, Stripe refusing with the key in its message, a forged webhook, a database outage). Then
// none of the secrets, nor their obvious derivatives, may appear in anything the server wrote
// (stdout and stderr), in any text column of any table, or in any response body or header the test
// received. The scanner proves it can see: a canary the server does log (an unknown model name) is
// found in all three places, and planted derivatives in a sample text are found too.
import { randomBytes, randomInt } from "node:crypto";
import OpenAI from "openai";
import pg from "pg";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hashPassword } from "@/lib/auth/password";
import { bigintTypes } from "@/lib/db/pool";
import * as fake from "@/e2e/fake-stripe/client";
import { setScenario, spawnFakeUpstream, type FakeUpstreamHandle } from "@/e2e/fake-upstream/client";
import { startAppServer, type AppServer } from "./app-server";
import { createFreshDatabase, type FreshDatabase } from "./database";
import { callFormAction } from "./server-action";
import { signInForSessionCookie } from "./session";
import { AdminClient, FAKE_UPSTREAM_FIELDS, type Stack } from "./stack";
import { billingApi, deliver, stripeEvent, type StripeStack } from "./stripe";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";

const BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Random base62 text: no 8-character window of it turns up by chance in megabytes of hex ids. */
function random62(length: number): string {
  return Array.from({ length }, () => BASE62[randomInt(BASE62.length)]).join("");
}

interface Canary {
  name: string;
  value: string;
  /** Where the unguessable part starts (a fixed prefix like "sk_test_" is not secret). */
  secretFrom: number;
}

/** Every form of a secret that must not appear: itself, encoded, and any 8 characters of its secret part. */
export function derivatives(canary: Canary): string[] {
  const { value } = canary;
  const forms = new Set([
    value,
    Buffer.from(value).toString("base64"),
    Buffer.from(value).toString("base64url"),
    Buffer.from(value).toString("hex"),
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
  ]);
  for (let i = canary.secretFrom; i + 8 <= value.length; i++) forms.add(value.slice(i, i + 8));
  return [...forms];
}

interface Finding {
  canary: string;
  form: string;
  where: string;
  context: string;
}

/** Each canary's forms found in `text`, with where and a little context (never the whole text). */
function scan(canaries: Canary[], where: string, text: string): Finding[] {
  const findings: Finding[] = [];
  for (const canary of canaries) {
    for (const form of derivatives(canary)) {
      const at = text.indexOf(form);
      if (at >= 0) {
        findings.push({ canary: canary.name, form, where, context: text.slice(Math.max(0, at - 120), at + 120) });
      }
    }
  }
  return findings;
}

interface Received {
  what: string;
  text: string;
}

const responses: Received[] = [];
const pendingReads: Promise<void>[] = [];
// The one response that shows a secret by design: the tenant key, returned once when it is created.
const REVEALS_THE_KEY = /^POST (\/api\/admin\/organizations\/[^/]+\/keys|\/dashboard\/keys) → 20\d$/;

let app: AppServer;
let upstream: FakeUpstreamHandle;
let fakeStripe: fake.FakeStripeHandle;
let database: FreshDatabase;
let pgProxy: TcpProxy;
let db: pg.Pool;
let roleName: string;
let canaries: Canary[];
let originalFetch: typeof fetch;

const secrets = {
  channelKey: `canary-chan-${random62(32)}`,
  stripeSecretKey: `sk_test_${random62(32)}`,
  stripeWebhookSecret: `whsec_${random62(32)}`,
  authSecret: random62(43),
  encryptionKey: randomBytes(32).toString("base64"),
  adminKey: `tf-admin-${random62(32)}`,
  databasePassword: random62(24),
  userPassword: `canary ${random62(20)}`,
  signUpPassword: `canary ${random62(20)}`,
};

/** Records every response of our app (status line, headers, body) as the test receives it. */
function recordingFetch(appUrl: () => string): typeof fetch {
  return async (input, init) => {
    const res = await originalFetch(input, init);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(appUrl())) {
      const what = `${init?.method ?? (input instanceof Request ? input.method : "GET")} ${url.slice(appUrl().length)} → ${res.status}`;
      const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
      // A clone, read in full in the background, so streams reach the caller untouched.
      const copy = res.clone();
      pendingReads.push(
        copy
          .text()
          .catch((err: Error) => `(body not readable: ${err.message})`)
          .then((body) => {
            responses.push({ what, text: `${headers}\n\n${body}` });
          }),
      );
    }
    return res;
  };
}

beforeAll(async () => {
  const adminUrl = inject("pgAdminUrl");
  fakeStripe = await fake.spawnFakeStripe();
  upstream = await spawnFakeUpstream();
  database = await createFreshDatabase({ seed: true });
  db = new pg.Pool({ connectionString: database.url, max: 2, types: bigintTypes });
  db.on("error", () => undefined);
  await db.query(`UPDATE "Model" SET "extraRequestFields" = $1`, [FAKE_UPSTREAM_FIELDS]);

  // A role with a password of its own, member of the role that owns the schema (so it may use every
  // table): the app connects as it, through a proxy this test can cut. (Local Postgres trusts
  // loopback, so the password never travels; what matters is that the app holds it in its URL.)
  roleName = `tf_canary_${random62(8).toLowerCase()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const owner = (await admin.query(`SELECT current_user AS name`)).rows[0].name as string;
    await admin.query(`CREATE ROLE "${roleName}" WITH LOGIN PASSWORD '${secrets.databasePassword}' IN ROLE "${owner}"`);
  } finally {
    await admin.end();
  }
  const target = new URL(adminUrl);
  pgProxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const appDatabaseUrl = new URL(pgProxy.urlFor(database.url));
  appDatabaseUrl.username = roleName;
  appDatabaseUrl.password = secrets.databasePassword;

  app = await startAppServer({
    databaseUrl: appDatabaseUrl.toString(),
    env: {
      TOKENFLOW_ADMIN_KEY: secrets.adminKey,
      TOKENFLOW_ENCRYPTION_KEY: secrets.encryptionKey,
      NEXTAUTH_SECRET: secrets.authSecret,
      STRIPE_SECRET_KEY: secrets.stripeSecretKey,
      STRIPE_WEBHOOK_SECRET: secrets.stripeWebhookSecret,
      STRIPE_API_BASE_URL: fakeStripe.url,
      // Debug lines too: whatever the server would say at any level must be clean.
      LOG_LEVEL: "debug",
      // One rejected credential takes the channel out of rotation (its log line and lastError), briefly.
      TOKENFLOW_BREAKER_AUTH_THRESHOLD: "1",
      TOKENFLOW_BREAKER_AUTH_COOLDOWN_MS: "1000",
    },
  });
  originalFetch = globalThis.fetch;
  globalThis.fetch = recordingFetch(() => app.url);
}, 180_000);

afterAll(async () => {
  if (originalFetch) globalThis.fetch = originalFetch;
  await app?.stop();
  await pgProxy?.stop();
  await upstream?.stop();
  await fakeStripe?.stop();
  await db?.end();
  await database?.drop();
  if (roleName) {
    const admin = new pg.Client({ connectionString: inject("pgAdminUrl") });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS "${roleName}"`).catch(() => undefined);
    await admin.end();
  }
});

/** Every value of every text-like column of every table, one string per column. */
async function databaseText(): Promise<Array<{ where: string; text: string }>> {
  const { rows: columns } = await db.query<{ table: string; column: string }>(
    `SELECT table_name AS "table", column_name AS "column"
       FROM information_schema.columns
      WHERE table_schema = 'public'
        AND (data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'USER-DEFINED')
             OR (data_type = 'ARRAY'))
      ORDER BY 1, 2`,
  );
  expect(columns.length).toBeGreaterThan(20); // the scan reads the schema, not an empty list
  const out: Array<{ where: string; text: string }> = [];
  for (const { table, column } of columns) {
    const { rows } = await db.query<{ v: string | null }>(
      `SELECT "${column}"::text AS v FROM "${table}" WHERE "${column}" IS NOT NULL`,
    );
    out.push({ where: `${table}.${column}`, text: rows.map((r) => r.v).join("\n") });
  }
  return out;
}

describe("secret canary", () => {
  it("runs the main flows, and no planted secret shows up in logs, database or responses", async () => {
    const admin = new AdminClient(app.url, secrets.adminKey);
    const sdk = (apiKey: string) => new OpenAI({ baseURL: `${app.url}/v1`, apiKey, maxRetries: 0, timeout: 30_000 });
    const model = "canary-model";

    // The operator sets up a channel with the upstream key, tests and lists it.
    await admin.disableAllChannels();
    await admin.createModel({
      id: model,
      displayName: model,
      provider: "Test",
      inputPriceUsd: "0.5",
      outputPriceUsd: "2",
      contextWindow: 8192,
      maxOutputTokens: 200,
      defaultMaxOutputTokens: 50,
    });
    const channel = await admin.createChannel({
      name: "canary channel",
      baseUrl: upstream.baseUrl,
      apiKey: secrets.channelKey,
      models: [model],
    });
    expect((await admin.request("POST", `/api/admin/channels/${channel.id}/test`)).status).toBe(200);
    // The upstream rejects the key, echoing it whole in its error (as OpenAI does): tested again.
    await setScenario(upstream.url, { match: { apiKey: secrets.channelKey }, fault: "leaky:401", times: 1 });
    await admin.request("POST", `/api/admin/channels/${channel.id}/test`);
    expect((await admin.request("GET", "/api/admin/channels")).status).toBe(200);
    expect((await admin.request("GET", `/api/admin/channels/${channel.id}`)).status).toBe(200);
    await admin.request("GET", "/api/admin/channels/health");
    await admin.request("GET", "/api/admin/audit-log");

    // The canary the scanner must find: it names the organization (so answers carry it) and is asked
    // for as a model (an unknown one: the access log line and the refusal's receipt carry it).
    const selfCheck = `canary-selfcheck-${random62(24)}`;

    // A tenant with credit and a key (the one response that shows the key, by design).
    const org = await admin.createOrganization(selfCheck, "5.00");
    const created = await admin.request<{ id: string; key: string }>(
      "POST",
      `/api/admin/organizations/${org.id}/keys`,
      {
        name: "canary key",
      },
    );
    expect(created.status).toBeLessThan(300);
    const tenantKey = created.body.key;
    expect(tenantKey).toMatch(/^tf-/);

    // Chat completions, plain and streamed, through the official SDK.
    const client = sdk(tenantKey);
    const plain = await client.chat.completions.create({ model, messages: [{ role: "user", content: "hello" }] });
    expect(plain.choices[0].message.content).toBeTruthy();
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "hello" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamed = "";
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? "";
    expect(streamed).not.toBe("");

    // Upstream failures whose bodies and headers carry the channel key and provider secrets.
    for (const fault of ["leaky:401", "leaky:500", "leaky:429", "context-length", "content-filter"]) {
      const err = await client.chat.completions
        .create({ model, messages: [{ role: "user", content: "hi" }], fake_fault: fault } as never)
        .catch((e: unknown) => e);
      expect(err, fault).toBeInstanceOf(OpenAI.APIError);
    }
    await new Promise((r) => setTimeout(r, 1_200)); // the 401 took the channel out of rotation for 1 s
    const cut = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      fake_fault: "stream-error:2",
    } as never);
    await (async () => {
      for await (const chunk of cut as unknown as AsyncIterable<unknown>) void chunk;
    })().catch(() => undefined);

    // Wrong keys: one character off the real one (a log that printed it would print most of the key),
    // and the admin key sent to /v1.
    const offByOne = tenantKey.slice(0, -1) + (tenantKey.endsWith("A") ? "B" : "A");
    for (const wrong of [offByOne, secrets.adminKey, `Bearer ${tenantKey}`]) {
      const err = await sdk(wrong)
        .chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    }
    const unknown = await client.chat.completions
      .create({ model: selfCheck, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);

    // A user with a password signs in (and fails once with a near miss), then pays through Stripe.
    const userId = `u_${random62(12)}`;
    const email = `owner-${random62(6).toLowerCase()}@canary.test`;
    await db.query(
      `INSERT INTO "User" (id, email, "passwordHash", "updatedAt") VALUES ($1, $2, $3, CURRENT_TIMESTAMP)`,
      [userId, email, await hashPassword(secrets.userPassword)],
    );
    await db.query(`INSERT INTO "Membership" (id, "userId", "organizationId", role) VALUES ($1, $2, $3, 'OWNER')`, [
      `m_${random62(12)}`,
      userId,
      org.id,
    ]);
    await expect(signInForSessionCookie(app.url, email, `${secrets.userPassword}x`)).rejects.toThrow(/sign-in failed/);
    const cookie = await signInForSessionCookie(app.url, email, secrets.userPassword);
    // Someone signs up through the page's server action, with a password of their own.
    const newcomer = `newcomer-${random62(6).toLowerCase()}@canary.test`;
    const signUp = await callFormAction({
      baseUrl: app.url,
      page: "/signup",
      filename: "app/(site)/signup/actions.ts",
      exportedName: "signUpAction",
      previousState: { status: "idle" },
      fields: {
        email: newcomer,
        name: "Newcomer",
        password: secrets.signUpPassword,
        confirmPassword: secrets.signUpPassword,
      },
    });
    expect(signUp.status).toBe(200);
    expect((await db.query(`SELECT 1 FROM "User" WHERE email = $1`, [newcomer])).rowCount).toBe(1);
    // The owner creates a key on the dashboard (its answer shows the key once, by design).
    const dashboardKey = await callFormAction({
      baseUrl: app.url,
      page: "/dashboard/keys",
      filename: "app/(dashboard)/dashboard/keys/actions.ts",
      exportedName: "createKeyAction",
      previousState: { status: "idle" },
      fields: { name: "dashboard key", spendLimitPeriod: "TOTAL" },
      cookie,
    });
    expect(dashboardKey.status).toBe(200);
    const secondKey = /tf-[A-Za-z0-9_-]{32}/.exec(dashboardKey.text)?.[0];
    expect(secondKey, dashboardKey.text.slice(0, 500)).toBeDefined();
    expect(await sdk(secondKey!).models.list()).toBeTruthy();
    const stack = { app, db } as unknown as Stack;
    const stripeStack = {
      stack,
      stripe: new Stripe(secrets.stripeSecretKey, fake.stripeOptions(fakeStripe.url)),
      webhookSecret: secrets.stripeWebhookSecret,
    } as unknown as StripeStack;
    const checkout = await billingApi(stack, cookie, "POST", "/api/billing/checkout", {
      organizationId: org.id,
      amountUsd: "10.00",
    });
    expect(checkout.status).toBe(200);
    await fake.completeSession(fakeStripe.url, checkout.body.id);
    const event = stripeEvent("checkout.session.completed", { id: checkout.body.id, object: "checkout.session" });
    expect((await deliver(stripeStack, event)).status).toBe(200);
    // A forged delivery, and Stripe refusing our key with the key in its message (as it does).
    expect((await deliver(stripeStack, event, { secret: `whsec_${random62(32)}` })).status).toBe(400);
    await fake.fault(fakeStripe.url, {
      path: "/v1/checkout/sessions",
      status: 401,
      error: { type: "invalid_request_error", message: `Invalid API Key provided: ${secrets.stripeSecretKey}` },
    });
    const refused = await billingApi(stack, cookie, "POST", "/api/billing/checkout", {
      organizationId: org.id,
      amountUsd: "10.00",
    });
    expect(refused.status).toBeGreaterThanOrEqual(500);
    await originalFetch(`${app.url}/dashboard`, { headers: { cookie } }); // a page render (not scanned: raw fetch)
    await fetch(`${app.url}/dashboard`, { headers: { cookie } });

    // The database goes away for a moment: the API and the admin API answer errors and log them.
    await pgProxy.setMode("refuse");
    await client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] }).catch(() => undefined);
    await admin.request("GET", `/api/admin/organizations/${org.id}`);
    await signInForSessionCookie(app.url, email, secrets.userPassword).catch(() => undefined);
    await pgProxy.setMode("pass");
    // Back: a request goes through again (the pool reconnects), so the outage's logs are complete.
    for (let i = 0; ; i++) {
      const ok = await client.chat.completions
        .create({ model, messages: [{ role: "user", content: "hi" }] })
        .then(() => true)
        .catch(() => false);
      if (ok) break;
      if (i > 40) throw new Error("the app did not recover from the database outage");
      await new Promise((r) => setTimeout(r, 250));
    }

    await Promise.all(pendingReads);
    await new Promise((r) => setTimeout(r, 500)); // receipts written after the answers, and their log lines
    await app.stop(); // the shutdown's own lines too
    const logs = app.logs();
    const columns = await databaseText();

    canaries = [
      { name: "channel API key", value: secrets.channelKey, secretFrom: "canary-chan-".length },
      { name: "tenant API key", value: tenantKey, secretFrom: 7 }, // "tf-" + 4 shown in its partial
      { name: "dashboard-made tenant key", value: secondKey!, secretFrom: 7 },
      { name: "signed-up user's password", value: secrets.signUpPassword, secretFrom: "canary ".length },
      { name: "Stripe secret key", value: secrets.stripeSecretKey, secretFrom: "sk_test_".length },
      { name: "Stripe webhook secret", value: secrets.stripeWebhookSecret, secretFrom: "whsec_".length },
      { name: "auth secret", value: secrets.authSecret, secretFrom: 0 },
      { name: "encryption key", value: secrets.encryptionKey, secretFrom: 0 },
      { name: "admin key", value: secrets.adminKey, secretFrom: "tf-admin-".length },
      { name: "database password", value: secrets.databasePassword, secretFrom: 0 },
      { name: "user password", value: secrets.userPassword, secretFrom: "canary ".length },
    ];

    // The scanner sees: the self-check canary is in the log, the receipt and the answer; and every
    // derivative form is caught in a sample text.
    const probe: Canary = { name: "self-check", value: selfCheck, secretFrom: "canary-selfcheck-".length };
    const found = (findings: Finding[]) => findings.some((f) => f.form === selfCheck);
    expect(found(scan([probe], "logs", logs))).toBe(true);
    expect(found(columns.flatMap((c) => scan([probe], c.where, c.text)))).toBe(true);
    expect(found(responses.flatMap((r) => scan([probe], r.what, r.text)))).toBe(true);
    for (const canary of canaries) {
      for (const form of derivatives(canary)) {
        expect(scan([canary], "sample", `…${form}…`), `${canary.name} as ${form}`).not.toEqual([]);
      }
    }
    // …and it did read a real amount of each.
    expect(logs.split("\n").filter((line) => line.includes('"component":"access"')).length).toBeGreaterThanOrEqual(8);
    expect(responses.length).toBeGreaterThan(30);

    const findings = [
      ...scan(canaries, "server output", logs),
      ...columns.flatMap((c) => scan(canaries, `column ${c.where}`, c.text)),
      ...responses
        .filter((r) => !REVEALS_THE_KEY.test(r.what))
        .flatMap((r) => scan(canaries, `response ${r.what}`, r.text)),
    ];
    console.log(
      `[canary] scanned ${logs.length} bytes of server output (${logs.split("\n").length} lines), ` +
        `${columns.length} text columns (${columns.reduce((n, c) => n + c.text.length, 0)} bytes), ` +
        `${responses.length} responses; ${canaries.length} secrets × their derivatives: ${findings.length} found`,
    );
    expect(findings).toEqual([]);
  }, 240_000);
});

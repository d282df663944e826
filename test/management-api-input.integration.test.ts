// Hostile input to every management API route (and /api/redeem) against `next start` on real
// Postgres: values beyond their columns (BIGINT nanos, int4 limits), sums that would overflow,
// control characters, malformed ids, cursors, URLs, JSON and content types. Each answers 400 with
// the API's error shape, never 500, and the database is left exactly as it was. Then random JSON
// bodies (fast-check) to each route: never a 5xx.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "./stack";

let stack: Stack;
const ids = { org: "", key: "", gatewayKey: "", channel: "", model: "gpt-4o", capOrg: "" };

const BEYOND_BIGINT_USD = "9223372036.854775808"; // 2^63 nano-USD
const INT32_OVERFLOW = 2 ** 31;

interface Sent {
  status: number;
  body: { error?: { code: string; message: string; field?: string } } & Record<string, unknown>;
}

/** A raw request: `body` is sent as is (a string) or JSON-encoded; ids in the path are filled in. */
async function send(
  method: string,
  path: string,
  body?: unknown,
  options: { contentType?: string | null; authorization?: string } = {},
): Promise<Sent> {
  const contentType = options.contentType === undefined ? "application/json" : options.contentType;
  const res = await fetch(`${stack.app.url}${fillIds(path)}`, {
    method,
    headers: {
      authorization: options.authorization ?? `Bearer ${stack.app.adminKey}`,
      ...(body !== undefined && contentType !== null ? { "content-type": contentType } : {}),
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Sent["body"];
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed };
}

function fillIds(path: string): string {
  return path.replace(/\{(org|key|channel|model)\}/g, (_, name: keyof typeof ids) => ids[name]);
}

/** Every table an admin route writes, as one digest per table (lastUsedAt moves on any key use). */
async function databaseDigest(): Promise<Record<string, string>> {
  const tables = ["Organization", "ApiKey", "Model", "Channel", "LedgerEntry", "RedemptionCode", "AuditEvent", "Hold"];
  const digest: Record<string, string> = {};
  for (const table of tables) {
    const { rows } = await stack.db.query<{ rows: string; md5: string | null }>(
      `SELECT count(*)::text AS rows, md5(string_agg((to_jsonb(t) - 'lastUsedAt')::text, ',' ORDER BY t.id)) AS md5
         FROM "${table}" t`,
    );
    digest[table] = `${rows[0].rows}:${rows[0].md5}`;
  }
  return digest;
}

beforeAll(async () => {
  stack = await startStack();
  const org = await stack.admin.createOrganization("Input Co", "10");
  ids.org = org.id;
  const key = await stack.admin.createKey(org.id);
  ids.key = key.id;
  ids.gatewayKey = key.key;
  const channels = await stack.admin.request("GET", "/api/admin/channels");
  ids.channel = channels.body.data[0].id;
  ids.capOrg = (await stack.admin.createOrganization("Ceiling Co")).id;
});

afterAll(async () => {
  await stack?.stop();
});

interface Expected {
  code?: string; // default validation_error
  field?: string;
  contentType?: string; // default application/json
}
type Case = [label: string, method: string, path: string, body: unknown, expected?: Expected];

const CONTROL_NAMES = [
  "a\u0000b",
  "line\nbreak",
  "esc\u001b[31m",
  "del\u007f",
  "c1\u0085",
  "sep\u2028x",
  "evil\u202eexe",
  "iso\u2066x",
];
const channel = { name: "ok", provider: "demo", models: ["gpt-4o"] };
const model = {
  id: "hostile-model",
  displayName: "Hostile",
  provider: "Test",
  inputPriceUsd: "1",
  outputPriceUsd: "2",
  contextWindow: 1000,
  maxOutputTokens: 100,
  defaultMaxOutputTokens: 100,
};
const chars = (n: number) => "x".repeat(n);

const CASES: Case[] = [
  // ---------- organizations ----------
  ...CONTROL_NAMES.map((name): Case => [
    `org name ${JSON.stringify(name)}`,
    "POST",
    "/api/admin/organizations",
    { name },
    { field: "name" },
  ]),
  ["org name too long", "POST", "/api/admin/organizations", { name: chars(201) }, { field: "name" }],
  ["org name blank", "POST", "/api/admin/organizations", { name: "   " }, { field: "name" }],
  ["org name number", "POST", "/api/admin/organizations", { name: 5 }, { field: "name" }],
  ["org body array", "POST", "/api/admin/organizations", [{ name: "x" }], { field: "body" }],
  ["org body string", "POST", "/api/admin/organizations", '"x"', { field: "body" }],
  ["org body null", "POST", "/api/admin/organizations", "null", { field: "body" }],
  ["org body invalid JSON", "POST", "/api/admin/organizations", "{name:", { code: "bad_request" }],
  [
    "org rpmLimit int32+1",
    "PATCH",
    "/api/admin/organizations/{org}",
    { rpmLimit: INT32_OVERFLOW },
    { field: "rpmLimit" },
  ],
  ["org rpmLimit 1e400", "PATCH", "/api/admin/organizations/{org}", '{"rpmLimit":1e400}', { field: "rpmLimit" }],
  ["org rpmLimit negative", "PATCH", "/api/admin/organizations/{org}", { rpmLimit: -1 }, { field: "rpmLimit" }],
  [
    "org rpmLimit above max",
    "PATCH",
    "/api/admin/organizations/{org}",
    { rpmLimit: 10_000_001 },
    { field: "rpmLimit" },
  ],
  ["org rename control", "PATCH", "/api/admin/organizations/{org}", { name: "x\u0000" }, { field: "name" }],
  ["org disabled string", "PATCH", "/api/admin/organizations/{org}", { disabled: "yes" }, { field: "disabled" }],
  ["org id NUL", "GET", "/api/admin/organizations/a%00b", undefined, { field: "id" }],
  ["org id too long", "PATCH", `/api/admin/organizations/${chars(300)}`, { name: "x" }, { field: "id" }],
  ["org list limit hex", "GET", "/api/admin/organizations?limit=0x10", undefined, { field: "limit" }],
  ["org list limit huge", "GET", "/api/admin/organizations?limit=99999999999999999999", undefined, { field: "limit" }],
  ["org list limit 0", "GET", "/api/admin/organizations?limit=0", undefined, { field: "limit" }],
  ["org list cursor NUL", "GET", "/api/admin/organizations?cursor=%00", undefined, { field: "cursor" }],
  ["org list cursor quote", "GET", "/api/admin/organizations?cursor=x'%20OR%201=1", undefined, { field: "cursor" }],
  ["org list q NUL", "GET", "/api/admin/organizations?q=a%00", undefined, { field: "q" }],
  ["org list q too long", "GET", `/api/admin/organizations?q=${chars(201)}`, undefined, { field: "q" }],

  // ---------- credits ----------
  [
    "credit beyond BIGINT",
    "POST",
    "/api/admin/organizations/{org}/credits",
    { amountUsd: BEYOND_BIGINT_USD },
    { field: "amountUsd" },
  ],
  [
    "credit 12 digits",
    "POST",
    "/api/admin/organizations/{org}/credits",
    { amountUsd: "999999999999.999999999" },
    { field: "amountUsd" },
  ],
  [
    "credit above max",
    "POST",
    "/api/admin/organizations/{org}/credits",
    { amountUsd: "1000000000.000000001" },
    { field: "amountUsd" },
  ],
  [
    "debit above max",
    "POST",
    "/api/admin/organizations/{org}/credits",
    { amountUsd: "-1000000000.000000001" },
    { field: "amountUsd" },
  ],
  ["credit 1e21 number", "POST", "/api/admin/organizations/{org}/credits", { amountUsd: 1e21 }, { field: "amountUsd" }],
  [
    "credit 1e400 number",
    "POST",
    "/api/admin/organizations/{org}/credits",
    '{"amountUsd":1e400}',
    { field: "amountUsd" },
  ],
  ["credit boolean", "POST", "/api/admin/organizations/{org}/credits", { amountUsd: true }, { field: "amountUsd" }],
  ["credit NUL", "POST", "/api/admin/organizations/{org}/credits", { amountUsd: "1\u0000" }, { field: "amountUsd" }],
  [
    "credit note control",
    "POST",
    "/api/admin/organizations/{org}/credits",
    { amountUsd: "1", note: "a\u0000" },
    { field: "note" },
  ],
  [
    "credit note too long",
    "POST",
    "/api/admin/organizations/{org}/credits",
    { amountUsd: "1", note: chars(501) },
    { field: "note" },
  ],
  [
    "credit reference control",
    "POST",
    "/api/admin/organizations/{org}/credits",
    { amountUsd: "1", reference: "r\u2028x" },
    { field: "reference" },
  ],
  [
    "credit reference too long",
    "POST",
    "/api/admin/organizations/{org}/credits",
    { amountUsd: "1", reference: chars(201) },
    { field: "reference" },
  ],
  [
    "credit beyond the balance ceiling",
    "POST",
    "/api/admin/organizations/{org}/credits",
    { amountUsd: "1000000000", reference: "beyond-ceiling" },
    { field: "amountUsd" },
  ],
  [
    "credit form-encoded",
    "POST",
    "/api/admin/organizations/{org}/credits",
    "amountUsd=1",
    { code: "bad_request", contentType: "application/x-www-form-urlencoded" },
  ],

  // ---------- keys ----------
  ...CONTROL_NAMES.map((name): Case => [
    `key name ${JSON.stringify(name)}`,
    "POST",
    "/api/admin/organizations/{org}/keys",
    { name },
    { field: "name" },
  ]),
  [
    "key rpmLimit int32+1",
    "POST",
    "/api/admin/organizations/{org}/keys",
    { name: "k", rpmLimit: INT32_OVERFLOW },
    { field: "rpmLimit" },
  ],
  [
    "key tpmLimit above max",
    "POST",
    "/api/admin/organizations/{org}/keys",
    { name: "k", tpmLimit: 1_000_000_001 },
    { field: "tpmLimit" },
  ],
  [
    "key maxConcurrency 1e10",
    "POST",
    "/api/admin/organizations/{org}/keys",
    { name: "k", maxConcurrency: 1e10 },
    { field: "maxConcurrency" },
  ],
  [
    "key maxConcurrency 0",
    "POST",
    "/api/admin/organizations/{org}/keys",
    { name: "k", maxConcurrency: 0 },
    { field: "maxConcurrency" },
  ],
  [
    "key spend beyond BIGINT",
    "POST",
    "/api/admin/organizations/{org}/keys",
    { name: "k", spendLimitUsd: BEYOND_BIGINT_USD },
    { field: "spendLimitUsd" },
  ],
  [
    "key spend above max",
    "POST",
    "/api/admin/organizations/{org}/keys",
    { name: "k", spendLimitUsd: "1000000000.01" },
    { field: "spendLimitUsd" },
  ],
  [
    "key spend negative",
    "POST",
    "/api/admin/organizations/{org}/keys",
    { name: "k", spendLimitUsd: "-1" },
    { field: "spendLimitUsd" },
  ],
  [
    "key allowedModels charset",
    "POST",
    "/api/admin/organizations/{org}/keys",
    { name: "k", allowedModels: ["a b"] },
    { field: "allowedModels.0" },
  ],
  [
    "key allowedModels NUL",
    "POST",
    "/api/admin/organizations/{org}/keys",
    { name: "k", allowedModels: ["a\u0000"] },
    { field: "allowedModels.0" },
  ],
  [
    "key allowedModels too many",
    "POST",
    "/api/admin/organizations/{org}/keys",
    { name: "k", allowedModels: Array.from({ length: 501 }, (_, i) => `m${i}`) },
    { field: "allowedModels" },
  ],
  [
    "key allowedIps too many",
    "POST",
    "/api/admin/organizations/{org}/keys",
    { name: "k", allowedIps: Array.from({ length: 101 }, (_, i) => `10.0.0.${i % 250}`) },
    { field: "allowedIps" },
  ],
  [
    "key allowedIps junk",
    "POST",
    "/api/admin/organizations/{org}/keys",
    { name: "k", allowedIps: ["10.0.0.1\u0000"] },
    { field: "allowedIps.0" },
  ],
  [
    "key expiresAt year 99999",
    "POST",
    "/api/admin/organizations/{org}/keys",
    { name: "k", expiresAt: "99999-01-01T00:00:00Z" },
    { field: "expiresAt" },
  ],
  ["key on NUL org id", "POST", "/api/admin/organizations/a%00/keys", { name: "k" }, { field: "id" }],
  ["key list on NUL org id", "GET", "/api/admin/organizations/a%00/keys", undefined, { field: "id" }],
  ["revoke NUL key id", "DELETE", "/api/admin/keys/k%00", undefined, { field: "id" }],
  ["revoke spaced key id", "DELETE", "/api/admin/keys/a%20b", undefined, { field: "id" }],

  // ---------- models ----------
  [
    "model price beyond BIGINT",
    "POST",
    "/api/admin/models",
    { ...model, inputPriceUsd: BEYOND_BIGINT_USD },
    { field: "inputPriceUsd" },
  ],
  [
    "model price above max",
    "POST",
    "/api/admin/models",
    { ...model, outputPriceUsd: "1000000.000000001" },
    { field: "outputPriceUsd" },
  ],
  [
    "model cached price above max",
    "POST",
    "/api/admin/models",
    { ...model, cachedInputPriceUsd: "5000000" },
    { field: "cachedInputPriceUsd" },
  ],
  [
    "model contextWindow int32+1",
    "POST",
    "/api/admin/models",
    { ...model, contextWindow: INT32_OVERFLOW },
    { field: "contextWindow" },
  ],
  [
    "model maxOutputTokens above max",
    "POST",
    "/api/admin/models",
    { ...model, maxOutputTokens: 10_000_001 },
    { field: "maxOutputTokens" },
  ],
  ["model qualityTier 6", "POST", "/api/admin/models", { ...model, qualityTier: 6 }, { field: "qualityTier" }],
  [
    "model sortOrder int32+1",
    "POST",
    "/api/admin/models",
    { ...model, sortOrder: INT32_OVERFLOW },
    { field: "sortOrder" },
  ],
  ["model id NUL", "POST", "/api/admin/models", { ...model, id: "m\u0000" }, { field: "id" }],
  ["model id slash", "POST", "/api/admin/models", { ...model, id: "a/b" }, { field: "id" }],
  [
    "model displayName control",
    "POST",
    "/api/admin/models",
    { ...model, displayName: "a\u202eb" },
    { field: "displayName" },
  ],
  ["model provider control", "POST", "/api/admin/models", { ...model, provider: "a\nb" }, { field: "provider" }],
  [
    "model patch price beyond BIGINT",
    "PATCH",
    "/api/admin/models/{model}",
    { inputPriceUsd: BEYOND_BIGINT_USD },
    { field: "inputPriceUsd" },
  ],
  ["model patch price 1e21", "PATCH", "/api/admin/models/{model}", { inputPriceUsd: 1e21 }, { field: "inputPriceUsd" }],
  [
    "model patch defaultMax int32+1",
    "PATCH",
    "/api/admin/models/{model}",
    { defaultMaxOutputTokens: INT32_OVERFLOW },
    { field: "defaultMaxOutputTokens" },
  ],
  [
    "model patch wrong type",
    "PATCH",
    "/api/admin/models/{model}",
    { supportsTools: "true" },
    { field: "supportsTools" },
  ],
  ["model get NUL id", "GET", "/api/admin/models/a%00", undefined, { field: "id" }],
  [
    "model patch text/plain",
    "PATCH",
    "/api/admin/models/{model}",
    '{"inputPriceUsd":"1"}',
    { code: "bad_request", contentType: "text/plain" },
  ],

  // ---------- channels ----------
  ...CONTROL_NAMES.map((name): Case => [
    `channel name ${JSON.stringify(name)}`,
    "POST",
    "/api/admin/channels",
    { ...channel, name },
    { field: "name" },
  ]),
  [
    "channel javascript URL",
    "POST",
    "/api/admin/channels",
    { ...channel, provider: "openai", apiKey: "sk-1", baseUrl: "javascript:alert(1)" },
    { field: "baseUrl" },
  ],
  [
    "channel file URL",
    "POST",
    "/api/admin/channels",
    { ...channel, provider: "openai", apiKey: "sk-1", baseUrl: "file:///etc/passwd" },
    { field: "baseUrl" },
  ],
  [
    "channel URL credentials",
    "POST",
    "/api/admin/channels",
    { ...channel, provider: "openai", apiKey: "sk-1", baseUrl: "https://u:p@api.example.com/v1" },
    { field: "baseUrl" },
  ],
  [
    "channel URL too long",
    "POST",
    "/api/admin/channels",
    { ...channel, provider: "openai", apiKey: "sk-1", baseUrl: `https://api.example.com/${chars(2048)}` },
    { field: "baseUrl" },
  ],
  [
    "channel URL relative",
    "POST",
    "/api/admin/channels",
    { ...channel, provider: "openai", apiKey: "sk-1", baseUrl: "/v1" },
    { field: "baseUrl" },
  ],
  [
    "channel apiKey CRLF",
    "POST",
    "/api/admin/channels",
    { ...channel, provider: "openai", baseUrl: "https://api.example.com/v1", apiKey: "sk-1\r\nx-evil: 1" },
    { field: "apiKey" },
  ],
  [
    "channel apiKey non-ASCII",
    "POST",
    "/api/admin/channels",
    { ...channel, provider: "openai", baseUrl: "https://api.example.com/v1", apiKey: "sk-é" },
    { field: "apiKey" },
  ],
  ["channel models charset", "POST", "/api/admin/channels", { ...channel, models: ["gpt 4o"] }, { field: "models.0" }],
  [
    "channel models NUL",
    "POST",
    "/api/admin/channels",
    { ...channel, models: ["gpt-4o\u0000"] },
    { field: "models.0" },
  ],
  [
    "channel models too many",
    "POST",
    "/api/admin/channels",
    { ...channel, models: Array.from({ length: 501 }, (_, i) => `m${i}`) },
    { field: "models" },
  ],
  [
    "channel mapping value charset",
    "POST",
    "/api/admin/channels",
    { ...channel, modelMapping: { "gpt-4o": "<script>" } },
    { field: "modelMapping.gpt-4o" },
  ],
  [
    "channel mapping value NUL",
    "POST",
    "/api/admin/channels",
    { ...channel, modelMapping: { "gpt-4o": "a\u0000" } },
    { field: "modelMapping.gpt-4o" },
  ],
  [
    "channel mapping too many",
    "POST",
    "/api/admin/channels",
    { ...channel, modelMapping: Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`m${i}`, "x"])) },
    { field: "modelMapping" },
  ],
  [
    "channel priority int32+1",
    "POST",
    "/api/admin/channels",
    { ...channel, priority: INT32_OVERFLOW },
    { field: "priority" },
  ],
  ["channel weight negative", "POST", "/api/admin/channels", { ...channel, weight: -1 }, { field: "weight" }],
  [
    "channel weight 1e400",
    "POST",
    "/api/admin/channels",
    '{"name":"x","provider":"demo","models":["gpt-4o"],"weight":1e400}',
    { field: "weight" },
  ],
  ["channel preset control", "POST", "/api/admin/channels", { preset: "deepseek\u0000" }, { field: "preset" }],
  ["channel patch name control", "PATCH", "/api/admin/channels/{channel}", { name: "x\u2029y" }, { field: "name" }],
  [
    "channel patch weight int32+1",
    "PATCH",
    "/api/admin/channels/{channel}",
    { weight: INT32_OVERFLOW },
    { field: "weight" },
  ],
  ["channel patch models empty", "PATCH", "/api/admin/channels/{channel}", { models: [] }, { field: "models" }],
  ["channel patch body array", "PATCH", "/api/admin/channels/{channel}", [], { field: "body" }],
  ["channel get NUL id", "GET", "/api/admin/channels/%00", undefined, { field: "id" }],
  ["channel delete NUL id", "DELETE", "/api/admin/channels/x%00", undefined, { field: "id" }],
  ["channel test NUL id", "POST", "/api/admin/channels/x%00/test", undefined, { field: "id" }],

  // ---------- redemption codes ----------
  [
    "codes amount beyond BIGINT",
    "POST",
    "/api/admin/redemption-codes",
    { amountUsd: BEYOND_BIGINT_USD, count: 1 },
    { field: "amountUsd" },
  ],
  [
    "codes amount × count beyond max",
    "POST",
    "/api/admin/redemption-codes",
    { amountUsd: "9300000", count: 1000 },
    { field: "amountUsd" },
  ],
  ["codes count 1001", "POST", "/api/admin/redemption-codes", { amountUsd: "1", count: 1001 }, { field: "count" }],
  [
    "codes count int32+1",
    "POST",
    "/api/admin/redemption-codes",
    { amountUsd: "1", count: INT32_OVERFLOW },
    { field: "count" },
  ],
  ["codes count string", "POST", "/api/admin/redemption-codes", { amountUsd: "1", count: "5" }, { field: "count" }],
  ["codes amount zero", "POST", "/api/admin/redemption-codes", { amountUsd: "0", count: 1 }, { field: "amountUsd" }],
  ["codes list batchId NUL", "GET", "/api/admin/redemption-codes?batchId=%00", undefined, { field: "batchId" }],
  ["codes list limit too big", "GET", "/api/admin/redemption-codes?limit=1001", undefined, { field: "limit" }],
  ["codes list limit exponent", "GET", "/api/admin/redemption-codes?limit=1e3", undefined, { field: "limit" }],
];

describe("management API input", () => {
  let before: Record<string, string>;

  it("starts from a known database", async () => {
    before = await databaseDigest();
    expect(Number(before.Organization.split(":")[0])).toBeGreaterThanOrEqual(2);
  });

  it.each(CASES)("%s → 400", async (_label, method, path, body, expected = {}) => {
    const res = await send(method, path, body, { contentType: expected.contentType });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error?.code).toBe(expected.code ?? "validation_error");
    if (expected.field) expect(res.body.error?.field).toBe(expected.field);
  });

  it("/api/redeem refuses hostile bodies with 400 too", async () => {
    const authorization = `Bearer ${ids.gatewayKey}`;
    for (const body of [{ code: 5 }, { code: chars(101) }, { code: "x", extra: 1 }, [], "null"]) {
      const res = await send("POST", "/api/redeem", body, { authorization });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error?.code).toBe("validation_error");
    }
    const nul = await send("POST", "/api/redeem", { code: "TF-\u0000" }, { authorization });
    expect(nul.body.error?.code).toBe("invalid_code");
  });

  it("changed nothing in the database, and the server never had to map a database error", async () => {
    expect(await databaseDigest()).toEqual(before);
    expect(stack.app.logs()).not.toMatch(/"component":"api".*"msg":"(request failed|the database refused)/);
  });
});

describe("the balance ceiling ($1,000,000,000 of balance + held)", () => {
  it("credits up to the ceiling, refuses one nano more with 400, and lets the balance come down again", async () => {
    const credit = (amountUsd: string) =>
      send("POST", `/api/admin/organizations/${ids.capOrg}/credits`, { amountUsd, reference: crypto.randomUUID() });
    expect((await credit("1000000000")).body).toEqual({ balanceUsd: "1000000000.00" });
    const over = await credit("0.000000001");
    expect(over.status).toBe(400);
    expect(over.body.error).toEqual({
      code: "validation_error",
      field: "amountUsd",
      message: "amountUsd: the balance would exceed its maximum of 1000000000.00 USD",
    });
    expect((await credit("-0.5")).body).toEqual({ balanceUsd: "999999999.50" });
    expect((await credit("0.5")).body).toEqual({ balanceUsd: "1000000000.00" });
    const { rows } = await stack.db.query(
      `SELECT sum("amountNanos")::text AS total FROM "LedgerEntry" WHERE "organizationId" = $1`,
      [ids.capOrg],
    );
    expect(rows[0].total).toBe("1000000000000000000");
  });

  it("refuses to redeem a code past the ceiling, keeping the code for later", async () => {
    const minted = await send("POST", "/api/admin/redemption-codes", { amountUsd: "1", count: 1 });
    expect(minted.status).toBe(201);
    const { key } = await stack.admin.createKey(ids.capOrg);
    const redeem = () =>
      send("POST", "/api/redeem", { code: (minted.body.codes as string[])[0] }, { authorization: `Bearer ${key}` });
    const refused = await redeem();
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: "validation_error", field: "code" });
    expect((await stack.admin.getOrganization(ids.capOrg)).balanceUsd).toBe("1000000000.00");

    await send("POST", `/api/admin/organizations/${ids.capOrg}/credits`, { amountUsd: "-1", reference: "make-room" });
    expect((await redeem()).body).toEqual({ balanceUsd: "1000000000.00", creditedUsd: "1.00" });
  });
});

describe("random JSON bodies (fast-check)", () => {
  const ROUTES: Array<[method: string, path: string, fields: string[]]> = [
    ["POST", "/api/admin/organizations", ["name"]],
    ["PATCH", "/api/admin/organizations/{org}", ["name", "rpmLimit", "disabled"]],
    ["POST", "/api/admin/organizations/{org}/credits", ["amountUsd", "note", "reference"]],
    [
      "POST",
      "/api/admin/organizations/{org}/keys",
      ["name", "allowedModels", "allowedIps", "expiresAt", "rpmLimit", "tpmLimit", "maxConcurrency", "spendLimitUsd"],
    ],
    [
      "POST",
      "/api/admin/models",
      Object.keys(model).concat(["cachedInputPriceUsd", "qualityTier", "sortOrder", "kind", "enabled"]),
    ],
    [
      "PATCH",
      "/api/admin/models/{model}",
      ["inputPriceUsd", "outputPriceUsd", "contextWindow", "maxOutputTokens", "defaultMaxOutputTokens", "qualityTier"],
    ],
    [
      "POST",
      "/api/admin/channels",
      ["name", "provider", "baseUrl", "apiKey", "models", "modelMapping", "priority", "weight", "enabled", "preset"],
    ],
    [
      "PATCH",
      "/api/admin/channels/{channel}",
      ["name", "provider", "baseUrl", "apiKey", "models", "modelMapping", "priority", "weight"],
    ],
    ["POST", "/api/admin/redemption-codes", ["amountUsd", "count", "expiresAt"]],
    ["POST", "/api/redeem", ["code"]],
  ];

  // Arbitrary JSON (any Unicode, lone surrogates included), and objects using the route's own field
  // names with arbitrary values, numbers at the edges and USD strings of every size.
  const edgeValue = fc.oneof(
    fc.jsonValue({ stringUnit: "binary", maxDepth: 3 }),
    fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53, -0, 1e308, BEYOND_BIGINT_USD, "1e400", "", "\u0000"),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => `${n}`),
    fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 14n }), fc.integer({ min: 0, max: 999_999_999 }))
      .map(([w, f]) => `${w}.${f}`),
  );

  it.each(ROUTES)("%s %s never answers 5xx", async (method, path, fields) => {
    const body = fc.oneof(
      fc.jsonValue({ stringUnit: "binary", maxDepth: 3 }),
      fc.dictionary(fc.constantFrom(...fields), edgeValue, { maxKeys: fields.length }),
    );
    const authorization = path === "/api/redeem" ? `Bearer ${ids.gatewayKey}` : undefined;
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const res = await send(method, path, JSON.stringify(value), { authorization });
        if (res.status >= 500)
          throw new Error(`${res.status} for ${JSON.stringify(value)}: ${JSON.stringify(res.body)}`);
      }),
      { numRuns: 40 },
    );
  });
});

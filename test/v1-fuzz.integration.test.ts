// Malformed input of any shape, against the real server: a few hundred generated and mutated bodies
// (wrong types, out-of-range numbers, deep nesting, overflowing numbers, invalid UTF-8, truncation,
// non-objects, oversized arrays and bodies, garbage) to /v1/chat/completions and /v1/embeddings.
// Never a 5xx; every error in OpenAI's envelope; a refused body never reaches the upstream; and
// afterwards the primary channel still serves and the books balance.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getRequests, getStats } from "@/e2e/fake-upstream/client";
import { startStack, type Stack } from "./stack";

// Small limits so that the "one over the limit" bodies stay cheap (and the env knobs are exercised).
const LIMITS = { maxBodyBytes: 1024 * 1024, maxDepth: 24, maxMessages: 300, maxTools: 20 };
const CHAT = "/v1/chat/completions";
const EMBEDDINGS = "/v1/embeddings";

let stack: Stack;
let key: string;
let orgId: string;

beforeAll(async () => {
  stack = await startStack({
    env: {
      TOKENFLOW_MAX_BODY_BYTES: String(LIMITS.maxBodyBytes),
      TOKENFLOW_MAX_JSON_DEPTH: String(LIMITS.maxDepth),
      TOKENFLOW_MAX_MESSAGES: String(LIMITS.maxMessages),
      TOKENFLOW_MAX_TOOLS: String(LIMITS.maxTools),
    },
  });
  await stack.admin.disableAllChannels();
  await stack.admin.createModel({
    id: "embed-small",
    displayName: "Embed small",
    provider: "OpenAI",
    kind: "EMBEDDING",
    inputPriceUsd: "0.02",
    outputPriceUsd: "0",
    contextWindow: 8191,
    maxOutputTokens: 1,
    defaultMaxOutputTokens: 1,
  });
  const models = ["deepseek-v3", "embed-small"];
  const modelMapping = { "deepseek-v3": "deepseek-chat", "embed-small": "text-embedding-3-small" };
  await stack.admin.createChannel({
    name: "primary",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-primary",
    priority: 10,
    models,
    modelMapping,
  });
  await stack.admin.createChannel({
    name: "fallback",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-fallback",
    priority: 0,
    models,
    modelMapping,
  });
  orgId = (await stack.admin.createOrganization("Fuzz", "10.00")).id;
  key = (await stack.admin.createKey(orgId)).key;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

// ---------------------------------------------------------------------------------------------
// Cases

interface Case {
  what: string;
  path: string;
  body: Uint8Array;
  /** "invalid": must be refused (400, or 413 when `status` says so); "valid": must be served; "any": within the invariants. */
  expect: "invalid" | "valid" | "any";
  status?: number;
}

const bytes = (text: string) => Buffer.from(text, "utf8");
const some = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const validChat = fc.record(
  {
    model: fc.constant("deepseek-v3"),
    messages: fc.array(
      fc.record({ role: fc.constantFrom("system", "user", "assistant"), content: fc.string({ maxLength: 40 }) }),
      { minLength: 1, maxLength: 4 },
    ),
    max_tokens: fc.integer({ min: 1, max: 12 }),
    temperature: some(fc.double({ min: 0, max: 2, noNaN: true })),
    top_p: some(fc.double({ min: 0, max: 1, noNaN: true })),
    n: some(fc.integer({ min: 1, max: 2 })),
    stream: some(fc.boolean()),
    stop: some(fc.oneof(fc.string({ maxLength: 4 }), fc.array(fc.string({ maxLength: 4 }), { maxLength: 4 }))),
    seed: some(fc.integer()),
    user: some(fc.string({ maxLength: 16 })),
    tools: some(
      fc.array(
        fc.record({
          type: fc.constant("function"),
          function: fc.record({
            name: fc.stringMatching(/^[a-z_]{1,12}$/),
            parameters: fc.constant({ type: "object" }),
          }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    ),
    metadata: some(fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 8 }), { maxKeys: 3 })),
  },
  { requiredKeys: ["model", "messages", "max_tokens"] },
);

const validEmbeddings = fc.record(
  {
    model: fc.constant("embed-small"),
    input: fc.oneof(
      fc.string({ minLength: 1, maxLength: 30 }),
      fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 5 }),
      fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 10 }),
      fc.array(fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 5 }), {
        minLength: 1,
        maxLength: 3,
      }),
    ),
    encoding_format: some(fc.constantFrom("float", "base64")),
    dimensions: some(fc.integer({ min: 1, max: 16 })),
  },
  { requiredKeys: ["model", "input"] },
);

const valid = fc.oneof(
  validChat.map((body) => ({ path: CHAT, body: body as Record<string, unknown> })),
  validEmbeddings.map((body) => ({ path: EMBEDDINGS, body: body as Record<string, unknown> })),
);

const anyValue = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(1e300, -1e300, 2 ** 53, -1, 0, 0.5),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 3 })), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.integer(), fc.string({ maxLength: 3 })), { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
);

const KNOWN_FIELDS = [
  "model",
  "messages",
  "temperature",
  "top_p",
  "n",
  "max_tokens",
  "max_completion_tokens",
  "stream",
  "stream_options",
  "stop",
  "logit_bias",
  "logprobs",
  "top_logprobs",
  "presence_penalty",
  "frequency_penalty",
  "seed",
  "tools",
  "tool_choice",
  "response_format",
  "user",
  "input",
  "dimensions",
  "encoding_format",
];

// Values each field can never take (field, value, endpoint).
const OUT_OF_RANGE: Array<[string, unknown, string]> = [
  ["temperature", 2.0001, CHAT],
  ["temperature", -0.5, CHAT],
  ["top_p", 1.5, CHAT],
  ["n", 0, CHAT],
  ["n", 129, CHAT],
  ["n", 1.5, CHAT],
  ["max_tokens", 0, CHAT],
  ["max_tokens", 2 ** 31, CHAT],
  ["max_completion_tokens", -3, CHAT],
  ["top_logprobs", 21, CHAT],
  ["presence_penalty", 2.5, CHAT],
  ["frequency_penalty", -9, CHAT],
  ["logit_bias", { "42": 101 }, CHAT],
  ["logprobs", "true", CHAT],
  ["stop", ["a", "b", "c", "d", "e"], CHAT],
  ["seed", 2 ** 53, CHAT],
  ["user", "u".repeat(600), CHAT],
  ["messages", [], CHAT],
  ["messages", [{ role: "robot", content: "hi" }], CHAT],
  ["messages", [{ role: "user", content: 5 }], CHAT],
  ["messages", [{ role: "user", content: [{ text: "no type" }] }], CHAT],
  ["tools", [{ type: "function" }], CHAT],
  ["tools", [{ type: "function", function: { name: "f", parameters: "{}" } }], CHAT],
  ["tool_choice", 7, CHAT],
  ["response_format", { schema: {} }, CHAT],
  ["stream", "yes", CHAT],
  ["stream_options", { include_usage: 1 }, CHAT],
  ["model", 12, CHAT],
  ["input", [], EMBEDDINGS],
  ["input", [1, -2], EMBEDDINGS],
  ["input", ["a", 1], EMBEDDINGS],
  ["input", [[1], []], EMBEDDINGS],
  ["input", { text: "x" }, EMBEDDINGS],
  ["dimensions", 0, EMBEDDINGS],
  ["dimensions", 70_000, EMBEDDINGS],
  ["encoding_format", "int8", EMBEDDINGS],
];

const wrongType = fc
  .tuple(valid, fc.constantFrom(...KNOWN_FIELDS), anyValue)
  .map(([{ path, body }, field, value]): Case => ({
    what: `${field} = ${JSON.stringify(value)?.slice(0, 60)}`,
    path,
    body: bytes(JSON.stringify({ ...body, [field]: value })),
    expect: "any",
  }));

const brokenMessage = fc
  .tuple(validChat, fc.nat(), fc.oneof(anyValue, fc.record({ role: anyValue, content: anyValue })))
  .map(([body, index, message]): Case => {
    const messages = [...body.messages];
    messages[index % messages.length] = message as never;
    return {
      what: `a message = ${JSON.stringify(message)}`,
      path: CHAT,
      body: bytes(JSON.stringify({ ...body, messages })),
      expect: "any",
    };
  });

const outOfRange = fc
  .tuple(validChat, validEmbeddings, fc.constantFrom(...OUT_OF_RANGE))
  .map(([chat, embeddings, [field, value, path]]): Case => ({
    what: `${field} = ${JSON.stringify(value).slice(0, 60)}`,
    path,
    body: bytes(JSON.stringify({ ...(path === CHAT ? chat : embeddings), [field]: value })),
    expect: "invalid",
  }));

const tooDeep = fc
  .tuple(
    valid,
    fc.oneof(
      fc.integer({ min: LIMITS.maxDepth, max: LIMITS.maxDepth + 8 }),
      fc.integer({ min: LIMITS.maxDepth, max: LIMITS.maxDepth + 5_000 }),
    ),
    fc.boolean(),
    fc.constantFrom("messages", "input", "x_nested", "tools"),
  )
  .map(([{ path, body }, levels, asObjects, field]): Case => {
    const open = asObjects ? '{"a":'.repeat(levels) : "[".repeat(levels);
    const close = (asObjects ? "}" : "]").repeat(levels);
    const text = JSON.stringify({ ...body, [field]: "__DEEP__" }).replace('"__DEEP__"', `${open}1${close}`);
    return { what: `${field} nested ${levels} deep`, path, body: bytes(text), expect: "invalid" };
  });

const overflowingNumber = fc
  .tuple(
    valid,
    fc.constantFrom("1e400", "-1E+999", `1${"0".repeat(400)}`, "123.5e309"),
    fc.constantFrom("temperature", "seed", "x_extra", "dimensions"),
  )
  .map(([{ path, body }, literal, field]): Case => ({
    what: `${field} = ${literal.slice(0, 20)}`,
    path,
    body: bytes(JSON.stringify({ ...body, [field]: "__NUM__" }).replace('"__NUM__"', literal)),
    expect: "invalid",
  }));

const INVALID_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0x80],
  [0xc0, 0xaf],
  [0xc3],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

const invalidUtf8 = fc
  .tuple(valid, fc.constantFrom(...INVALID_UTF8), fc.nat())
  .map(([{ path, body }, bad, at]): Case => {
    // Inside a string value, where a lenient decoder would quietly turn it into U+FFFD.
    const text = JSON.stringify({ ...body, user: "before-after" });
    const position = text.indexOf("before-") + "before-".length;
    const raw = bytes(text);
    const spot = at % 2 === 0 ? position : raw.length; // or trailing garbage after the object
    return {
      what: `bytes ${bad.map((b) => b.toString(16)).join(" ")} at ${spot}`,
      path,
      body: Buffer.concat([raw.subarray(0, spot), Buffer.from(bad), raw.subarray(spot)]),
      expect: "invalid",
    };
  });

const truncated = fc.tuple(valid, fc.nat()).map(([{ path, body }, cut]): Case => {
  const raw = bytes(JSON.stringify(body));
  const at = cut % raw.length;
  return { what: `cut at ${at} of ${raw.length}`, path, body: raw.subarray(0, at), expect: "invalid" };
});

const notAnObject = fc
  .tuple(
    fc.constantFrom(CHAT, EMBEDDINGS),
    fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).filter((v) => v === null || typeof v !== "object" || Array.isArray(v)),
      valid.map(({ body }) => [body]),
    ),
  )
  .map(([path, value]): Case => ({
    what: `body = ${JSON.stringify(value).slice(0, 60)}`,
    path,
    body: bytes(JSON.stringify(value)),
    expect: "invalid",
  }));

const tooMany = fc
  .tuple(validChat, validEmbeddings, fc.constantFrom("messages", "tools", "input"))
  .map(([chat, embeddings, what]): Case => {
    if (what === "input") {
      return {
        what: "2049 inputs",
        path: EMBEDDINGS,
        body: bytes(JSON.stringify({ ...embeddings, input: Array(2049).fill("x") })),
        expect: "invalid",
      };
    }
    const item = what === "messages" ? { role: "user", content: "x" } : { type: "function", function: { name: "f" } };
    const count = (what === "messages" ? LIMITS.maxMessages : LIMITS.maxTools) + 1;
    return {
      what: `${count} ${what}`,
      path: CHAT,
      body: bytes(JSON.stringify({ ...chat, [what]: Array(count).fill(item) })),
      expect: "invalid",
    };
  });

const garbage = fc
  .tuple(fc.constantFrom(CHAT, EMBEDDINGS), fc.uint8Array({ maxLength: 300 }))
  .map(([path, body]): Case => ({ what: `${body.length} random bytes`, path, body, expect: "invalid" }));

const crossed = fc
  .oneof(
    validChat.map((body) => ({ path: EMBEDDINGS, body })),
    validEmbeddings.map((body) => ({ path: CHAT, body })),
  )
  .map(({ path, body }): Case => ({
    what: `a ${path === CHAT ? "embeddings" : "chat"} body`,
    path,
    body: bytes(JSON.stringify(body)),
    expect: "invalid",
  }));

const oversized = fc.constantFrom(CHAT, EMBEDDINGS).map((path): Case => {
  const body = { model: "deepseek-v3", messages: [{ role: "user", content: "x".repeat(LIMITS.maxBodyBytes) }] };
  return {
    what: "a body over the size limit",
    path,
    body: bytes(JSON.stringify(body)),
    expect: "invalid",
    status: 413,
  };
});

// Exactly at every limit: served.
const atTheLimits = fc.tuple(validChat, fc.boolean()).map(([chat, asObjects]): Case => {
  const levels = LIMITS.maxDepth - 1; // + the body object itself = the limit
  const open = asObjects ? '{"a":'.repeat(levels) : "[".repeat(levels);
  const close = (asObjects ? "}" : "]").repeat(levels);
  const messages = Array.from({ length: LIMITS.maxMessages }, (_, i) => chat.messages[i % chat.messages.length]);
  const tools = Array.from({ length: LIMITS.maxTools }, (_, i) => ({ type: "function", function: { name: `f${i}` } }));
  const text = JSON.stringify({ ...chat, messages, tools, x_nested: "__DEEP__" }).replace(
    '"__DEEP__"',
    `${open}1${close}`,
  );
  return { what: "a body at every limit", path: CHAT, body: bytes(text), expect: "valid" };
});

const unchanged = valid.map(({ path, body }): Case => ({
  what: "a valid body",
  path,
  body: bytes(JSON.stringify(body)),
  expect: "any",
}));

const anyCase: fc.Arbitrary<Case> = fc.oneof(
  { arbitrary: unchanged, weight: 3 },
  { arbitrary: atTheLimits, weight: 1 },
  { arbitrary: wrongType, weight: 6 },
  { arbitrary: brokenMessage, weight: 2 },
  { arbitrary: outOfRange, weight: 4 },
  { arbitrary: tooDeep, weight: 2 },
  { arbitrary: overflowingNumber, weight: 2 },
  { arbitrary: invalidUtf8, weight: 2 },
  { arbitrary: truncated, weight: 2 },
  { arbitrary: notAnObject, weight: 2 },
  { arbitrary: tooMany, weight: 1 },
  { arbitrary: garbage, weight: 1 },
  { arbitrary: crossed, weight: 1 },
  { arbitrary: oversized, weight: 1 },
);

// ---------------------------------------------------------------------------------------------

async function upstreamTotal(): Promise<number> {
  return (await getStats(stack.upstream.url)).total;
}

function post(path: string, body: Uint8Array): Promise<Response> {
  return fetch(`${stack.app.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: new Uint8Array(body), // a copy typed as fetch wants it (ArrayBuffer-backed)
  });
}

describe("/v1 under malformed input", () => {
  it("never answers 5xx, always in OpenAI's envelope, and never calls the upstream for a refused body", async () => {
    const seen = { ok: 0, refused: 0, statuses: new Map<number, number>() };
    await fc.assert(
      fc.asyncProperty(anyCase, async (c) => {
        const before = await upstreamTotal();
        const response = await post(c.path, c.body);
        const text = await response.text(); // streams included: read to the end
        const context = `${c.path} with ${c.what} → ${response.status} ${text.slice(0, 300)}`;
        seen.statuses.set(response.status, (seen.statuses.get(response.status) ?? 0) + 1);
        expect(response.status, context).toBeLessThan(500);
        expect(response.headers.get("x-request-id"), context).toMatch(/^req_/);
        const calls = (await upstreamTotal()) - before;
        if (response.status >= 400) {
          seen.refused++;
          const body = JSON.parse(text);
          expect(Object.keys(body), context).toEqual(["error"]);
          expect(Object.keys(body.error).sort(), context).toEqual(["code", "message", "param", "type"]);
          expect(typeof body.error.message, context).toBe("string");
          expect(typeof body.error.type, context).toBe("string");
          expect(body.error.param === null || typeof body.error.param === "string", context).toBe(true);
          expect(body.error.code === null || typeof body.error.code === "string", context).toBe(true);
          expect(calls, `${context}: refused, yet the upstream was called`).toBe(0);
        } else {
          seen.ok++;
          expect(response.status, context).toBe(200);
          expect(calls, context).toBe(1);
        }
        if (c.expect === "valid") expect(response.status, context).toBe(200);
        if (c.expect === "invalid") {
          expect(response.status, context).toBe(c.status ?? 400);
          if (response.status === 400) expect(JSON.parse(text).error.type, context).toBe("invalid_request_error");
        }
      }),
      { numRuns: 350, endOnFailure: true },
    );
    // Both kinds of outcome happened (the property did not pass vacuously).
    expect(seen.ok).toBeGreaterThan(20);
    expect(seen.refused).toBeGreaterThan(150);
    console.log(`fuzz: ${seen.ok} served, ${seen.refused} refused;`, Object.fromEntries(seen.statuses));
  }, 120_000);

  it("still serves a normal request on the primary channel, and the books balance", async () => {
    const response = await post(
      CHAT,
      bytes(
        JSON.stringify({ model: "deepseek-v3", messages: [{ role: "user", content: "still there?" }], max_tokens: 5 }),
      ),
    );
    expect(response.status).toBe(200);
    expect((await response.json()).choices[0].message.content).toContain("still there?");
    const last = (await getRequests(stack.upstream.url)).at(-1)!;
    expect(last.apiKey).toBe("chan-primary"); // no refused body counted against the channel

    const { rows } = await stack.db.query(
      `SELECT o."balanceNanos" AS balance, o."heldNanos" AS held,
              (SELECT COALESCE(SUM("amountNanos"), 0)::bigint FROM "LedgerEntry" l WHERE l."organizationId" = o.id) AS ledger
         FROM "Organization" o WHERE o.id = $1`,
      [orgId],
    );
    const { balance, held, ledger } = rows[0] as { balance: bigint; held: bigint; ledger: bigint };
    expect(balance + held).toBe(ledger);
    expect(balance).toBeLessThan(10_000_000_000n); // requests were charged
    expect(held).toBeGreaterThanOrEqual(0n);
  });
});

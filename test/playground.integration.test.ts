// The dashboard playground (POST /api/playground/chat) on the production server: a signed-in member
// streams through a key of their active organization and is billed exactly like a /v1 call with that
// key (same receipt, same ledger entry); a key of another organization answers 404 and charges
// nothing; a revoked key is refused; no session, or a cross-site origin, is refused.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearScenarios, setScenario } from "@/e2e/fake-upstream/client";
import { hashPassword } from "@/lib/auth/password";
import { nanosToUsd } from "@/lib/billing/money";
import { startStack, type Stack } from "./stack";
import { signInForSessionCookie } from "./session";

let stack: Stack;
let orgA: string;
let orgB: string;
let keyA: { id: string; key: string };
let keyB: { id: string; key: string };
let ownerCookie: string;
let memberCookie: string;

const MODEL = "deepseek-v3"; // served by the seed's demo channel: deterministic text and usage

beforeAll(async () => {
  stack = await startStack();
  orgA = (await stack.admin.createOrganization("Playground A", "5.00")).id;
  orgB = (await stack.admin.createOrganization("Playground B", "5.00")).id;
  keyA = await stack.admin.createKey(orgA, { name: "A key" });
  keyB = await stack.admin.createKey(orgB, { name: "B key" });
  const owner = await createUser("owner@playground.test", "owner password 1");
  const member = await createUser("member@playground.test", "member password 1");
  await addMembership(owner, orgA, "OWNER");
  await addMembership(member, orgA, "MEMBER");
  ownerCookie = await signIn("owner@playground.test", "owner password 1");
  memberCookie = await signIn("member@playground.test", "member password 1");
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function createUser(email: string, password: string): Promise<string> {
  const id = `u_${randomBytes(8).toString("hex")}`;
  await stack.db.query(
    `INSERT INTO "User" (id, email, "passwordHash", "updatedAt") VALUES ($1, $2, $3, CURRENT_TIMESTAMP)`,
    [id, email, await hashPassword(password)],
  );
  return id;
}

async function addMembership(userId: string, organizationId: string, role: string) {
  await stack.db.query(`INSERT INTO "Membership" (id, "userId", "organizationId", role) VALUES ($1, $2, $3, $4)`, [
    `m_${randomBytes(8).toString("hex")}`,
    userId,
    organizationId,
    role,
  ]);
}

/** next-auth's real credentials sign-in; returns the session cookie (plus the active-org cookie). */
async function signIn(email: string, password: string): Promise<string> {
  return `${await signInForSessionCookie(stack.app.url, email, password)}; tf_org=${orgA}`;
}

interface Streamed {
  status: number;
  requestId: string | null;
  route: string | null;
  text: string;
  usage: { prompt_tokens: number; completion_tokens: number; cost_usd: string } | null;
  model: string | null;
  error: { code?: string; message?: string } | null;
}

async function playground(cookie: string | null, body: Record<string, unknown>, origin = stack.app.url) {
  const res = await fetch(`${stack.app.url}/api/playground/chat`, {
    method: "POST",
    headers: { "content-type": "application/json", origin, ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  return readStream(res);
}

async function readStream(res: Response): Promise<Streamed> {
  const raw = await res.text();
  const out: Streamed = {
    status: res.status,
    requestId: res.headers.get("x-request-id"),
    route: res.headers.get("x-tokenflow-model"),
    text: "",
    usage: null,
    model: null,
    error: null,
  };
  if (!res.headers.get("content-type")?.includes("text/event-stream")) {
    out.error = (JSON.parse(raw) as { error: Streamed["error"] }).error;
    return out;
  }
  for (const line of raw.split("\n")) {
    if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
    const event = JSON.parse(line.slice(6));
    if (event.error) out.error = event.error;
    out.model = event.model ?? out.model;
    out.text += event.choices?.[0]?.delta?.content ?? "";
    if (event.usage) out.usage = event.usage;
  }
  return out;
}

async function balanceNanos(organizationId: string): Promise<bigint> {
  const { rows } = await stack.db.query(`SELECT "balanceNanos" FROM "Organization" WHERE id = $1`, [organizationId]);
  return rows[0].balanceNanos as bigint;
}

const chat = (keyId: string, content = "Say hello to the playground") => ({
  keyId,
  model: MODEL,
  system: "You are terse.",
  messages: [{ role: "user", content }],
  temperature: 0.3,
  maxTokens: 64,
});

describe("playground chat", () => {
  it("streams through the picked key and bills it exactly like a /v1 call with that key", async () => {
    const before = await balanceNanos(orgA);
    const streamed = await playground(ownerCookie, chat(keyA.id));
    expect(streamed.status).toBe(200);
    expect(streamed.error).toBeNull();
    expect(streamed.text).toContain("Say hello to the playground");
    expect(streamed.route).toBe(MODEL);
    expect(streamed.usage).not.toBeNull();
    const requestId = streamed.requestId!;
    expect(requestId).toMatch(/^req_/);

    await stack.receipt(requestId); // lands just after the answer
    const { rows: logs } = await stack.db.query(
      `SELECT "apiKeyId", "organizationId", "costNanos", "modelRouted", status FROM "RequestLog" WHERE id = $1`,
      [requestId],
    );
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ apiKeyId: keyA.id, organizationId: orgA, modelRouted: MODEL, status: 200 });
    const cost = logs[0].costNanos as bigint;
    expect(cost).toBeGreaterThan(0n);
    // The receipt the browser saw is the charge.
    expect(streamed.usage!.cost_usd).toBe(nanosToUsd(cost));
    const { rows: ledger } = await stack.db.query(
      `SELECT kind, "amountNanos" FROM "LedgerEntry" WHERE reference = $1 AND "organizationId" = $2`,
      [requestId, orgA],
    );
    expect(ledger).toEqual([{ kind: "USAGE", amountNanos: -cost }]);
    expect(await balanceNanos(orgA)).toBe(before - cost);

    // The same request through /v1 with the key's secret costs the same.
    const sdk = stack.sdk(keyA.key);
    const stream = await sdk.chat.completions.create({
      model: MODEL,
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Say hello to the playground" },
      ],
      temperature: 0.3,
      max_tokens: 64,
      stream: true,
      stream_options: { include_usage: true },
    });
    let v1Cost: string | undefined;
    for await (const chunk of stream) v1Cost = (chunk.usage as { cost_usd?: string } | undefined)?.cost_usd ?? v1Cost;
    expect(v1Cost).toBe(streamed.usage!.cost_usd);
    await stack.settled(orgA);
    const { rows: held } = await stack.db.query(`SELECT "heldNanos" FROM "Organization" WHERE id = $1`, [orgA]);
    expect(held[0].heldNanos).toBe(0n);
  });

  it("stopping mid-answer bills only the tokens produced and frees the hold", async () => {
    // kimi-k2 on a slow fake upstream (above the demo channel), so the answer can be stopped midway.
    await stack.admin.createChannel({
      name: "slow fake",
      baseUrl: stack.upstream.baseUrl,
      apiKey: "chan-slow",
      models: ["kimi-k2"],
      priority: 10,
    });
    await setScenario(stack.upstream.url, { match: { model: "kimi-k2" }, fault: "slow-chunks:400" });
    try {
      const before = await balanceNanos(orgA);
      const controller = new AbortController();
      const res = await fetch(`${stack.app.url}/api/playground/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: stack.app.url, cookie: ownerCookie },
        body: JSON.stringify({ ...chat(keyA.id), model: "kimi-k2" }),
        signal: controller.signal,
      });
      expect(res.status).toBe(200);
      const requestId = res.headers.get("x-request-id")!;
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let seen = "";
      while (!/"content":"[^"]+"/.test(seen)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended before any text: ${seen}`);
        seen += decoder.decode(value);
      }
      controller.abort(); // the Stop button

      let log: Record<string, unknown> | undefined;
      for (let i = 0; i < 100 && !log; i++) {
        const { rows } = await stack.db.query(
          `SELECT "usageSource", "outputTokens", "costNanos", "apiKeyId" FROM "RequestLog" WHERE id = $1`,
          [requestId],
        );
        log = rows[0];
        if (!log) await new Promise((r) => setTimeout(r, 100));
      }
      expect(log).toBeDefined();
      expect(log!.apiKeyId).toBe(keyA.id);
      expect(log!.usageSource).toBe("ESTIMATED");
      const outputTokens = Number(log!.outputTokens);
      expect(outputTokens).toBeGreaterThan(0);
      expect(outputTokens).toBeLessThan(8); // the fake answers 8 tokens when not stopped
      const cost = log!.costNanos as bigint;
      expect(cost).toBeGreaterThan(0n);
      const { rows: ledger } = await stack.db.query(
        `SELECT "amountNanos" FROM "LedgerEntry" WHERE reference = $1 AND kind = 'USAGE'`,
        [requestId],
      );
      expect(ledger).toEqual([{ amountNanos: -cost }]);
      expect(await balanceNanos(orgA)).toBe(before - cost);
      const { rows: held } = await stack.db.query(`SELECT "heldNanos" FROM "Organization" WHERE id = $1`, [orgA]);
      expect(held[0].heldNanos).toBe(0n);
    } finally {
      await clearScenarios(stack.upstream.url);
    }
  });

  it("answers 404 for a key of another organization and charges nobody", async () => {
    const beforeA = await balanceNanos(orgA);
    const beforeB = await balanceNanos(orgB);
    const streamed = await playground(ownerCookie, chat(keyB.id));
    expect(streamed.status).toBe(404);
    expect(streamed.error?.code).toBe("key_not_found");
    expect(JSON.stringify(streamed.error)).not.toContain("Playground B");
    const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM "RequestLog" WHERE "apiKeyId" = $1`, [
      keyB.id,
    ]);
    expect(rows[0].n).toBe(0);
    expect(await balanceNanos(orgA)).toBe(beforeA);
    expect(await balanceNanos(orgB)).toBe(beforeB);
  });

  it("lets a MEMBER chat through the organization's key", async () => {
    const streamed = await playground(memberCookie, chat(keyA.id, "member question"));
    expect(streamed.status).toBe(200);
    expect(streamed.text).toContain("member question");
    expect((await stack.receipt(streamed.requestId!)).apiKeyId).toBe(keyA.id);
  });

  it("refuses a revoked key, without a session, and from another site", async () => {
    const revoked = await stack.admin.createKey(orgA, { name: "soon revoked" });
    expect((await playground(ownerCookie, chat(revoked.id))).status).toBe(200);
    expect((await stack.admin.request("DELETE", `/api/admin/keys/${revoked.id}`)).status).toBe(200);
    const refused = await playground(ownerCookie, chat(revoked.id));
    expect(refused.status).toBe(401);
    expect(refused.error?.code).toBe("key_inactive");

    const anonymous = await playground(null, chat(keyA.id));
    expect(anonymous.status).toBe(401);
    expect(anonymous.error?.code).toBe("unauthorized");
    const forged = await playground(ownerCookie, chat(keyA.id), "https://evil.example");
    expect(forged.status).toBe(403);
    const invalid = await playground(ownerCookie, { ...chat(keyA.id), temperature: 9 });
    expect(invalid.status).toBe(400);
    expect(invalid.error?.code).toBe("validation_error");
  });

  it("refuses a session opened before the password changed", async () => {
    const user = await createUser("changer@playground.test", "changer password 1");
    await addMembership(user, orgA, "MEMBER");
    const cookie = await signIn("changer@playground.test", "changer password 1");
    expect((await playground(cookie, chat(keyA.id))).status).toBe(200);
    await stack.db.query(`UPDATE "User" SET "passwordHash" = $2 WHERE id = $1`, [
      user,
      await hashPassword("changer password 2"),
    ]);
    const refused = await playground(cookie, chat(keyA.id));
    expect(refused.status).toBe(401);
    expect(refused.error?.code).toBe("unauthorized");
  });

  it("answers 402 when the organization cannot cover the hold", async () => {
    const poor = (await stack.admin.createOrganization("Playground poor")).id;
    const poorKey = await stack.admin.createKey(poor, { name: "poor key" });
    const user = await createUser("poor@playground.test", "poor password 1");
    await addMembership(user, poor, "OWNER");
    const cookie = (await signIn("poor@playground.test", "poor password 1")).replace(
      `tf_org=${orgA}`,
      `tf_org=${poor}`,
    );
    const refused = await playground(cookie, chat(poorKey.id));
    expect(refused.status).toBe(402);
    expect(refused.error?.code).toBe("insufficient_quota");
  });
});

// The admin console's channels section on the real server: live health computed from the receipts
// of requests sent through the fake upstream (exact counts, success rate, nearest-rank percentiles),
// the breaker's state and why a channel left rotation, the Test button's route, every write audited
// with before/after, and a planted channel secret that never shows up anywhere.
import { randomBytes } from "node:crypto";
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearScenarios, setScenario } from "@/e2e/fake-upstream/client";
import { hashPassword } from "@/lib/auth/password";
import { signInForSessionCookie } from "./session";
import { startStack, type Stack } from "./stack";

let stack: Stack;
let client: OpenAI;
let cookie: string;
const adminEmail = `channels-admin-${randomBytes(4).toString("hex")}@example.com`;

beforeAll(async () => {
  stack = await startStack({
    env: {
      TOKENFLOW_BREAKER_THRESHOLD: "3",
      TOKENFLOW_BREAKER_COOLDOWN_MS: "600000", // stays open while the test looks at it
      TOKENFLOW_BREAKER_AUTH_THRESHOLD: "3",
      TOKENFLOW_BREAKER_AUTH_COOLDOWN_MS: "600000",
    },
  });
  await stack.admin.disableAllChannels();
  const password = `pw-${randomBytes(8).toString("hex")}`;
  await stack.db.query(
    `INSERT INTO "User" (id, email, "passwordHash", role, "updatedAt") VALUES ($1, $2, $3, 'ADMIN', CURRENT_TIMESTAMP)`,
    [`admin_${randomBytes(4).toString("hex")}`, adminEmail, await hashPassword(password)],
  );
  cookie = await signInForSessionCookie(stack.app.url, adminEmail, password);
  const org = await stack.admin.createOrganization("Channel health", "100");
  client = stack.sdk((await stack.admin.createKey(org.id)).key);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** The console's way in: the admin's session cookie, same-origin. */
async function consoleApi(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.app.url}${path}`, {
    method,
    headers: {
      cookie,
      origin: stack.app.url,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function page(path: string): Promise<{ status: number; html: string }> {
  const res = await fetch(`${stack.app.url}${path}`, { headers: { cookie } });
  return { status: res.status, html: (await res.text()).replaceAll("<!-- -->", "") };
}

async function health(channelId: string): Promise<any> {
  const { status, body } = await stack.admin.request("GET", "/api/admin/channels/health");
  expect(status).toBe(200);
  return body.data.find((h: { channelId: string }) => h.channelId === channelId);
}

const ask = (model: string, extra: Record<string, unknown> = {}) =>
  client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "hello there" }],
    ...extra,
  } as OpenAI.ChatCompletionCreateParamsNonStreaming);

async function askStream(model: string, extra: Record<string, unknown> = {}) {
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "hello there" }],
    stream: true,
    ...extra,
  } as OpenAI.ChatCompletionCreateParamsStreaming);
  for await (const chunk of stream) void chunk;
}

/** Nearest-rank percentile (what percentile_disc computes), for checking the figures exactly. */
function nearestRank(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

describe("channel health, last hour", () => {
  let channelId: string;

  beforeAll(async () => {
    channelId = (
      await stack.admin.createChannel({
        name: "Health probe",
        baseUrl: stack.upstream.baseUrl,
        apiKey: "chan-health-0001",
        models: ["gpt-4o"],
        priority: 10,
      })
    ).id;
  });

  it("counts requests, successes and failures exactly and takes latency percentiles from the receipts", async () => {
    // 3 plain successes (one slow: the p95), 2 streamed successes (time to first token),
    // 1 request the upstream refuses as invalid (not held against the channel), 2 upstream failures.
    await ask("gpt-4o");
    await ask("gpt-4o");
    await ask("gpt-4o", { fake_fault: "slow-first-byte:400" });
    await askStream("gpt-4o");
    await askStream("gpt-4o", { fake_chunk_delay_ms: 30 });
    await expect(ask("gpt-4o", { fake_fault: "status:400" })).rejects.toMatchObject({ status: 400 });
    await expect(ask("gpt-4o", { fake_fault: "status:500" })).rejects.toMatchObject({ status: 502 });
    await expect(ask("gpt-4o", { fake_fault: "status:503" })).rejects.toMatchObject({ status: 502 });

    // Receipts settle just after the answer: wait until all 8 are there.
    await expect
      .poll(
        async () =>
          (await stack.db.query(`SELECT count(*)::INT AS n FROM "RequestLog" WHERE "channelId" = $1`, [channelId]))
            .rows[0].n,
      )
      .toBe(8);
    const { rows } = await stack.db.query<{
      status: number;
      latencyMs: number;
      ttftMs: number | null;
      isStream: boolean;
    }>(
      `SELECT status, "latencyMs", "ttftMs", "isStream" FROM "RequestLog" WHERE "channelId" = $1 AND "errorCode" IS NULL AND status < 400`,
      [channelId],
    );
    expect(rows).toHaveLength(5);
    const latencies = rows.map((r) => r.latencyMs);
    const ttfts = rows.filter((r) => r.isStream && r.ttftMs !== null).map((r) => r.ttftMs!);
    expect(ttfts).toHaveLength(2);

    const h = await health(channelId);
    expect(h.windowMinutes).toBe(60);
    expect(h.traffic).toEqual({
      requests: 8,
      succeeded: 5,
      failed: 2,
      successRate: 5 / 7,
      p50LatencyMs: nearestRank(latencies, 0.5),
      p95LatencyMs: nearestRank(latencies, 0.95),
      p50TtftMs: nearestRank(ttfts, 0.5),
    });
    expect(h.traffic.p95LatencyMs).toBeGreaterThanOrEqual(400); // the slow one
    expect(h.traffic.p50LatencyMs).toBeLessThan(400);
    // Two failures, then nothing: below the threshold of 3, still in rotation.
    expect(h.rotation).toBe("serving");
    expect(h.circuit).toMatchObject({ state: "closed", failures: 2, reason: null });

    const list = await page("/admin/channels");
    expect(list.status).toBe(200);
    const item = list.html.slice(list.html.indexOf(`data-testid="channel-${channelId}"`));
    expect(item).toMatch(/data-testid="health-requests".*?<dd[^>]*>8</s);
    expect(item).toMatch(/data-testid="health-success".*?<dd[^>]*>71\.4%.*?\(2 failed\)/s);
    expect(item).toContain(`Closed (2 failures)`);
    expect(item).toContain("In rotation");
  });

  it("shows an open circuit: out of rotation, since when and why, and the last error with its time", async () => {
    const tripped = (
      await stack.admin.createChannel({
        name: "Tripped",
        baseUrl: stack.upstream.baseUrl,
        apiKey: "chan-tripped-0001",
        models: ["deepseek-v3"],
      })
    ).id;
    const before = Date.now();
    for (let i = 0; i < 3; i++) {
      await expect(ask("deepseek-v3", { fake_fault: "status:500" })).rejects.toMatchObject({ status: 502 });
    }
    // The breaker acts at once; the channel's lastError is written just after, like the receipts.
    await stack.settled();
    await expect.poll(async () => (await health(tripped)).lastError ?? "").toMatch(/out of rotation/);
    const h = await health(tripped);
    expect(h.rotation).toBe("out_of_rotation");
    expect(h.circuit.state).toBe("open");
    expect(h.circuit.reason).toBe("transient");
    expect(h.circuit.failures).toBe(3);
    expect(Date.parse(h.circuit.openedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(h.circuit.probeAt) - Date.parse(h.circuit.openedAt)).toBe(600_000);
    expect(Date.parse(h.lastCheckedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(h.traffic).toMatchObject({ requests: 3, succeeded: 0, failed: 3, successRate: 0 });

    const detail = await page(`/admin/channels/${tripped}`);
    expect(detail.status).toBe(200);
    expect(detail.html).toContain("Out of rotation");
    expect(detail.html).toMatch(/Out of rotation on this server since \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(detail.html).toContain("after 3 consecutive upstream failures");
    expect(detail.html).toMatch(/Last error, \d{4}-\d\d-\d\d \d\d:\d\d UTC[^:]*: upstream answered 500/);
  });
});

describe("the Test button", () => {
  it("answers the latency of a real request, or the upstream's reason, and audits the test", async () => {
    const id = (
      await stack.admin.createChannel({
        name: "Testable",
        baseUrl: stack.upstream.baseUrl,
        apiKey: "chan-testable-0001",
        models: ["glm-4-plus"],
        enabled: false,
      })
    ).id;
    const ok = await consoleApi("POST", `/api/admin/channels/${id}/test`);
    expect(ok.status).toBe(200);
    expect(ok.body.ok).toBe(true);
    expect(ok.body.latencyMs).toEqual(expect.any(Number));

    await setScenario(stack.upstream.url, { match: { apiKey: "chan-testable-0001" }, fault: "status:503", times: 1 });
    const failed = await consoleApi("POST", `/api/admin/channels/${id}/test`);
    expect(failed.body).toMatchObject({ ok: false, error: expect.stringMatching(/^upstream answered 503/) });
    await clearScenarios(stack.upstream.url);

    const h = await health(id);
    expect(h.lastError).toMatch(/upstream answered 503/);
    const { rows } = await stack.db.query(
      `SELECT data FROM "AuditEvent" WHERE action = 'channel.test' AND "targetId" = $1 ORDER BY "createdAt"`,
      [id],
    );
    expect(rows.map((r) => r.data.ok)).toEqual([true, false]);
    expect(rows[0].data.via).toBe("session");

    // A cross-site page cannot make the admin's browser run it.
    const res = await fetch(`${stack.app.url}/api/admin/channels/${id}/test`, {
      method: "POST",
      headers: { cookie, origin: "https://evil.example" },
    });
    expect(res.status).toBe(403);
  });
});

describe("audit", () => {
  it("records create, edit, key replacement, disable and delete with before and after, the key only as its last four", async () => {
    const created = await consoleApi("POST", "/api/admin/channels", {
      preset: "deepseek",
      baseUrl: stack.upstream.baseUrl,
      apiKey: "chan-audit-key-1111",
      priority: 1,
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body).toMatchObject({
      name: "DeepSeek",
      models: ["deepseek-v3", "deepseek-r1"],
      apiKeyLast4: "1111",
    });
    expect((await consoleApi("PATCH", `/api/admin/channels/${id}`, { priority: 5, weight: 3 })).status).toBe(200);
    expect((await consoleApi("PATCH", `/api/admin/channels/${id}`, { apiKey: "chan-audit-key-2222" })).status).toBe(
      200,
    );
    expect((await consoleApi("PATCH", `/api/admin/channels/${id}`, { enabled: false })).status).toBe(200);

    const list = await page("/admin/channels");
    const item = list.html.slice(list.html.indexOf(`data-testid="channel-${id}"`));
    expect(item).toMatch(new RegExp(`Disabled by ${adminEmail.replace(".", "\\.")} on \\d{4}-\\d\\d-\\d\\d`));

    expect((await consoleApi("DELETE", `/api/admin/channels/${id}`)).status).toBe(204);

    const { rows } = await stack.db.query(
      `SELECT action, before, after, data, ip, "actorUserId" FROM "AuditEvent" WHERE "targetId" = $1 ORDER BY "createdAt", id`,
      [id],
    );
    expect(rows.map((r) => r.action)).toEqual([
      "channel.create",
      "channel.update",
      "channel.update",
      "channel.update",
      "channel.delete",
    ]);
    const [create, edit, rekey, disable, remove] = rows;
    expect(create.before).toBeNull();
    expect(create.after).toMatchObject({
      name: "DeepSeek",
      provider: "openai",
      baseUrl: stack.upstream.baseUrl,
      keyLast4: "1111",
      models: ["deepseek-v3", "deepseek-r1"],
      modelMapping: { "deepseek-v3": "deepseek-chat", "deepseek-r1": "deepseek-reasoner" },
      priority: 1,
      weight: 1,
      status: "ENABLED",
    });
    expect(create.data.preset).toBe("deepseek");
    expect(create.actorUserId).not.toBeNull();
    expect(edit.before).toMatchObject({ priority: 1, weight: 1 });
    expect(edit.after).toMatchObject({ priority: 5, weight: 3 });
    expect(edit.data.fields).toEqual(["priority", "weight"]);
    expect(rekey.before.keyLast4).toBe("1111");
    expect(rekey.after.keyLast4).toBe("2222");
    expect(disable.before.status).toBe("ENABLED");
    expect(disable.after.status).toBe("DISABLED");
    expect(remove.before).toMatchObject({ name: "DeepSeek", status: "DISABLED", keyLast4: "2222" });
    expect(remove.after).toBeNull();
    const all = JSON.stringify(rows);
    expect(all).not.toContain("chan-audit-key");
    expect(all).not.toContain("apiKeyEncrypted");
  });
});

describe("a planted channel secret", () => {
  it("never appears in a page, an API answer, an audit entry or the server's log", async () => {
    const secret = `sk-canary-${randomBytes(12).toString("hex")}`;
    const rotated = `sk-canary-${randomBytes(12).toString("hex")}`;
    const created = await consoleApi("POST", "/api/admin/channels", {
      name: "Canary",
      provider: "openai",
      baseUrl: stack.upstream.baseUrl,
      apiKey: secret,
      models: ["kimi-k2"],
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const answers: string[] = [JSON.stringify(created.body)];

    // Traffic, including an upstream that echoes the key back in its error (the fake's leaky:401).
    await ask("kimi-k2");
    await expect(ask("kimi-k2", { fake_fault: "leaky:401" })).rejects.toMatchObject({ status: 502 });
    await setScenario(stack.upstream.url, { match: { apiKey: secret }, fault: "leaky:401", times: 1 });
    answers.push(JSON.stringify((await consoleApi("POST", `/api/admin/channels/${id}/test`)).body));
    await clearScenarios(stack.upstream.url);
    answers.push(JSON.stringify((await consoleApi("PATCH", `/api/admin/channels/${id}`, { priority: 2 })).body));
    answers.push(JSON.stringify((await consoleApi("PATCH", `/api/admin/channels/${id}`, { apiKey: rotated })).body));
    await setScenario(stack.upstream.url, { match: { apiKey: rotated }, fault: "leaky:401", times: 1 });
    answers.push(JSON.stringify((await consoleApi("POST", `/api/admin/channels/${id}/test`)).body));
    await clearScenarios(stack.upstream.url);
    await expect(ask("kimi-k2", { fake_fault: "leaky:500" })).rejects.toMatchObject({ status: 502 });
    expect(answers[answers.length - 1]).toMatch(/upstream answered 401/);

    for (const path of [
      "/api/admin/channels",
      `/api/admin/channels/${id}`,
      "/api/admin/channels/health",
      "/api/admin/audit-log",
    ]) {
      answers.push(JSON.stringify((await stack.admin.request("GET", path)).body));
    }
    for (const path of ["/admin/channels", `/admin/channels/${id}`, "/admin/channels/new", "/admin/audit"]) {
      const res = await page(path);
      answers.push(res.html);
    }
    expect(answers.join("\n")).toContain("Canary"); // the pages did render the channel
    const { rows } = await stack.db.query(`SELECT row_to_json(e)::TEXT AS row FROM "AuditEvent" e`);
    const audit = rows.map((r) => r.row).join("\n");
    expect(audit).toContain(id);
    const everything = [answers.join("\n"), audit, stack.app.logs()];
    for (const planted of [secret, rotated]) {
      for (const text of everything) {
        expect(text).not.toContain(planted);
        expect(text).not.toContain(planted.slice(0, -4)); // not even most of it
      }
    }
    // The last four are the only part shown, by design.
    expect(answers.join("\n")).toContain(rotated.slice(-4));
  });
});

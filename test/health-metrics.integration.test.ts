// /healthz, /readyz and /metrics on the production server. The metrics must agree exactly with the
// request log after a mixed run (answers, upstream refusals and failures, unknown models, streams,
// an overage) through the official OpenAI SDK, and a Stripe event processed by the webhook (a Next
// route handler, bundled apart from the server's modules) must show on the server's /metrics.
import { randomBytes } from "node:crypto";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nanosToUsdNumber } from "@/lib/metrics/request-totals";
import { startProxiedStack, type ProxiedStack } from "./outage";
import { REDIS_URL } from "./redis";
import { deliver, startStripeStack, stripeEvent, type StripeStack } from "./stripe";

const METRICS_TOKEN = `metrics-${randomBytes(16).toString("hex")}`;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format, the lines that carry samples. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key] = value.replace(/\\"/g, '"').replace(/\\n/g, "\n").replace(/\\\\/g, "\\");
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(url: string, token = METRICS_TOKEN): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return parseMetrics(await res.text());
}

function series(samples: Sample[], name: string, keyOf: (labels: Record<string, string>) => string) {
  const map = new Map<string, number>();
  for (const s of samples.filter((x) => x.name === name)) {
    if (s.value !== 0) map.set(keyOf(s.labels), (map.get(keyOf(s.labels)) ?? 0) + s.value);
  }
  return map;
}

describe("with metrics on (TOKENFLOW_METRICS_TOKEN) and Redis", () => {
  let s: StripeStack;
  let client: OpenAI;
  let channelId: string;

  beforeAll(async () => {
    s = await startStripeStack({ env: { TOKENFLOW_METRICS_TOKEN: METRICS_TOKEN, REDIS_URL } });
    const { stack } = s;
    await stack.admin.disableAllChannels();
    await stack.admin.createModel({
      id: "metered-model",
      displayName: "Metered",
      provider: "Test",
      inputPriceUsd: "0.37",
      outputPriceUsd: "1.13",
      contextWindow: 8192,
      maxOutputTokens: 1000,
      defaultMaxOutputTokens: 100,
    });
    channelId = (
      await stack.admin.createChannel({
        name: "metrics upstream",
        baseUrl: stack.upstream.baseUrl,
        models: ["metered-model"],
      })
    ).id;
    const org = await stack.admin.createOrganization("Metered", "50");
    client = stack.sdk((await stack.admin.createKey(org.id)).key);
  }, 120_000);

  afterAll(async () => {
    await s?.stop();
  });

  it("answers /healthz without the database and /readyz with every check", async () => {
    const health = await fetch(`${s.stack.app.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });

    const ready = await fetch(`${s.stack.app.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = await ready.json();
    expect(body).toMatchObject({
      status: "ready",
      database: { status: "ok" },
      migrations: { status: "current", pending: [], changed: [] },
      redis: { status: "connected" },
    });
    const { rows } = await s.stack.db.query(`SELECT count(*)::int AS n FROM "_tf_migrations"`);
    expect(body.migrations.applied).toBe(rows[0].n);
    expect(body.migrations.expected).toBe(rows[0].n);
  });

  it("refuses /metrics without the token or with a wrong one", async () => {
    const none = await fetch(`${s.stack.app.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain("tokenflow_");
    for (const header of [`Bearer ${METRICS_TOKEN}x`, "Bearer nope", `Basic ${METRICS_TOKEN}`, METRICS_TOKEN]) {
      const res = await fetch(`${s.stack.app.url}/metrics`, { headers: { authorization: header } });
      expect(res.status, header).toBe(401);
    }
    const ok = await fetch(`${s.stack.app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await ok.text();
    expect(text).toContain("# TYPE tokenflow_requests_total counter");
    expect(text).toContain("process_cpu_user_seconds_total"); // prom-client's default metrics
  });

  it("counts requests, tokens and cost exactly as the request log records them", async () => {
    const chat = (extra: Record<string, unknown> = {}, model = "metered-model") =>
      client.chat.completions.create({ model, messages: [{ role: "user", content: "count me" }], ...extra });
    let sent = 0;
    const outcomes: string[] = [];
    const attempt = async (label: string, call: () => Promise<unknown>) => {
      sent++;
      try {
        await call();
        outcomes.push(`${label}: ok`);
      } catch (err) {
        outcomes.push(`${label}: ${(err as { status?: number }).status}`);
      }
    };
    for (let i = 0; i < 3; i++) await attempt("answer", () => chat({ fake_output_tokens: 5 + i }));
    for (let i = 0; i < 2; i++) {
      await attempt("stream", async () => {
        const stream = await client.chat.completions.create({
          model: "metered-model",
          messages: [{ role: "user", content: "stream me" }],
          stream: true,
          stream_options: { include_usage: true },
          ...{ fake_output_tokens: 6 + i },
        });
        for await (const chunk of stream) void chunk;
      });
    }
    await attempt("upstream 400", () => chat({ fake_fault: "status:400" }));
    await attempt("upstream 500", () => chat({ fake_fault: "status:500" }));
    await attempt("unknown model", () => chat({}, "no-such-model"));
    await attempt("unknown model", () => chat({}, "another-missing-model"));
    // The upstream bills 500 output tokens past the cap of 3 we sent: an overage.
    await attempt("overage", () => chat({ max_tokens: 3, fake_fault: "usage:9,500" }));
    expect(outcomes).toEqual([
      "answer: ok",
      "answer: ok",
      "answer: ok",
      "stream: ok",
      "stream: ok",
      "upstream 400: 400",
      "upstream 500: 502",
      "unknown model: 404",
      "unknown model: 404",
      "overage: ok",
    ]);

    await s.stack.settled(); // receipts land just after the answers
    const { rows } = await s.stack.db.query(
      `SELECT endpoint, status, coalesce("modelRouted", 'none') AS model, coalesce("channelId", 'none') AS channel,
              sum("requestCount")::int AS requests, sum("inputTokens")::int AS input,
              sum("cachedInputTokens")::int AS cached, sum("cacheWriteInputTokens")::int AS cache_write,
              sum("outputTokens")::int AS output, sum("costNanos")::bigint AS cost, sum("overageNanos")::bigint AS overage,
              count(*) FILTER (WHERE "overageNanos" > 0)::int AS overages,
              count("ttftMs")::int AS with_ttft
         FROM "RequestLog" GROUP BY 1, 2, 3, 4`,
    );
    expect(rows.reduce((sum, r) => sum + r.requests, 0)).toBe(sent);
    const samples = await scrape(s.stack.app.url);

    // Requests by surface, status, model and channel.
    const requests = series(
      samples,
      "tokenflow_requests_total",
      (l) => `${l.surface} ${l.status} ${l.model} ${l.channel}`,
    );
    const expectedRequests = new Map(
      rows.map((r) => [`${r.endpoint} ${r.status} ${r.model} ${r.channel}`, r.requests]),
    );
    expect(requests).toEqual(expectedRequests);
    expect(expectedRequests.get(`chat.completions 200 metered-model ${channelId}`)).toBe(6);
    expect(expectedRequests.get(`chat.completions 404 none none`)).toBe(2);

    // Tokens by model, channel and type; cost in USD (summed in nanos, divided once).
    const tokens = series(samples, "tokenflow_tokens_total", (l) => `${l.model} ${l.channel} ${l.type}`);
    const expectedTokens = new Map<string, number>();
    const cost = new Map<string, bigint>();
    const overageNanos = new Map<string, bigint>();
    const overageCount = new Map<string, number>();
    const add = (map: Map<string, number>, key: string, value: number) => {
      if (value) map.set(key, (map.get(key) ?? 0) + value);
    };
    const addNanos = (map: Map<string, bigint>, key: string, value: bigint) => {
      if (value) map.set(key, (map.get(key) ?? 0n) + value);
    };
    for (const r of rows) {
      add(expectedTokens, `${r.model} ${r.channel} input`, r.input);
      add(expectedTokens, `${r.model} ${r.channel} cached_input`, r.cached);
      add(expectedTokens, `${r.model} ${r.channel} cache_write_input`, r.cache_write);
      add(expectedTokens, `${r.model} ${r.channel} output`, r.output);
      addNanos(cost, `${r.model} ${r.channel}`, BigInt(r.cost));
      addNanos(overageNanos, `${r.model} ${r.channel}`, BigInt(r.overage));
      add(overageCount, `${r.model} ${r.channel}`, r.overages);
    }
    expect(tokens).toEqual(expectedTokens);
    expect(expectedTokens.get(`metered-model ${channelId} output`)).toBeGreaterThanOrEqual(5 + 6 + 7 + 6 + 7 + 500);
    const costUsd = series(samples, "tokenflow_cost_usd_total", (l) => `${l.model} ${l.channel}`);
    expect(costUsd).toEqual(new Map([...cost].map(([k, nanos]) => [k, nanosToUsdNumber(nanos)])));
    expect(costUsd.size).toBe(1);

    // The overage, as tf_settle recorded it on the receipt.
    expect(series(samples, "tokenflow_overages_total", (l) => `${l.model} ${l.channel}`)).toEqual(overageCount);
    expect(series(samples, "tokenflow_overage_usd_total", (l) => `${l.model} ${l.channel}`)).toEqual(
      new Map([...overageNanos].map(([k, nanos]) => [k, nanosToUsdNumber(nanos)])),
    );
    expect(overageCount.get(`metered-model ${channelId}`)).toBe(1);

    // One latency observation per receipt, a TTFT one per receipt that has it (the streams).
    const latencyCount = samples
      .filter((x) => x.name === "tokenflow_request_duration_seconds_count")
      .reduce((sum, x) => sum + x.value, 0);
    expect(latencyCount).toBe(sent);
    const ttftCount = samples
      .filter((x) => x.name === "tokenflow_ttft_seconds_count")
      .reduce((sum, x) => sum + x.value, 0);
    expect(ttftCount).toBe(rows.reduce((sum, r) => sum + r.with_ttft, 0));
    expect(ttftCount).toBeGreaterThanOrEqual(2);

    // Upstream failures by kind; the channel stays in rotation; nothing holds money any more.
    expect(series(samples, "tokenflow_upstream_errors_total", (l) => `${l.channel} ${l.kind}`)).toEqual(
      new Map([
        [`${channelId} request`, 1],
        [`${channelId} transient`, 1],
      ]),
    );
    expect(samples.find((x) => x.name === "tokenflow_circuit_state" && x.labels.channel === channelId)?.value).toBe(0);
    expect(
      samples.find((x) => x.name === "tokenflow_channel_info" && x.labels.channel === channelId)?.labels.name,
    ).toBe("metrics upstream");
    expect(samples.find((x) => x.name === "tokenflow_holds_in_flight")?.value).toBe(0);
    expect(samples.find((x) => x.name === "tokenflow_holds_open")?.value).toBe(0);

    // Infrastructure gauges: the pool has been used, Postgres and Redis are up.
    const pool = series(samples, "tokenflow_db_pool_connections", (l) => l.state);
    expect(pool.get("total")).toBeGreaterThan(0);
    expect(samples.find((x) => x.name === "tokenflow_db_available")?.value).toBe(1);
    expect(samples.find((x) => x.name === "tokenflow_redis_configured")?.value).toBe(1);
    expect(samples.find((x) => x.name === "tokenflow_redis_up")?.value).toBe(1);

    // No label carries an organization, a key or a model name the client made up.
    const labelValues = samples.flatMap((x) => Object.values(x.labels));
    expect(labelValues).not.toContain("no-such-model");
    const { rows: ids } = await s.stack.db.query(`SELECT id FROM "Organization" UNION SELECT id FROM "ApiKey"`);
    for (const { id } of ids) expect(labelValues).not.toContain(id);
  });

  it("counts Stripe events processed by the webhook (a Next route) on the server's /metrics", async () => {
    const event = stripeEvent("customer.created", { id: "cus_metrics", object: "customer" });
    expect((await deliver(s, event)).body).toMatchObject({ result: "ignored" });
    expect((await deliver(s, event)).body).toMatchObject({ result: "duplicate" });
    const stripe = series(
      await scrape(s.stack.app.url),
      "tokenflow_stripe_events_total",
      (l) => `${l.type} ${l.result}`,
    );
    expect(stripe).toEqual(
      new Map([
        ["other ignored", 1],
        ["other duplicate", 1],
      ]),
    );
    const { rows } = await s.stack.db.query(`SELECT result FROM "StripeEvent" WHERE id = $1`, [event.id]);
    expect(rows).toEqual([{ result: "ignored" }]);
  });
});

describe("with metrics off, without Redis, and a database that goes away", () => {
  let p: ProxiedStack;

  beforeAll(async () => {
    p = await startProxiedStack({ TOKENFLOW_METRICS_TOKEN: "", REDIS_URL: "" });
  }, 120_000);

  afterAll(async () => {
    await p?.stack.stop();
    await p?.pgProxy.stop();
  });

  it("answers /metrics 404 whatever the token", async () => {
    const none = await fetch(`${p.stack.app.url}/metrics`);
    expect(none.status).toBe(404);
    const withToken = await fetch(`${p.stack.app.url}/metrics`, { headers: { authorization: "Bearer anything" } });
    expect(withToken.status).toBe(404);
    expect(await withToken.text()).not.toContain("tokenflow_");
  });

  it("is ready with Redis reported as not configured, and not ready while a migration is missing", async () => {
    const ready = await fetch(`${p.stack.app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", redis: { status: "not_configured" } });

    const { rows } = await p.stack.db.query(
      `DELETE FROM "_tf_migrations" WHERE name = (SELECT max(name) FROM "_tf_migrations") RETURNING name, checksum, applied_at`,
    );
    try {
      const behind = await fetch(`${p.stack.app.url}/readyz`);
      expect(behind.status).toBe(503);
      expect(await behind.json()).toMatchObject({
        status: "not_ready",
        database: { status: "ok" },
        migrations: { status: "pending", pending: [rows[0].name] },
      });
    } finally {
      await p.stack.db.query(`INSERT INTO "_tf_migrations" (name, checksum, applied_at) VALUES ($1, $2, $3)`, [
        rows[0].name,
        rows[0].checksum,
        rows[0].applied_at,
      ]);
    }
    expect((await fetch(`${p.stack.app.url}/readyz`)).status).toBe(200);
  });

  it("answers /readyz 503 while Postgres is unreachable, /healthz 200 all along, and recovers", async () => {
    await p.pgProxy.setMode("refuse");
    try {
      const started = performance.now();
      const down = await fetch(`${p.stack.app.url}/readyz`);
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(down.status).toBe(503);
      const body = await down.json();
      expect(body).toEqual({
        status: "not_ready",
        database: { status: "unreachable" },
        migrations: { status: "unknown" },
        redis: { status: "not_configured" },
      });
      expect((await fetch(`${p.stack.app.url}/healthz`)).status).toBe(200);
    } finally {
      await p.pgProxy.setMode("pass");
    }
    expect((await fetch(`${p.stack.app.url}/readyz`)).status).toBe(200);
  });

  it("answers /readyz 503 within its bound while Postgres hangs (accepts, never answers)", async () => {
    await p.pgProxy.setMode("hang");
    try {
      const started = performance.now();
      const down = await fetch(`${p.stack.app.url}/readyz`);
      const ms = performance.now() - started;
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ status: "not_ready", database: { status: "timeout" } });
      expect(ms).toBeGreaterThanOrEqual(1_400); // a connect timeout (1.5 s) or the query bound (2 s)
      expect(ms).toBeLessThan(3_500);
    } finally {
      await p.pgProxy.setMode("pass");
    }
    await expect
      .poll(async () => (await fetch(`${p.stack.app.url}/readyz`)).status, { timeout: 10_000, interval: 250 })
      .toBe(200);
  });
});

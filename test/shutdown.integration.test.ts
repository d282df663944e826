// SIGTERM drains: sent to the server process or to the whole `npm start` process group, the server
// stops accepting at once, lets requests in flight finish within TOKENFLOW_SHUTDOWN_TIMEOUT_MS, then
// cuts the rest (streams end with a `server_shutdown` error event and are billed for what was
// produced); every process is gone within the deadline plus a few seconds, and no money stays held.
import { request as httpRequest } from "node:http";
import path from "node:path";
import OpenAI from "openai";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getRequests, spawnFakeUpstream, waitForRequest, type FakeUpstreamHandle } from "@/e2e/fake-upstream/client";
import { costNanos } from "@/lib/billing/money";
import { findLedgerMismatches } from "@/lib/billing/reconcile";
import { startEmbeddedPostgres } from "@/lib/db/embedded-postgres";
import { bigintTypes } from "@/lib/db/pool";
import { freePort, startAppServer } from "./app-server";
import { createFreshDatabase } from "./database";
import { commandOf, startNpmStart, waitGroupGone, type NpmStart } from "./npm-start";
import { AdminClient, FAKE_UPSTREAM_FIELDS, startStack, type Stack } from "./stack";

const STREAMS = 50;
const GRACE_MS = 3_000;
const MODEL = "deepseek-v3";
// 100 tokens, one every 200 ms: a 20 s stream, far longer than the grace period.
const LONG = { fake_output_tokens: 100, fake_chunk_delay_ms: 200, max_tokens: 200 };
// 10 tokens, one every 100 ms: done well within a 15 s grace period.
const SHORT = { fake_output_tokens: 10, fake_chunk_delay_ms: 100, max_tokens: 200 };

interface StreamOutcome {
  /** The stream's user message, unique in the run: finds its recorded upstream request. */
  prompt: string;
  requestId: string;
  /** Content deltas the client received. */
  deltas: number;
  end: "done" | "error" | "hang";
  errorCode: string | null;
  finishReason: string | null;
  usage: Record<string, unknown> | null;
  endedAt: number;
}

interface OpenStream {
  prompt: string;
  requestId: string;
  outcome: Promise<StreamOutcome>;
}

/** Opens a stream and waits for its first chunk: admitted, held, and the upstream is generating. */
async function openStream(client: OpenAI, prompt: string, knobs: Record<string, unknown>): Promise<OpenStream> {
  const { data, response } = await client.chat.completions
    .create({
      model: MODEL,
      messages: [{ role: "user", content: prompt }],
      stream: true,
      stream_options: { include_usage: true },
      ...knobs,
    } as never)
    .withResponse();
  const requestId = response.headers.get("x-request-id")!;
  const chunks = (data as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>)[Symbol.asyncIterator]();
  const result: StreamOutcome = {
    prompt,
    requestId,
    deltas: 0,
    end: "done",
    errorCode: null,
    finishReason: null,
    usage: null,
    endedAt: 0,
  };
  const take = (chunk: OpenAI.ChatCompletionChunk) => {
    if (chunk.choices[0]?.delta?.content) result.deltas++;
    result.finishReason ??= chunk.choices[0]?.finish_reason ?? null;
    if (chunk.usage) result.usage = chunk.usage as unknown as Record<string, unknown>;
  };
  const first = await chunks.next();
  if (!first.done) take(first.value);
  const outcome = (async () => {
    try {
      for (;;) {
        const next = await chunks.next();
        if (next.done) break;
        take(next.value);
      }
    } catch (err) {
      result.end = "error";
      result.errorCode = (err as { code?: string }).code ?? (err as Error).message;
    }
    result.endedAt = Date.now();
    return result;
  })();
  return { prompt, requestId, outcome };
}

let runs = 0;

async function openStreams(client: OpenAI, count: number, knobs: Record<string, unknown>): Promise<OpenStream[]> {
  const run = ++runs;
  return Promise.all(Array.from({ length: count }, (_, i) => openStream(client, `run ${run} stream ${i}`, knobs)));
}

/** Every stream's outcome; one still open `ms` from now is reported as a hang rather than awaited forever. */
function outcomesWithin(streams: OpenStream[], ms: number): Promise<StreamOutcome[]> {
  return Promise.all(
    streams.map((s) =>
      Promise.race([
        s.outcome,
        new Promise<StreamOutcome>((resolve) =>
          setTimeout(
            () =>
              resolve({
                prompt: s.prompt,
                requestId: s.requestId,
                deltas: -1,
                end: "hang",
                errorCode: null,
                finishReason: null,
                usage: null,
                endedAt: Date.now(),
              }),
            ms,
          ).unref(),
        ),
      ]),
    ),
  );
}

/** A request on a new TCP connection: resolves with the connection error code, or "accepted". */
function tryNewConnection(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: "127.0.0.1", port, path: "/api/health", agent: false }, (res) => {
      res.resume();
      resolve("accepted");
    });
    req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

async function waitForLog(logs: () => string, text: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!logs().includes(text)) {
    if (Date.now() > deadline) throw new Error(`"${text}" not logged within ${timeoutMs} ms:\n${logs()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now();
}

async function modelPrices(db: pg.Pool) {
  const { rows } = await db.query(
    `SELECT "inputPriceNanos", "outputPriceNanos", COALESCE("cachedInputPriceNanos", "inputPriceNanos") AS "cachedInputPriceNanos"
       FROM "Model" WHERE id = $1`,
    [MODEL],
  );
  return rows[0] as { inputPriceNanos: bigint; outputPriceNanos: bigint; cachedInputPriceNanos: bigint };
}

/** The money side of a drain: nothing held, no hold left, every receipt and ledger entry consistent. */
async function expectBooksSettled(db: pg.Pool, orgId: string) {
  const { rows: org } = await db.query(`SELECT "heldNanos" FROM "Organization" WHERE id = $1`, [orgId]);
  expect(org[0].heldNanos).toBe(0n);
  const { rows: holds } = await db.query(`SELECT count(*)::int AS n FROM "Hold" WHERE state = 'HELD'`);
  expect(holds[0].n).toBe(0);
  expect(await findLedgerMismatches(db)).toEqual([]);
}

/**
 * Each cut stream has a receipt that bills exactly the output the client received, at the model's
 * price, and the ledger charged that cost. The upstream may have written one token more: the chunk
 * in flight at the cut (written before our close reached it, never read by us), which the client
 * never got and is not billed for. Returns how many streams had such a chunk.
 */
async function expectCutStreamsBilled(
  db: pg.Pool,
  upstream: FakeUpstreamHandle,
  outcomes: StreamOutcome[],
): Promise<number> {
  const prices = await modelPrices(db);
  const recorded = await getRequests(upstream.url, { path: "/v1/chat/completions" });
  const ids = outcomes.map((o) => o.requestId);
  const { rows: logs } = await db.query(`SELECT * FROM "RequestLog" WHERE id = ANY($1)`, [ids]);
  const { rows: ledger } = await db.query(
    `SELECT reference, "amountNanos" FROM "LedgerEntry" WHERE kind = 'USAGE' AND reference = ANY($1)`,
    [ids],
  );
  expect(logs.length).toBe(outcomes.length);
  const mismatches: string[] = [];
  let inFlightAtCut = 0;
  for (const o of outcomes) {
    const log = logs.find((l) => l.id === o.requestId);
    const written = recorded.find((r) => r.body?.messages?.[0]?.content === o.prompt)!.tokensWritten;
    const expected = costNanos(
      { inputTokens: log.inputTokens, cachedInputTokens: log.cachedInputTokens, outputTokens: o.deltas },
      prices,
    );
    const charged = ledger.find((l) => l.reference === o.requestId)?.amountNanos;
    if (written === o.deltas + 1) inFlightAtCut++;
    if (
      o.deltas <= 0 ||
      log.outputTokens !== o.deltas ||
      (written !== o.deltas && written !== o.deltas + 1) ||
      log.costNanos !== expected ||
      charged !== -expected ||
      log.errorCode !== "server_shutdown" ||
      log.usageSource !== "ESTIMATED"
    )
      mismatches.push(
        `${o.prompt}: upstream wrote ${written}, client got ${o.deltas}, billed ${log.outputTokens} tokens / ` +
          `${log.costNanos} nanos (expected ${expected}), ledger ${charged}, ${log.errorCode} ${log.usageSource}`,
      );
  }
  expect(mismatches).toEqual([]);
  return inFlightAtCut;
}

describe("SIGTERM to the server process", () => {
  let stack: Stack;
  let orgId: string;
  let key: string;

  beforeAll(async () => {
    stack = await startStack({ env: { TOKENFLOW_SHUTDOWN_TIMEOUT_MS: String(GRACE_MS) } });
    await stack.admin.disableAllChannels();
    await stack.admin.createChannel({ name: "fake", baseUrl: stack.upstream.baseUrl, models: [MODEL] });
    orgId = (await stack.admin.createOrganization("drain", "100")).id;
    key = (await stack.admin.createKey(orgId)).key;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it(`with ${STREAMS} streams longer than the grace period: refuses at once, cuts and bills them all, exits 0`, async () => {
    const client = stack.sdk(key);
    const streams = await openStreams(client, STREAMS, LONG);
    // A non-streaming request still waiting for its upstream when the server cuts.
    const waiting = client.chat.completions
      .create({
        model: MODEL,
        messages: [{ role: "user", content: "waiting" }],
        fake_fault: "slow-first-byte:20000",
      } as never)
      .withResponse()
      .then(
        () => null,
        (err: unknown) => err,
      );
    await waitForRequest(stack.upstream.url, (r) => r.body?.messages?.[0]?.content === "waiting");

    const server = stack.app.process;
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      server.once("exit", (code) => resolve({ code, at: Date.now() })),
    );
    const signalledAt = Date.now();
    server.kill("SIGTERM");
    const stoppingAt = await waitForLog(stack.app.logs, "SIGTERM: stopping", 2_000);
    expect(await tryNewConnection(stack.app.port)).toBe("ECONNREFUSED");
    const refusedMs = Date.now() - signalledAt;
    server.kill("SIGTERM"); // a second one (a launcher forwarding it too) neither restarts nor shortens the drain

    const outcomes = await outcomesWithin(streams, GRACE_MS + 10_000);
    const exit = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), GRACE_MS + 10_000))]);
    const drainMs = exit ? exit.at - signalledAt : -1;
    console.log(
      `[shutdown] server SIGTERM with ${STREAMS} long streams: handler after ${stoppingAt - signalledAt} ms, ` +
        `new connections refused by ${refusedMs} ms, last stream ended after ` +
        `${Math.max(...outcomes.map((o) => o.endedAt)) - signalledAt} ms, exit ${exit?.code} after ${drainMs} ms ` +
        `(grace ${GRACE_MS} ms)`,
    );

    expect(outcomes.filter((o) => o.end !== "error" || o.errorCode !== "server_shutdown")).toEqual([]);
    expect(exit?.code).toBe(0);
    expect(drainMs).toBeGreaterThanOrEqual(GRACE_MS); // it did wait for the grace period
    expect(drainMs).toBeLessThan(GRACE_MS + 5_000);
    expect(stack.app.logs().match(/SIGTERM: stopping/g)?.length).toBe(1);

    await expectBooksSettled(stack.db, orgId);
    const inFlight = await expectCutStreamsBilled(stack.db, stack.upstream, outcomes);
    console.log(`[shutdown] ${inFlight} of ${STREAMS} cut streams had a token in flight at the cut (not billed)`);

    // The non-streaming request was answered 503 server_shutdown in OpenAI's envelope, and is free.
    const err = (await waiting) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(503);
    expect(err.error).toMatchObject({ type: expect.any(String), param: null, code: "server_shutdown" });
    expect((err.error as { message: string }).message).toMatch(/restarting/);
    const requestId = err.headers?.get("x-request-id");
    const { rows: receipt } = await stack.db.query(`SELECT * FROM "RequestLog" WHERE id = $1`, [requestId]);
    expect(receipt[0]).toMatchObject({ status: 503, errorCode: "server_shutdown", costNanos: 0n });
    const { rows: charged } = await stack.db.query(
      `SELECT count(*)::int AS n FROM "LedgerEntry" WHERE reference = $1 AND kind = 'USAGE' AND "amountNanos" <> 0`,
      [requestId],
    );
    expect(charged[0].n).toBe(0);
  });

  /** Another instance on the same database (the first one has exited). */
  function startServer(graceMs: number) {
    return startAppServer({
      databaseUrl: stack.databaseUrl,
      env: {
        TOKENFLOW_ADMIN_KEY: stack.app.adminKey,
        TOKENFLOW_ENCRYPTION_KEY: stack.app.encryptionKey,
        TOKENFLOW_SHUTDOWN_TIMEOUT_MS: String(graceMs),
      },
    });
  }

  it(`with ${STREAMS} streams that end within the grace period: all complete, exit 0 right after the last`, async () => {
    const grace = 15_000;
    const app = await startServer(grace);
    try {
      const sdk = stack.sdk(key, { baseURL: `${app.url}/v1` });
      const streams = await openStreams(sdk, STREAMS, SHORT);
      const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
        app.process.once("exit", (code) => resolve({ code, at: Date.now() })),
      );
      const signalledAt = Date.now();
      app.process.kill("SIGTERM");
      const outcomes = await outcomesWithin(streams, grace);
      const exit = await exited;
      const lastEndedAt = Math.max(...outcomes.map((o) => o.endedAt));
      console.log(
        `[shutdown] server SIGTERM with ${STREAMS} short streams: last stream ended after ${lastEndedAt - signalledAt} ms, ` +
          `exit ${exit.code} ${exit.at - lastEndedAt} ms after it (grace ${grace} ms)`,
      );
      expect(outcomes.filter((o) => o.end !== "done" || o.finishReason !== "stop" || o.deltas !== 10)).toEqual([]);
      expect(outcomes.every((o) => o.usage?.completion_tokens === 10 && typeof o.usage.cost_usd === "string")).toBe(
        true,
      );
      expect(exit.code).toBe(0);
      expect(exit.at - lastEndedAt).toBeLessThan(2_000);
      const { rows } = await stack.db.query(
        `SELECT count(*)::int AS n FROM "RequestLog" WHERE id = ANY($1) AND "errorCode" IS NULL AND "outputTokens" = 10 AND "usageSource" = 'UPSTREAM'`,
        [streams.map((s) => s.requestId)],
      );
      expect(rows[0].n).toBe(STREAMS);
      await expectBooksSettled(stack.db, orgId);
    } finally {
      await app.stop();
    }
  });

  it("a stream whose client stopped reading is cut and settled too, before the process exits", async () => {
    const grace = 1_000;
    const app = await startServer(grace);
    try {
      const prompt = "x".repeat(10_000); // the fake echoes it: every token is a 10 kB chunk
      const response = await new Promise<{ requestId: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: "127.0.0.1",
            port: app.port,
            path: "/v1/chat/completions",
            method: "POST",
            agent: false,
            headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          },
          (res) => {
            res.pause(); // and never read: the socket's buffers fill, the server's writes block
            resolve({ requestId: String(res.headers["x-request-id"]) });
          },
        );
        req.on("error", reject);
        req.end(
          JSON.stringify({
            model: MODEL,
            messages: [{ role: "user", content: prompt }],
            stream: true,
            max_tokens: 8_000,
            fake_output_tokens: 8_000,
          }),
        );
      });
      // Backpressure reached the upstream: it has stopped writing.
      let written = -1;
      for (;;) {
        await new Promise((r) => setTimeout(r, 300));
        const [recorded] = await getRequests(stack.upstream.url, { path: "/v1/chat/completions" }).then((rs) =>
          rs.filter((r) => r.body?.messages?.[0]?.content === prompt),
        );
        if (recorded.tokensWritten === written) break;
        written = recorded.tokensWritten;
      }

      const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
        app.process.once("exit", (code) => resolve({ code, at: Date.now() })),
      );
      const signalledAt = Date.now();
      app.process.kill("SIGTERM");
      const exit = await exited;
      console.log(
        `[shutdown] server SIGTERM with a stalled stream: exit ${exit.code} after ${exit.at - signalledAt} ms`,
      );
      expect(exit.code).toBe(0);
      expect(exit.at - signalledAt).toBeLessThan(grace + 8_000); // the grace, the 5 s settle bound, closing

      const { rows } = await stack.db.query(`SELECT * FROM "RequestLog" WHERE id = $1`, [response.requestId]);
      expect(rows[0]).toMatchObject({ errorCode: "server_shutdown", usageSource: "ESTIMATED" });
      expect(rows[0].outputTokens).toBeGreaterThan(0);
      expect(rows[0].outputTokens).toBeLessThanOrEqual(written);
      await expectBooksSettled(stack.db, orgId);
    } finally {
      await app.stop();
    }
  });
});

describe("SIGTERM to the whole `npm start` process group", () => {
  let upstream: FakeUpstreamHandle;

  beforeAll(async () => {
    upstream = await spawnFakeUpstream();
  });

  afterAll(async () => {
    await upstream?.stop();
  });

  /** Starts `npm start`, opens the streams, signals the group; returns what the tests check. */
  async function drainGroup(npm: NpmStart) {
    const admin = new AdminClient(npm.url, npm.adminKey);
    await admin.disableAllChannels();
    await admin.createChannel({ name: "fake", baseUrl: upstream.baseUrl, models: [MODEL] });
    await admin.updateModel(MODEL, { extraRequestFields: FAKE_UPSTREAM_FIELDS });
    const orgId = (await admin.createOrganization("group drain", "100")).id;
    const key = (await admin.createKey(orgId)).key;
    const client = new OpenAI({ baseURL: `${npm.url}/v1`, apiKey: key, maxRetries: 0, timeout: 30_000 });
    const streams = await openStreams(client, STREAMS, LONG);

    const pids = npm.groupPids();
    expect(pids.length).toBeGreaterThanOrEqual(3); // npm, the launcher, the server (and maybe a shell)
    const commands = pids.map((pid) => `${pid} ${commandOf(pid)}`).join("; ");
    const signalledAt = Date.now();
    process.kill(-npm.pgid, "SIGTERM");
    const outcomes = await outcomesWithin(streams, GRACE_MS + 10_000);
    const goneAt = await waitGroupGone(pids, GRACE_MS + 20_000);
    const goneMs = goneAt === null ? -1 : goneAt - signalledAt;
    console.log(
      `[shutdown] npm start group SIGTERM (${npm.database}) with ${STREAMS} long streams: ${pids.length} processes (${commands}), ` +
        `last stream ended after ${Math.max(...outcomes.map((o) => o.endedAt)) - signalledAt} ms, ` +
        `every process gone after ${goneMs} ms (grace ${GRACE_MS} ms)`,
    );
    expect(outcomes.filter((o) => o.end !== "error" || o.errorCode !== "server_shutdown")).toEqual([]);
    expect(goneAt).not.toBeNull();
    expect(goneMs).toBeLessThan(GRACE_MS + 5_000);
    const logs = npm.logs();
    expect(logs).toMatch(/stopping \(SIGTERM\)/); // the launcher got it and forwarded it: the server got two
    expect(logs.match(/SIGTERM: stopping/g)?.length).toBe(1); // the server handled them once
    expect(logs).toMatch(/stopped in \d+ ms/);
    expect(logs).not.toMatch(/did not stop in time/);
    return { orgId, outcomes };
  }

  it("with a Postgres at DATABASE_URL: every process gone within the deadline, nothing held", async () => {
    const database = await createFreshDatabase({ migrate: false }); // npm start migrates and seeds it
    const npm = await startNpmStart({ DATABASE_URL: database.url, TOKENFLOW_SHUTDOWN_TIMEOUT_MS: String(GRACE_MS) });
    const db = new pg.Pool({ connectionString: database.url, max: 2, types: bigintTypes });
    try {
      const { orgId, outcomes } = await drainGroup(npm);
      await expectBooksSettled(db, orgId);
      const inFlight = await expectCutStreamsBilled(db, upstream, outcomes);
      console.log(`[shutdown] ${inFlight} of ${STREAMS} cut streams had a token in flight at the cut (not billed)`);
    } finally {
      await npm.kill();
      await db.end();
      await database.drop();
    }
  }, 180_000);

  it("with the embedded database: the database outlives the server's settlements, nothing held", async () => {
    const npm = await startNpmStart({ TOKENFLOW_SHUTDOWN_TIMEOUT_MS: String(GRACE_MS) });
    try {
      const { orgId, outcomes } = await drainGroup(npm);
      // Read what the launcher's PGlite stored, without starting TokenFlow (no journal replay, no sweeper).
      const embedded = await startEmbeddedPostgres({
        dataDir: path.join(npm.dataDir, "pglite"),
        port: await freePort(),
      });
      const db = new pg.Pool({ connectionString: embedded.url, max: 1, types: bigintTypes });
      try {
        await expectBooksSettled(db, orgId);
        const inFlight = await expectCutStreamsBilled(db, upstream, outcomes);
        console.log(`[shutdown] ${inFlight} of ${STREAMS} cut streams had a token in flight at the cut (not billed)`);
      } finally {
        await db.end();
        await embedded.stop();
      }
    } finally {
      await npm.kill();
    }
  }, 180_000);
});

// The TokenFlow server process: one node:http server. /v1 is answered by the gateway core directly,
// everything else by Next.js. It starts the hold sweeper, the settlement journal (replaying what a
// previous run left) and the notification outbox (low-balance emails), and drains on SIGTERM/SIGINT.
// Run by the launcher (`npm start`, `npm run dev`); directly: `node --import tsx scripts/server.ts [--dev]`.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import next from "next";
import { refusalLog } from "@/lib/billing/refusals";
import { settlementJournal } from "@/lib/billing/settlement-journal";
import { startHoldSweeper } from "@/lib/billing/sweeper-loop";
import { billingConfig } from "@/lib/billing/config";
import { startTableMaintenance } from "@/lib/db/maintenance";
import { closeInvalidation, connectInvalidation } from "@/lib/cache/invalidation";
import { closePrisma } from "@/lib/db/client";
import { closePool, getPool } from "@/lib/db/pool";
import { close as closeBodyWorkers, warm as warmBodyWorkers } from "@/lib/gateway/body-pool";
import { gatewayConfig } from "@/lib/gateway/config";
import { settlementsInFlight } from "@/lib/billing/meter";
import { hotPathHoldPools } from "@/lib/billing/hot-path-admission";
import { closeRateLimiter, connectRateLimiter, liveInstances, redactUrl } from "@/lib/ratelimit";
import { rateLimitConfig } from "@/lib/ratelimit/config";
import { createTokenflowServer } from "@/lib/server/http-server";
import { drainAndClose } from "@/lib/server/shutdown";
import { describeMailer } from "@/lib/email/send";
import { startNotificationOutbox } from "@/lib/notifications/outbox";
import { startAutoTopUps } from "@/lib/billing/stripe/auto-top-up-loop";
import { checkStartupConfig } from "@/lib/startup-config";
import { getMetrics } from "@/lib/metrics/registry";
import { logger, routeConsoleToLogger } from "@/lib/log";
import { appRoot } from "./app-root";

const dev = process.argv.includes("--dev");
const root = appRoot();

// The most shutdown waits for the journal's last replay (the database may be what is failing).
const JOURNAL_FINAL_REPLAY_MS = 3_000;

const serverLog = logger("server");

function log(message: string) {
  serverLog.info(message);
}

/**
 * Production runs on the configuration the build recorded, as Next's own standalone server.js does:
 * a standalone folder has no next.config.mjs (nor the packages it could import), and loading it
 * again in a checkout would only repeat the build's work (and warn that `output: "standalone"` is
 * meant for server.js, which ours replaces).
 */
function applyBuildConfig() {
  if (dev || process.env.__NEXT_PRIVATE_STANDALONE_CONFIG) return;
  const recorded = path.join(root, ".next", "required-server-files.json");
  if (!existsSync(recorded)) return; // no build: next() says so
  const { config } = JSON.parse(readFileSync(recorded, "utf8")) as { config: unknown };
  process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = JSON.stringify(config);
}

/** Connects to Redis at start, bounded by TOKENFLOW_REDIS_STARTUP_WAIT_MS, and says how it went. */
async function connectRedis(): Promise<void> {
  const url = process.env.REDIS_URL;
  if (!url) return log("no REDIS_URL: limits are per instance (in memory); run one instance, or set REDIS_URL");
  const waitMs = rateLimitConfig().TOKENFLOW_REDIS_STARTUP_WAIT_MS;
  const [limits, invalidation] = await Promise.all([connectRateLimiter(waitMs), connectInvalidation(waitMs)]);
  if (limits === "ready" && invalidation)
    return log(`Redis ${redactUrl(url)}: limits shared by ${liveInstances()} instance(s)`);
  const n = liveInstances();
  const share =
    n > 1
      ? `this instance enforces 1/${n} of every limit in memory`
      : "this instance enforces every limit in full in memory (set TOKENFLOW_INSTANCES to your instance count to give each its share)";
  log(
    `Redis ${redactUrl(url)} not reachable within ${waitMs} ms: starting anyway and reconnecting; until it ` +
      `answers, ${share}, and caches expire by TOKENFLOW_CACHE_TTL_MS only`,
  );
}

async function main() {
  // Next.js and libraries write with console.*: their lines become structured and scrubbed too.
  routeConsoleToLogger();
  checkStartupConfig();
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST || undefined; // all interfaces unless told otherwise
  applyBuildConfig();
  const app = next({ dev, dir: root, hostname: host ?? "localhost", port });
  const { server, lifecycle } = createTokenflowServer(app.getRequestHandler() as never);
  // Redis (shared limits, cache invalidation) connects while Next.js prepares, and is up before we
  // listen: a first burst counted in each instance's memory would admit a limit once per instance.
  const redis = connectRedis();
  redis.catch(() => undefined); // awaited (and thrown) below; not an unhandled rejection meanwhile
  await app.prepare();
  // Hot reload's websocket; Next hands out its upgrade handler only once prepared.
  if (dev) server.on("upgrade", app.getUpgradeHandler() as never);
  await warmBodyWorkers().catch((err: Error) =>
    serverLog.warn({ err }, "body workers unavailable; large bodies are prepared inline"),
  );
  await redis;
  const stopSweeper = startHoldSweeper();
  const stopMaintenance = startTableMaintenance(getPool, billingConfig().TOKENFLOW_MAINTENANCE_INTERVAL_MS);
  const journal = settlementJournal();
  journal.start();
  const stopOutbox = startNotificationOutbox();
  const stopAutoTopUps = startAutoTopUps();

  let shutdown: Promise<void> | undefined;
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // A second Ctrl-C (not the SIGTERM the launcher forwards along with it) forces the exit.
    if (shutdown && signal === "SIGINT" && Date.now() - firstSignalAt > 1_000) {
      log("second interrupt: exiting now");
      process.exit(130);
    }
    if (shutdown) return;
    firstSignalAt = Date.now();
    serverLog.info({ signal }, `${signal}: stopping…`);
    stopSweeper();
    stopMaintenance();
    const outboxStopped = stopOutbox();
    const autoTopUpsStopped = stopAutoTopUps();
    const graceMs = gatewayConfig().TOKENFLOW_SHUTDOWN_TIMEOUT_MS;
    // The last resort if something in the drain itself hangs: never outlive the grace by much.
    setTimeout(() => {
      serverLog.error("the drain did not finish in time: exiting");
      process.exit(1);
    }, graceMs + 20_000).unref();
    shutdown = drainAndClose({
      server,
      lifecycle,
      graceMs,
      // Settlements still running land or are journaled; then one last try at what the journal holds
      // (what does not land stays on disk for the next start); refusal receipts are written.
      flush: async () => {
        await hotPathHoldPools().close(); // pre-admitted holds nobody took go back
        await settlementsInFlight();
        journal.unsettled.close(); // every answered request has landed or is in the journal now
        await Promise.race([
          Promise.all([outboxStopped, autoTopUpsStopped]),
          new Promise((r) => setTimeout(r, JOURNAL_FINAL_REPLAY_MS)),
        ]);
        await refusalLog().flush(true);
        journal.stop();
        await Promise.race([journal.replay(), new Promise((r) => setTimeout(r, JOURNAL_FINAL_REPLAY_MS))]);
      },
      close: async () => {
        await Promise.allSettled([
          closePool(),
          closePrisma(),
          closeRateLimiter(),
          closeInvalidation(),
          closeBodyWorkers(),
        ]);
      },
    }).then(() => process.exit());
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  serverLog.info({ host: host ?? "*", port, dev }, `listening on ${host ?? "*"}:${port}${dev ? " (development)" : ""}`);
  log(describeMailer()); // once at start: where password-reset and invitation emails go
  // Created now, so the process metrics (event-loop lag, GC) cover the whole run.
  log(
    getMetrics()
      ? "metrics on /metrics (bearer TOKENFLOW_METRICS_TOKEN)"
      : "metrics off (TOKENFLOW_METRICS_TOKEN unset)",
  );
}

// A stray rejection is logged, never fatal; an uncaught exception leaves the process in an unknown
// state, so it drains like a SIGTERM and exits non-zero for the supervisor to restart it.
process.on("unhandledRejection", (reason) => serverLog.error({ err: reason }, "unhandled rejection"));
process.on("uncaughtException", (err) => {
  serverLog.fatal({ err }, "uncaught exception, stopping");
  process.exitCode = 1;
  process.emit("SIGTERM", "SIGTERM");
});

main().catch((err: Error) => {
  serverLog.fatal({ err }, "cannot start");
  process.exit(1);
});

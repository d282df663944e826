import type http from "node:http";
import { logger } from "@/lib/log";
import type { Lifecycle } from "./lifecycle";

// SIGTERM drains (container runtimes, systemd and `npm start`'s Ctrl-C all send it, to the process or
// its whole group): stop accepting, let requests in flight finish within the grace period, then cut
// the /v1 requests still running (streams end and bill what was produced), wait for their
// settlements, close every connection and the process's resources, and exit.

export interface ShutdownOptions {
  server: http.Server;
  lifecycle: Lifecycle;
  graceMs: number;
  /** Most to wait, after cutting, for cut requests to settle. */
  settleMs?: number;
  /** Waits for background work that must land before exit (settlements, journal). */
  flush?: () => Promise<void>;
  /** Closes pools and clients. */
  close?: () => Promise<void>;
}

const log = logger("server");

export async function drainAndClose(options: ShutdownOptions): Promise<void> {
  const { server, lifecycle, graceMs } = options;
  const started = Date.now();
  lifecycle.draining = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  if (lifecycle.inFlight > 0) {
    log.info(
      { inFlight: lifecycle.inFlight, graceMs },
      `draining ${lifecycle.inFlight} request(s), up to ${graceMs} ms…`,
    );
  }

  if (!(await lifecycle.waitIdle(graceMs))) {
    const cut = lifecycle.cutGatewayRequests();
    log.warn({ cut }, `grace period over: cut ${cut} API request(s) still running`);
    await lifecycle.waitIdle(options.settleMs ?? 5_000);
  }
  // Whatever is left (a page still rendering, a stream whose client stopped reading): closing it
  // cancels the stream's body, which starts its settlement; waiting for the responses to close
  // makes sure it has started before the flush below waits for it.
  server.closeAllConnections();
  await lifecycle.waitIdle(1_000);
  await Promise.race([closed, new Promise((r) => setTimeout(r, 1_000))]);
  await options.flush?.().catch((err: Error) => log.error({ err }, "flush failed"));
  await options.close?.().catch((err: Error) => log.error({ err }, "close failed"));
  const stoppedMs = Date.now() - started;
  log.info({ stoppedMs }, `stopped in ${stoppedMs} ms`);
}

// The ioredis client for rate limiting, configured to fail fast (STACK.md: ioredis defaults make
// every command wait ~10 s while Redis is down). Never logs the URL's password. It starts connecting
// as soon as it is made; the server makes it at start (index.ts connectRateLimiter), not on the first
// request, so no request is ever counted in memory just because the connection was not up yet.

import Redis from "ioredis";
import { LogThrottle } from "./log-throttle";

export interface RateLimitClientOptions {
  connectTimeoutMs?: number; // default 2_000: TCP connect + ready check, retried with backoff
  /**
   * Default 2_000. Only a backstop that frees commands stuck on a silent connection: the limiter's
   * own deadline (fallback.ts, shorter) decides when to answer from memory. Keep it longer than that
   * deadline: ioredis's timer fires before a reply waiting in a busy process's socket is read.
   */
  commandTimeoutMs?: number;
  log?: (message: string) => void; // default: a warning in the log, at most once per minute
}

export function createRedisClient(url: string, options: RateLimitClientOptions = {}): Redis {
  const password = passwordOf(url);
  const throttle = new LogThrottle(options.log);
  const client = new Redis(url, {
    lazyConnect: true, // connect below, without making the constructor throw or block
    enableOfflineQueue: false, // while disconnected a command fails at once instead of queueing
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    // Reconnect forever with capped exponential backoff plus jitter (so instances don't stampede).
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 7), 3_000) + Math.floor(Math.random() * 100),
    connectionName: "tokenflow-ratelimit",
  });
  // Without an 'error' listener a connection error would crash the process.
  client.on("error", (err: Error) => {
    throttle.note(`[ratelimit] Redis ${redactUrl(url)}: ${redact(err.message, password)}`);
  });
  client.connect().catch(() => {}); // failures go to the 'error' listener; retryStrategy reconnects
  return client;
}

/** redis://user:secret@host:6379/0 → redis://user:***@host:6379/0 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<invalid REDIS_URL>";
  }
}

function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return "";
  }
}

function redact(message: string, password: string): string {
  return password ? message.split(password).join("***") : message;
}

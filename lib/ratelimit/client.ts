// The ioredis client for rate limiting, configured to fail fast (STACK.md: ioredis defaults make
// every command wait ~10 s while Redis is down). Never logs the URL's password.

import Redis from "ioredis";
import { LogThrottle } from "./log-throttle";

export interface RateLimitClientOptions {
  connectTimeoutMs?: number; // default 500
  commandTimeoutMs?: number; // default 150
  log?: (message: string) => void; // default: a warning in the log, at most once per minute
}

export function createRedisClient(url: string, options: RateLimitClientOptions = {}): Redis {
  const password = passwordOf(url);
  const throttle = new LogThrottle(options.log);
  const client = new Redis(url, {
    lazyConnect: true, // connect below, without making the constructor throw or block
    enableOfflineQueue: false, // while disconnected a command fails at once instead of queueing
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 500,
    commandTimeout: options.commandTimeoutMs ?? 150,
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

// How many gateway instances share the limits: each instance announces itself in a Redis sorted set
// (member = a random instance id, score = Redis server time of its last heartbeat) and reads back how
// many announced themselves recently. The count is what the in-memory fallback divides every limit
// by while Redis is unavailable (fallback.ts), so it must be known *before* Redis goes away: it is the
// last count seen, never lowered during an outage, and never below TOKENFLOW_INSTANCES.

import { randomUUID } from "node:crypto";
import type Redis from "ioredis";
import { logger } from "@/lib/log";
import { lua } from "./scripts";

/**
 * KEYS[1]: the registry. ARGV: instance id, liveness ms (0 = leave). Drops instances not heard from
 * within the liveness, records this one (unless leaving), and returns how many are live.
 */
const HEARTBEAT = lua(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local live = tonumber(ARGV[2])
if live == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return redis.call('ZCARD', KEYS[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - live)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], live)
return redis.call('ZCARD', KEYS[1])
`);

export interface InstanceRegistryOptions {
  key?: string; // default "tf:instances"
  intervalMs?: number; // heartbeat period, default 5_000
  configured?: number; // TOKENFLOW_INSTANCES: a floor for the count (covers instances started during an outage)
  log?: (message: string) => void;
}

export class InstanceRegistry {
  readonly id = randomUUID();
  private readonly key: string;
  private readonly intervalMs: number;
  private readonly configured: number;
  private readonly log: (message: string) => void;
  private seen = 0; // live instances at the last heartbeat Redis answered (0: never)
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly client: Redis,
    options: InstanceRegistryOptions = {},
  ) {
    this.key = options.key ?? "tf:instances";
    this.intervalMs = options.intervalMs ?? 5_000;
    this.configured = options.configured ?? 1;
    this.log = options.log ?? ((m) => logger("ratelimit").info(m));
  }

  /** The number of instances to share a limit between while Redis is unavailable (at least 1). */
  count(): number {
    return Math.max(1, this.configured, this.seen);
  }

  /** Announces this instance now and every interval (the timer does not keep the process alive). */
  start(): Promise<void> {
    if (!this.timer) {
      this.timer = setInterval(() => void this.beat(), this.intervalMs);
      this.timer.unref();
    }
    return this.beat();
  }

  /** One heartbeat; a failure (Redis down) keeps the last count. */
  async beat(): Promise<void> {
    try {
      const live = Number(await this.run(this.livenessMs()));
      if (!Number.isInteger(live) || live < 1) return;
      if (live !== this.seen) {
        const configured = this.configured > live ? ` (TOKENFLOW_INSTANCES=${this.configured} is used)` : "";
        this.log(`[ratelimit] ${live} instance(s) share the limits through Redis${configured}`);
      }
      this.seen = live;
    } catch {
      // Redis is unavailable: the client's own listener reports it; the last count stands.
    }
  }

  /** Stops the heartbeat and leaves the registry, so the others count one less at their next beat. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.run(0).catch(() => undefined);
  }

  /**
   * How long an instance counts as live after its last heartbeat: three periods, and at least 30 s.
   * Counting a crashed instance a little longer only makes the fallback's shares smaller (safe);
   * dropping a live one whose heartbeat was late (a busy event loop, a slow start) would make them
   * larger than the limit allows. An instance that stops normally leaves the registry at once.
   */
  private livenessMs(): number {
    return Math.max(3 * this.intervalMs, 30_000);
  }

  private async run(liveMs: number): Promise<unknown> {
    try {
      return await this.client.evalsha(HEARTBEAT.sha, 1, this.key, this.id, liveMs);
    } catch (err) {
      if (!String((err as Error)?.message).startsWith("NOSCRIPT")) throw err;
      return await this.client.eval(HEARTBEAT.source, 1, this.key, this.id, liveMs);
    }
  }
}

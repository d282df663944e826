import { z } from "zod";

// Redis tunables for the shared limits, from the environment once per process (documented in
// .env.example and the README's "Running several instances").
const schema = z.object({
  // How long a limit check waits for Redis before it is answered from memory. A healthy Redis answers
  // in well under a millisecond, but what we measure is Redis plus our own event loop: on a busy
  // machine (2 cores, a burst of requests being parsed) replies sit unread for hundreds of ms. 200 ms
  // flipped a healthy Redis into the per-instance fallback under load (issue 14: 16 of 30 admitted on
  // a 10/min key). With 1 s, the extra loop turn and the extension while Redis answers other calls
  // (fallback.ts), and the scripts loaded at connection (redis-limiter.ts), no check fell back in the cold
  // first burst of 120 requests on two instances (test/multi-instance.integration.test.ts), which took
  // the servers 3.5-6 s to answer on a shared 2-core machine. The cost is paid only when Redis truly
  // hangs, once per cool-down (fallback.ts), not per request.
  TOKENFLOW_REDIS_TIMEOUT_MS: z.coerce.number().int().positive().default(1_000),
  // Establishing a connection (TCP + ready check) is a different budget from a command: a refused
  // port fails at once anyway, and a slow handshake must not be retried forever under load.
  TOKENFLOW_REDIS_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(2_000),
  // The server waits at most this long at start for Redis (limits and cache invalidation) before it
  // listens; a Redis that is down does not keep the server from starting (it is reported and retried).
  TOKENFLOW_REDIS_STARTUP_WAIT_MS: z.coerce.number().int().min(0).default(5_000),
  // The number of instances the operator runs. While Redis is unavailable each instance enforces
  // limit/N in memory, with N the larger of this and the live instances last seen in Redis.
  TOKENFLOW_INSTANCES: z.preprocess((v) => (v === "" ? undefined : v), z.coerce.number().int().positive().optional()),
  // Each instance announces itself in Redis this often; it counts as live for three periods.
  TOKENFLOW_INSTANCE_HEARTBEAT_MS: z.coerce.number().int().positive().default(5_000),
});

export type RateLimitConfig = z.infer<typeof schema>;

let cached: RateLimitConfig | undefined;

export function rateLimitConfig(): RateLimitConfig {
  return (cached ??= schema.parse(process.env));
}

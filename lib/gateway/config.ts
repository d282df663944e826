import { z } from "zod";

// Gateway tunables, from the environment once per process (documented in .env.example). Billing's
// own (hold lifetime, sweeps) are in lib/billing/config.ts.
const schema = z.object({
  TOKENFLOW_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(20 * 1024 * 1024),
  // Shape limits of a /v1 body, checked before anything recursive touches it (read-body.ts, chat-request.ts).
  TOKENFLOW_MAX_JSON_DEPTH: z.coerce.number().int().min(2).max(1_000).default(32),
  TOKENFLOW_MAX_MESSAGES: z.coerce.number().int().positive().default(10_000),
  TOKENFLOW_MAX_TOOLS: z.coerce.number().int().positive().default(512),
  // Bodies larger than this are decoded, parsed and validated on a worker thread (body-worker-pool.ts).
  TOKENFLOW_BODY_WORKER_THRESHOLD_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(256 * 1024),
  TOKENFLOW_BODY_WORKERS: z.coerce.number().int().min(1).max(16).default(2),
  TOKENFLOW_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  TOKENFLOW_FIRST_BYTE_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  TOKENFLOW_IDLE_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  // Non-streaming answers arrive whole, after the full generation: at least the OpenAI SDK's own
  // 10-minute timeout, so long generations are served.
  TOKENFLOW_REQUEST_DEADLINE_MS: z.coerce.number().int().positive().default(600_000),
  TOKENFLOW_MAX_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
  TOKENFLOW_BREAKER_THRESHOLD: z.coerce.number().int().positive().default(5),
  TOKENFLOW_BREAKER_COOLDOWN_MS: z.coerce.number().int().positive().default(30_000),
  TOKENFLOW_BREAKER_AUTH_THRESHOLD: z.coerce.number().int().positive().default(3),
  TOKENFLOW_BREAKER_AUTH_COOLDOWN_MS: z.coerce.number().int().positive().default(300_000),
  TOKENFLOW_CACHE_TTL_MS: z.coerce.number().int().min(0).default(2_000),
  TOKENFLOW_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
});

export type GatewayConfig = z.infer<typeof schema>;

let cached: GatewayConfig | undefined;

export function gatewayConfig(): GatewayConfig {
  cached ??= schema.parse(process.env);
  return cached;
}

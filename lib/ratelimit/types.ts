// Public contract of the rate limiting library (re-exported by ./index.ts).

export interface LimitCheck {
  key: string; // e.g. "key:<apiKeyId>:rpm", "org:<orgId>:rpm", "key:<id>:tpm"
  limit: number; // units allowed per window
  windowMs: number; // 60_000 for per-minute limits
  cost: number; // units this request consumes (1 for requests, N tokens for TPM)
}

export interface LimitDecision {
  allowed: boolean;
  /**
   * The first check that refused, for the error message/headers. `retryAfterMs` is the exact wait
   * until this request's cost fits; it is `Infinity` when it never will (cost > limit, or limit 0):
   * answer "request too large for this limit" instead of "try again in …".
   */
  refused?: { key: string; limit: number; remaining: number; retryAfterMs: number; resetMs: number };
  /**
   * Per check, for x-ratelimit-* headers: limit, remaining after this request (after nothing, when
   * refused), and resetMs = ms until the limit is fully replenished (OpenAI's x-ratelimit-reset-*).
   */
  states: Array<{ key: string; limit: number; remaining: number; resetMs: number }>;
}

export interface ConcurrencyLease {
  release(): Promise<void>;
}

export interface RateLimiter {
  /** All-or-nothing: consumes from every check only if all allow (a refused request consumes nothing). */
  consume(checks: LimitCheck[]): Promise<LimitDecision>;
  /** A concurrency slot (max simultaneous requests/streams); null when all `limit` slots are taken. ttlMs bounds a slot lost by a crashed instance. */
  acquire(key: string, limit: number, ttlMs: number): Promise<ConcurrencyLease | null>;
  /** Gives back units consumed by a request that was refused later (e.g. 402), best effort. */
  refund?(checks: LimitCheck[]): Promise<void>;
}

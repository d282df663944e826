import { getRateLimiter, type LimitCheck, type LimitDecision } from "@/lib/ratelimit";
import type { KeyContext } from "./auth";
import { billingConfig } from "@/lib/billing/config";
import { GatewayError, rateLimitExceeded } from "./errors";

// Per-key requests/min, tokens/min and concurrent requests, and per-organization requests/min
// (DESIGN §6), checked before any money is held. Shared across instances through Redis when
// REDIS_URL is set; the limiter falls back to this instance's memory when Redis fails.

const MINUTE_MS = 60_000;

export interface LimitGrant {
  /** OpenAI's x-ratelimit-* headers for the limits this request counted against. */
  headers: Record<string, string>;
  /**
   * Counts the request's tokens against the key's tokens-per-minute limit, once its body is known.
   * `estimateTokens` is only called when the key has such a limit. On refusal the request units are
   * given back and the concurrency slot freed, and a 429 (or 400 for a request larger than the
   * whole limit) is thrown.
   */
  consumeTokens(estimateTokens: () => number): Promise<void>;
  /** Frees the concurrency slot; call once when the request is over. */
  release(): Promise<void>;
  /** Gives back the rate units of a request refused later (e.g. 402). */
  refund(): Promise<void>;
}

const NOTHING: LimitGrant = {
  headers: {},
  consumeTokens: async () => undefined,
  release: async () => undefined,
  refund: async () => undefined,
};

/**
 * The limits that need no body: requests per minute (key, organization) and concurrent requests.
 * Checked before the body is read, so a refused request costs no parse. Tokens per minute follow
 * through `consumeTokens`.
 */
export async function enforceLimits(key: KeyContext): Promise<LimitGrant> {
  const checks: LimitCheck[] = [];
  if (key.rpmLimit) checks.push({ key: `key:${key.apiKeyId}:rpm`, limit: key.rpmLimit, windowMs: MINUTE_MS, cost: 1 });
  if (key.orgRpmLimit)
    checks.push({ key: `org:${key.organizationId}:rpm`, limit: key.orgRpmLimit, windowMs: MINUTE_MS, cost: 1 });
  if (checks.length === 0 && !key.maxConcurrency && !key.tpmLimit) return NOTHING;

  const limiter = getRateLimiter();
  let states: LimitDecision["states"] = [];
  if (checks.length > 0) {
    const decision = await limiter.consume(checks);
    if (!decision.allowed) throw refusal(decision, checks);
    states = decision.states;
  }
  const consumed = [...checks];
  const refund = async () => {
    if (consumed.length > 0) await limiter.refund?.(consumed).catch(() => undefined);
  };

  // A slot lost by a crashed instance frees itself once no request could still be running.
  const lease = key.maxConcurrency
    ? await limiter.acquire(
        `key:${key.apiKeyId}:concurrency`,
        key.maxConcurrency,
        billingConfig().TOKENFLOW_HOLD_TTL_MS,
      )
    : null;
  if (key.maxConcurrency && !lease) {
    await refund();
    throw rateLimitExceeded(1000, {
      reason: `Too many concurrent requests for this API key (limit ${key.maxConcurrency}).`,
    });
  }
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await lease?.release().catch(() => undefined);
  };

  const grant: LimitGrant = {
    headers: rateLimitHeaders(states),
    refund,
    release,
    async consumeTokens(estimateTokens) {
      if (!key.tpmLimit) return;
      const tokens: LimitCheck = {
        key: `key:${key.apiKeyId}:tpm`,
        limit: key.tpmLimit,
        windowMs: MINUTE_MS,
        cost: estimateTokens(),
      };
      const decision = await limiter.consume([tokens]);
      if (!decision.allowed) {
        await refund();
        await release();
        throw refusal({ ...decision, states: [...states, ...decision.states] }, [tokens]);
      }
      consumed.push(tokens);
      states = [...states, ...decision.states];
      grant.headers = rateLimitHeaders(states);
    },
  };
  return grant;
}

function refusal(decision: LimitDecision, checks: LimitCheck[]): GatewayError {
  const refused = decision.refused!;
  const isTokens = refused.key.endsWith(":tpm");
  if (!Number.isFinite(refused.retryAfterMs)) {
    const check = checks.find((c) => c.key === refused.key)!;
    return new GatewayError(
      "invalid_request",
      `This request needs about ${check.cost} tokens, more than this API key's limit of ${refused.limit} tokens per minute.`,
    );
  }
  const headers = rateLimitHeaders(decision.states, refused.key);
  const scope = refused.key.startsWith("org:") ? "organization" : "API key";
  return rateLimitExceeded(refused.retryAfterMs, {
    limitType: isTokens ? "tokens" : "requests",
    headers,
    reason: `Rate limit exceeded for this ${scope}: ${refused.limit} ${isTokens ? "tokens" : "requests"} per minute.`,
  });
}

/**
 * OpenAI's x-ratelimit-{limit,remaining,reset}-{requests,tokens}: per kind, the refused limit if any,
 * else the one closest to running out (the key's or the organization's requests per minute).
 */
export function rateLimitHeaders(states: LimitDecision["states"], refusedKey?: string): Record<string, string> {
  const chosen = new Map<string, LimitDecision["states"][number]>();
  for (const state of states) {
    const kind = state.key.endsWith(":tpm") ? "tokens" : "requests";
    const current = chosen.get(kind);
    const isRefused = state.key === refusedKey;
    if (!current || isRefused || (current.key !== refusedKey && state.remaining < current.remaining))
      chosen.set(kind, state);
  }
  const headers: Record<string, string> = {};
  for (const [kind, state] of chosen) {
    headers[`x-ratelimit-limit-${kind}`] = String(state.limit);
    headers[`x-ratelimit-remaining-${kind}`] = String(Math.max(0, Math.floor(state.remaining)));
    headers[`x-ratelimit-reset-${kind}`] = `${(state.resetMs / 1000).toFixed(3)}s`;
  }
  return headers;
}

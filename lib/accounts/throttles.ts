import { createHash } from "node:crypto";
import { throttleAddress } from "@/lib/auth/sign-in";
import { getRateLimiter, type LimitCheck } from "@/lib/ratelimit";

// Per-address budgets for the account pages that create things or send email. The address comes
// from clientIpForThrottling (trusted proxy header, else the socket address, else one shared
// "unknown" bucket); IPv6 counts per /64. Shared between instances through Redis when configured.

const HOUR_MS = 3_600_000;

/** Sign-ups per address per hour: TOKENFLOW_SIGNUP_LIMIT_PER_HOUR, default 10. */
export function signupLimitPerHour(): number {
  const configured = Number(process.env.TOKENFLOW_SIGNUP_LIMIT_PER_HOUR);
  return Number.isInteger(configured) && configured > 0 ? configured : 10;
}

export function signupThrottleChecks(clientIp: string): LimitCheck[] {
  return [{ key: `signup:addr:${throttleAddress(clientIp)}`, limit: signupLimitPerHour(), windowMs: HOUR_MS, cost: 1 }];
}

// Reset emails: per address (someone probing many accounts) and per account (someone filling a
// victim's inbox). The per-account budget only delays further reset mails, it never blocks sign-in.
export const PASSWORD_RESET_LIMITS = {
  perAddress: { limit: 20, windowMs: HOUR_MS },
  perAccount: { limit: 5, windowMs: HOUR_MS },
};

export function passwordResetThrottleChecks(email: string, clientIp: string): LimitCheck[] {
  const account = createHash("sha256").update(email).digest("hex").slice(0, 32); // no emails in Redis keys
  return [
    { key: `reset:addr:${throttleAddress(clientIp)}`, cost: 1, ...PASSWORD_RESET_LIMITS.perAddress },
    { key: `reset:acct:${account}`, cost: 1, ...PASSWORD_RESET_LIMITS.perAccount },
  ];
}

/** Consumes the checks; false when any refused. */
export async function takeFromBudget(checks: LimitCheck[]): Promise<boolean> {
  const decision = await getRateLimiter().consume(checks);
  return decision.allowed;
}

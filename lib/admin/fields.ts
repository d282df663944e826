import { z } from "zod";
import { nanosToUsd, usdToNanos } from "@/lib/billing/money";

// zod pieces shared by the management API's request schemas. Money arrives as a USD decimal string
// (or a JSON number) and leaves as nano-USD bigint; it never passes through a float computation.

type UsdSign = "positive" | "non_negative" | "non_zero";

const SIGN_MESSAGES: Record<UsdSign, string> = {
  positive: "must be greater than zero",
  non_negative: "must not be negative",
  non_zero: "must not be zero",
};

/** A USD amount ("12.50", "-3", 0.14) as nano-USD; at most 9 decimals and 12 integer digits. */
export function usdAmount(sign: UsdSign) {
  return z.union([z.string(), z.number()], { error: 'must be a USD amount, e.g. "12.50"' }).transform((value, ctx) => {
    let nanos: bigint;
    try {
      nanos = usdToNanos(value);
    } catch {
      ctx.addIssue({ code: "custom", message: 'must be a USD amount with at most 9 decimals, e.g. "12.50"' });
      return z.NEVER;
    }
    const ok = sign === "positive" ? nanos > 0n : sign === "non_negative" ? nanos >= 0n : nanos !== 0n;
    if (!ok) {
      ctx.addIssue({ code: "custom", message: SIGN_MESSAGES[sign] });
      return z.NEVER;
    }
    return nanos;
  });
}

/** A price in USD per 1M tokens as nano-USD per 1M tokens. */
export const priceUsd = usdAmount("non_negative");

export function usdOrNull(nanos: bigint | null): string | null {
  return nanos === null ? null : nanosToUsd(nanos);
}

/** Trimmed, non-empty text of bounded length. */
export function text(max: number) {
  return z.string().trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);
}

const INT32_MAX = 2_147_483_647;

export const positiveInt = z.int("must be an integer").min(1, "must be at least 1").max(INT32_MAX);

/** An ISO 8601 date-time with a zone ("2030-01-01T00:00:00Z") that lies in the future. */
export const futureDate = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. "2030-01-01T00:00:00Z"' })
  .transform((value, ctx) => {
    const date = new Date(value);
    if (date.getTime() <= Date.now()) {
      ctx.addIssue({ code: "custom", message: "must be in the future" });
      return z.NEVER;
    }
    return date;
  });

/** Pagination: `?limit=` (1..100, default 50) and an opaque `?cursor=` from the previous page. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(200).optional(),
};

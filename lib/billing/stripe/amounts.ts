import { z } from "zod";
import { formatUsd } from "@/lib/format";

// Stripe counts USD in cents (integers); we count nano-USD. 1 cent = 10,000,000 nanos, so every
// Stripe amount converts exactly, and a top-up amount must be whole cents.

export const NANOS_PER_CENT = 10_000_000n;

export function centsToNanos(cents: number): bigint {
  if (!Number.isSafeInteger(cents) || cents < 0) throw new RangeError(`Invalid amount in cents: ${cents}`);
  return BigInt(cents) * NANOS_PER_CENT;
}

/** Exact cents of a whole-cent nano amount; throws on fractions of a cent. */
export function nanosToCents(nanos: bigint): number {
  if (nanos < 0n || nanos % NANOS_PER_CENT !== 0n) throw new RangeError("Not a whole number of cents");
  return Number(nanos / NANOS_PER_CENT);
}

const USD_CENTS_PATTERN = /^\d{1,7}(\.\d{1,2})?$/;

/** "10", "10.5", "10.50" → nanos; anything else (negative, more than 2 decimals, text) → null. */
export function parseUsdCents(text: string): bigint | null {
  const value = text.trim().replace(/^\$/, "");
  if (!USD_CENTS_PATTERN.test(value)) return null;
  const [whole, fraction = ""] = value.split(".");
  return (BigInt(whole) * 100n + BigInt(fraction.padEnd(2, "0"))) * NANOS_PER_CENT;
}

export interface TopUpLimits {
  minNanos: bigint;
  maxNanos: bigint;
}

/** A USD amount field ("10.00") that must be whole cents within the limits; outputs nanos. */
export function usdAmountSchema(limits: TopUpLimits) {
  return z
    .string()
    .max(20)
    .transform((text, ctx) => {
      const nanos = parseUsdCents(text);
      if (nanos === null) {
        ctx.addIssue({ code: "custom", message: 'must be a USD amount with at most 2 decimals, e.g. "10.00"' });
        return z.NEVER;
      }
      if (nanos < limits.minNanos || nanos > limits.maxNanos) {
        ctx.addIssue({
          code: "custom",
          message: `must be between ${formatUsd(limits.minNanos)} and ${formatUsd(limits.maxNanos)}`,
        });
        return z.NEVER;
      }
      return nanos;
    });
}

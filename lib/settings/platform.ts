import { usdToNanos } from "../billing/money";
import type { Pool, PoolClient } from "pg";
import { getPool } from "../db/pool";
import { logger } from "@/lib/log";

const log = logger("settings");

// Platform settings an operator changes at run time (the Setting table, key → JSON value), with the
// defaults a fresh install runs on. Read per use (a handful of rows by primary key): a change made
// in the admin console applies on every instance at once, with no cache to invalidate.

export const SETTING_KEYS = {
  signupOpen: "signup.open",
  signupEmailVerification: "signup.emailVerification",
  signupCreditUsd: "signup.creditUsd",
  topUpMinUsd: "billing.topUpMinUsd",
  topUpMaxUsd: "billing.topUpMaxUsd",
  lowBalanceThresholdUsd: "billing.lowBalanceThresholdUsd",
} as const;

export interface PlatformSettings {
  /** Whether anyone may create an account at /signup (invitations still need an account). */
  signupOpen: boolean;
  /** Whether a new account must confirm its email address before it can sign in. */
  signupEmailVerification: boolean;
  /** Credit granted to a new account's personal organization (the seed grants the admin the same). */
  signupCreditNanos: bigint;
  /** The smallest and largest Stripe top-up (and auto top-up) an organization may buy. */
  topUpMinNanos: bigint;
  topUpMaxNanos: bigint;
  /** The low-balance alert threshold a new organization starts with (null: no alert until its owner sets one). */
  defaultLowBalanceThresholdNanos: bigint | null;
}

export const DEFAULT_SIGNUP_CREDIT_USD = "5.00";

export const DEFAULT_PLATFORM_SETTINGS: Readonly<PlatformSettings> = {
  signupOpen: true,
  signupEmailVerification: false,
  signupCreditNanos: usdToNanos(DEFAULT_SIGNUP_CREDIT_USD),
  topUpMinNanos: usdToNanos("5"),
  topUpMaxNanos: usdToNanos("1000"),
  defaultLowBalanceThresholdNanos: null,
};

// Stripe's own ceiling for one USD Checkout payment is $999,999.99.
export const MAX_TOP_UP_NANOS = usdToNanos("999999.99");

// A credit of more than this per sign-up is surely a typo (e.g. nanos typed as dollars).
export const MAX_SIGNUP_CREDIT_NANOS = usdToNanos("10000");

// A default alert threshold above this is surely a typo too.
export const MAX_LOW_BALANCE_THRESHOLD_NANOS = usdToNanos("1000000");

/** Settings from stored rows; a missing or malformed value falls back to its default (and says so). */
export function parsePlatformSettings(rows: ReadonlyArray<{ key: string; value: unknown }>): PlatformSettings {
  const stored = new Map(rows.map((row) => [row.key, row.value]));
  const settings = { ...DEFAULT_PLATFORM_SETTINGS };
  const flag = (key: string, fallback: boolean) => {
    const value = stored.get(key);
    if (value === undefined) return fallback;
    if (typeof value === "boolean") return value;
    log.warn({ setting: key, using: fallback }, "a setting is not true/false; using the default");
    return fallback;
  };
  settings.signupOpen = flag(SETTING_KEYS.signupOpen, settings.signupOpen);
  settings.signupEmailVerification = flag(SETTING_KEYS.signupEmailVerification, settings.signupEmailVerification);
  const credit = stored.get(SETTING_KEYS.signupCreditUsd);
  if (credit !== undefined) {
    try {
      if (typeof credit !== "string" && typeof credit !== "number") throw new RangeError("not a USD amount");
      const nanos = usdToNanos(credit);
      if (nanos < 0n || nanos > MAX_SIGNUP_CREDIT_NANOS) throw new RangeError("out of range");
      settings.signupCreditNanos = nanos;
    } catch {
      log.warn(
        { setting: SETTING_KEYS.signupCreditUsd },
        "a setting is not a USD amount from 0 to 10000; using the default",
      );
    }
  }
  const usdSetting = (key: string, fallback: bigint) => {
    const value = stored.get(key);
    if (value === undefined) return fallback;
    try {
      if (typeof value !== "string" && typeof value !== "number") throw new RangeError("not a USD amount");
      const nanos = usdToNanos(value);
      if (nanos <= 0n || nanos > MAX_TOP_UP_NANOS || nanos % 10_000_000n !== 0n) throw new RangeError("out of range");
      return nanos;
    } catch {
      log.warn({ setting: key }, "a setting is not a whole-cent USD amount from 0.01 to 999999.99; using the default");
      return fallback;
    }
  };
  settings.topUpMinNanos = usdSetting(SETTING_KEYS.topUpMinUsd, settings.topUpMinNanos);
  settings.topUpMaxNanos = usdSetting(SETTING_KEYS.topUpMaxUsd, settings.topUpMaxNanos);
  if (settings.topUpMinNanos > settings.topUpMaxNanos) {
    log.warn("the top-up minimum is above the maximum; using the defaults for both");
    settings.topUpMinNanos = DEFAULT_PLATFORM_SETTINGS.topUpMinNanos;
    settings.topUpMaxNanos = DEFAULT_PLATFORM_SETTINGS.topUpMaxNanos;
  }
  const threshold = stored.get(SETTING_KEYS.lowBalanceThresholdUsd);
  if (threshold !== undefined && threshold !== null) {
    try {
      if (typeof threshold !== "string" && typeof threshold !== "number") throw new RangeError("not a USD amount");
      const nanos = usdToNanos(threshold);
      if (nanos <= 0n || nanos > MAX_LOW_BALANCE_THRESHOLD_NANOS) throw new RangeError("out of range");
      settings.defaultLowBalanceThresholdNanos = nanos;
    } catch {
      log.warn(
        { setting: SETTING_KEYS.lowBalanceThresholdUsd },
        "a setting is not a USD amount above 0; using no default",
      );
    }
  }
  return settings;
}

export async function getPlatformSettings(db: Pool | PoolClient = getPool()): Promise<PlatformSettings> {
  const { rows } = await db.query<{ key: string; value: unknown }>(
    `SELECT key, value FROM "Setting" WHERE key = ANY($1::text[])`,
    [Object.values(SETTING_KEYS)],
  );
  return parsePlatformSettings(rows);
}

/** Stores one setting (admin console, tests). */
export async function setPlatformSetting(
  key: string,
  value: unknown,
  db: Pool | PoolClient = getPool(),
): Promise<void> {
  await db.query(
    `INSERT INTO "Setting" (key, value, "updatedAt") VALUES ($1, $2::jsonb, CURRENT_TIMESTAMP)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, "updatedAt" = CURRENT_TIMESTAMP`,
    [key, JSON.stringify(value)],
  );
}

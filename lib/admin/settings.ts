import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { nanosToUsd } from "@/lib/billing/money";
import { withTransaction } from "@/lib/db/pool";
import {
  getPlatformSettings,
  MAX_LOW_BALANCE_THRESHOLD_NANOS,
  MAX_SIGNUP_CREDIT_NANOS,
  MAX_TOP_UP_NANOS,
  type PlatformSettings,
  SETTING_KEYS,
  setPlatformSetting,
} from "@/lib/settings/platform";
import { recordAudit } from "./audit";
import type { AdminActor } from "./auth";
import { usdAmount } from "./fields";

// The platform settings over the management API (GET/PUT /api/admin/settings) and the console:
// sign-up, starting credit, top-up limits and the default low-balance alert. A PUT changes the
// fields it names; the result is validated as a whole (minimum ≤ maximum) and audited before/after.

export interface PlatformSettingsJson {
  signupOpen: boolean;
  signupEmailVerification: boolean;
  signupCreditUsd: string;
  topUpMinUsd: string;
  topUpMaxUsd: string;
  /** The low-balance alert threshold a new organization starts with; null: none. */
  defaultLowBalanceThresholdUsd: string | null;
}

// Stripe charges in cents: a limit with a fraction of a cent could never be paid exactly.
const wholeCentsUsd = usdAmount("positive", MAX_TOP_UP_NANOS).refine(
  (nanos) => nanos % 10_000_000n === 0n,
  'must be a whole number of cents, e.g. "5.00"',
);

export const updatePlatformSettingsSchema = z
  .strictObject({
    signupOpen: z.boolean({ error: "must be true or false" }).optional(),
    signupEmailVerification: z.boolean({ error: "must be true or false" }).optional(),
    signupCreditUsd: usdAmount("non_negative", MAX_SIGNUP_CREDIT_NANOS).optional(),
    topUpMinUsd: wholeCentsUsd.optional(),
    topUpMaxUsd: wholeCentsUsd.optional(),
    defaultLowBalanceThresholdUsd: usdAmount("positive", MAX_LOW_BALANCE_THRESHOLD_NANOS).nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: "name at least one setting to change" });
export type UpdatePlatformSettingsInput = z.output<typeof updatePlatformSettingsSchema>;

export function toPlatformSettingsJson(settings: PlatformSettings): PlatformSettingsJson {
  return {
    signupOpen: settings.signupOpen,
    signupEmailVerification: settings.signupEmailVerification,
    signupCreditUsd: nanosToUsd(settings.signupCreditNanos),
    topUpMinUsd: nanosToUsd(settings.topUpMinNanos),
    topUpMaxUsd: nanosToUsd(settings.topUpMaxNanos),
    defaultLowBalanceThresholdUsd:
      settings.defaultLowBalanceThresholdNanos === null ? null : nanosToUsd(settings.defaultLowBalanceThresholdNanos),
  };
}

export async function readPlatformSettings(): Promise<PlatformSettingsJson> {
  return toPlatformSettingsJson(await getPlatformSettings());
}

export async function updatePlatformSettings(
  input: UpdatePlatformSettingsInput,
  actor: AdminActor,
): Promise<PlatformSettingsJson> {
  const { before, after } = await withTransaction(async (client) => {
    // One writer at a time, so two PUTs cannot together leave the minimum above the maximum.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('tokenflow:platform-settings'))`);
    const current = await getPlatformSettings(client);
    const minNanos = input.topUpMinUsd ?? current.topUpMinNanos;
    const maxNanos = input.topUpMaxUsd ?? current.topUpMaxNanos;
    if (minNanos > maxNanos) {
      const field = input.topUpMinUsd !== undefined ? "topUpMinUsd" : "topUpMaxUsd";
      throw new ApiError(
        "validation_error",
        `${field}: the top-up minimum (${nanosToUsd(minNanos)} USD) must not be above the maximum (${nanosToUsd(maxNanos)} USD)`,
        { field },
      );
    }
    const writes: Array<[string, unknown]> = [];
    if (input.signupOpen !== undefined) writes.push([SETTING_KEYS.signupOpen, input.signupOpen]);
    if (input.signupEmailVerification !== undefined)
      writes.push([SETTING_KEYS.signupEmailVerification, input.signupEmailVerification]);
    if (input.signupCreditUsd !== undefined)
      writes.push([SETTING_KEYS.signupCreditUsd, nanosToUsd(input.signupCreditUsd)]);
    if (input.topUpMinUsd !== undefined) writes.push([SETTING_KEYS.topUpMinUsd, nanosToUsd(input.topUpMinUsd)]);
    if (input.topUpMaxUsd !== undefined) writes.push([SETTING_KEYS.topUpMaxUsd, nanosToUsd(input.topUpMaxUsd)]);
    if (input.defaultLowBalanceThresholdUsd !== undefined)
      writes.push([
        SETTING_KEYS.lowBalanceThresholdUsd,
        input.defaultLowBalanceThresholdUsd === null ? null : nanosToUsd(input.defaultLowBalanceThresholdUsd),
      ]);
    for (const [key, value] of writes) await setPlatformSetting(key, value, client);
    return {
      before: toPlatformSettingsJson(current),
      after: toPlatformSettingsJson(await getPlatformSettings(client)),
    };
  });
  const changed = (Object.keys(after) as Array<keyof PlatformSettingsJson>).filter((k) => before[k] !== after[k]);
  if (changed.length) {
    await recordAudit(actor, {
      action: "settings.update",
      targetType: "PlatformSettings",
      targetId: null,
      data: { fields: changed },
      before: pick(before, changed),
      after: pick(after, changed),
    });
  }
  return after;
}

function pick(settings: PlatformSettingsJson, keys: Array<keyof PlatformSettingsJson>): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, settings[key]]));
}

import { z } from "zod";
import {
  INT32_MAX,
  intInRange,
  MAX_CONCURRENCY_LIMIT,
  MAX_CREDIT_NANOS,
  MAX_RPM_LIMIT,
  MAX_TPM_LIMIT,
  modelRef,
  text,
  usdAmount,
} from "@/lib/admin/fields";

// The inputs of the tenant key operations (lib/keys/manage.ts), in two layers:
// - the domain schemas take typed values (Date, bigint nanos) and are what createApiKey and
//   updateApiKeyLimits validate, whoever calls them (dashboard, management API);
// - the form schema turns the dashboard's form strings into those values: empty = no limit,
//   USD parsed exactly to nano-USD, a date to the end of that UTC day.

export const SPEND_PERIODS = ["TOTAL", "DAILY", "WEEKLY", "MONTHLY"] as const;
export type SpendPeriod = (typeof SPEND_PERIODS)[number];

export const MAX_ALLOWED_MODELS = 500;
export const MAX_ALLOWED_IPS = 100;
export const MAX_KEY_NAME = 100;

const dedupe = <T>(items: T[]): T[] => [...new Set(items)];

const limitFields = {
  allowedModels: z.array(modelRef).max(MAX_ALLOWED_MODELS, "must list at most 500 models").transform(dedupe),
  // Already normalised by the caller (lib/admin/api-keys.ts parses IPs and CIDR ranges).
  allowedIps: z.array(z.string().min(1).max(100)).max(MAX_ALLOWED_IPS, "must list at most 100 addresses"),
  expiresAt: z.date().nullable(),
  rpmLimit: intInRange(1, MAX_RPM_LIMIT).nullable(),
  tpmLimit: intInRange(1, MAX_TPM_LIMIT).nullable(),
  maxConcurrency: intInRange(1, MAX_CONCURRENCY_LIMIT).nullable(),
  spendLimitNanos: z
    .bigint()
    .min(0n, "must not be negative")
    .max(MAX_CREDIT_NANOS, "must be at most 1000000000 USD")
    .nullable(),
  spendLimitPeriod: z.enum(SPEND_PERIODS),
};

/** A new key: a name; every limit optional (absent = none, spend cap counted over all time). */
export const createApiKeyInputSchema = z
  .strictObject({
    name: text(MAX_KEY_NAME),
    allowedModels: limitFields.allowedModels.default([]),
    allowedIps: limitFields.allowedIps.default([]),
    expiresAt: limitFields.expiresAt.default(null),
    rpmLimit: limitFields.rpmLimit.default(null),
    tpmLimit: limitFields.tpmLimit.default(null),
    maxConcurrency: limitFields.maxConcurrency.default(null),
    spendLimitNanos: limitFields.spendLimitNanos.default(null),
    spendLimitPeriod: limitFields.spendLimitPeriod.default("TOTAL"),
  })
  .refine((input) => input.expiresAt === null || input.expiresAt.getTime() > Date.now(), {
    message: "must be in the future",
    path: ["expiresAt"],
  });
export type CreateApiKeyInput = z.input<typeof createApiKeyInputSchema>;

/** A change of name and limits: fields left out stay as they are; null lifts a limit. */
export const updateApiKeyLimitsInputSchema = z.strictObject({
  name: text(MAX_KEY_NAME).optional(),
  allowedModels: limitFields.allowedModels.optional(),
  allowedIps: limitFields.allowedIps.optional(),
  expiresAt: limitFields.expiresAt.optional(),
  rpmLimit: limitFields.rpmLimit.optional(),
  tpmLimit: limitFields.tpmLimit.optional(),
  maxConcurrency: limitFields.maxConcurrency.optional(),
  spendLimitNanos: limitFields.spendLimitNanos.optional(),
  spendLimitPeriod: limitFields.spendLimitPeriod.optional(),
});
export type UpdateApiKeyLimitsInput = z.input<typeof updateApiKeyLimitsInputSchema>;

// ---------- the dashboard form ----------

const blankToNull = (value: unknown) => (typeof value === "string" && value.trim() === "" ? null : value);

/** "60" → 60; "" → null. Digits only: no signs, decimals, exponents or blanks inside. */
function optionalPositiveInt(max: number) {
  const message = `must be a whole number from 1 to ${max.toLocaleString("en-US")}`;
  return z.preprocess(
    blankToNull,
    z
      .string()
      .trim()
      .regex(/^\d{1,10}$/, message)
      .transform(Number)
      .pipe(z.int().min(1, message).max(Math.min(max, INT32_MAX), message))
      .nullable(),
  );
}

/** "2030-01-31" → the end of that day in UTC (the key works through the whole date); "" → null. */
const optionalDate = z.preprocess(
  blankToNull,
  z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date, e.g. 2030-01-31")
    .transform((value, ctx) => {
      const start = new Date(`${value}T00:00:00.000Z`);
      if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== value) {
        ctx.addIssue({ code: "custom", message: "must be a real date, e.g. 2030-01-31" });
        return z.NEVER;
      }
      return new Date(start.getTime() + 86_400_000);
    })
    .nullable(),
);

/** "25", "0.50" → nano-USD, exactly (no float); "" → null. */
const optionalSpendCap = z.preprocess(blankToNull, usdAmount("positive", MAX_CREDIT_NANOS).nullable());

/** The create and edit forms' fields, as FormData strings, to domain values. */
export const apiKeyFormSchema = z.object({
  name: text(MAX_KEY_NAME),
  allowedModels: z.array(modelRef).max(MAX_ALLOWED_MODELS, "must list at most 500 models").transform(dedupe),
  expiresOn: optionalDate,
  rpmLimit: optionalPositiveInt(MAX_RPM_LIMIT),
  tpmLimit: optionalPositiveInt(MAX_TPM_LIMIT),
  maxConcurrency: optionalPositiveInt(MAX_CONCURRENCY_LIMIT),
  spendLimitUsd: optionalSpendCap,
  spendLimitPeriod: z.enum(SPEND_PERIODS, { error: "must be total, daily, weekly or monthly" }).default("TOTAL"),
});

export type ApiKeyFormValues = z.output<typeof apiKeyFormSchema>;
export type ApiKeyFormErrors = Partial<Record<keyof z.input<typeof apiKeyFormSchema>, string>>;

export type ParsedApiKeyForm = { ok: true; values: ApiKeyFormValues } | { ok: false; errors: ApiKeyFormErrors };

/** Reads the form (models as repeated `allowedModels` checkboxes) and reports the first error per field. */
export function parseApiKeyForm(form: FormData): ParsedApiKeyForm {
  const read = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : "";
  };
  const result = apiKeyFormSchema.safeParse({
    name: read("name"),
    allowedModels: form.getAll("allowedModels").filter((v): v is string => typeof v === "string"),
    expiresOn: read("expiresOn"),
    rpmLimit: read("rpmLimit"),
    tpmLimit: read("tpmLimit"),
    maxConcurrency: read("maxConcurrency"),
    spendLimitUsd: read("spendLimitUsd"),
    spendLimitPeriod: read("spendLimitPeriod") || undefined,
  });
  if (result.success) return { ok: true, values: result.data };
  const errors: ApiKeyFormErrors = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? "name") as keyof ApiKeyFormErrors;
    errors[field] ??= `${FIELD_LABELS[field] ?? "This field"} ${issue.message}`;
  }
  return { ok: false, errors };
}

const FIELD_LABELS: Record<keyof ApiKeyFormErrors, string> = {
  name: "Name",
  allowedModels: "Models",
  expiresOn: "Expiry date",
  rpmLimit: "Requests per minute",
  tpmLimit: "Tokens per minute",
  maxConcurrency: "Concurrent requests",
  spendLimitUsd: "Spend cap",
  spendLimitPeriod: "Cap period",
};

/** Form values → the domain's limit fields (shared by create and edit). */
export function limitsFromForm(values: ApiKeyFormValues) {
  return {
    name: values.name,
    allowedModels: values.allowedModels,
    expiresAt: values.expiresOn,
    rpmLimit: values.rpmLimit,
    tpmLimit: values.tpmLimit,
    maxConcurrency: values.maxConcurrency,
    spendLimitNanos: values.spendLimitUsd,
    spendLimitPeriod: values.spendLimitPeriod,
  };
}

// Prisma's error codes the admin domain turns into API errors (https://www.prisma.io/docs/orm/reference/error-reference).

/** P2025: the record to update or delete does not exist. */
export function isRecordNotFound(err: unknown): boolean {
  return hasCode(err, "P2025");
}

/** P2002: a unique constraint failed (the row already exists). */
export function isUniqueViolation(err: unknown): boolean {
  return hasCode(err, "P2002") || hasCode(err, "23505");
}

// Postgres data exceptions a client's value can cause (https://www.postgresql.org/docs/current/errcodes-appendix.html):
// numeric_value_out_of_range, string_data_right_truncation, invalid_datetime_format,
// datetime_field_overflow, character_not_in_repertoire (a NUL byte), invalid_text_representation,
// untranslatable_character, program_limit_exceeded (e.g. an index row too big).
const DATA_ERROR_CODES = new Set(["22003", "22001", "22007", "22008", "22021", "22P02", "22P05", "54000"]);
// Prisma's wrappers of the same: value too long, value out of range, number beyond 64 bits.
const PRISMA_DATA_ERROR_CODES = new Set(["P2000", "P2020", "P2033"]);

/**
 * A value the database refused as out of range or malformed: the request's fault, so a 400, never
 * a 500. Validation should have refused it first; this is the last line of defence. Recognises raw
 * `pg` errors and Prisma's (whose driver-adapter error carries the Postgres code).
 */
export function isDataRangeError(err: unknown): boolean {
  const code = codeOf(err);
  if (code !== undefined && (DATA_ERROR_CODES.has(code) || PRISMA_DATA_ERROR_CODES.has(code))) return true;
  const meta = (err as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown } } } })
    ?.meta;
  const cause = meta?.driverAdapterError?.cause;
  const original = cause?.originalCode ?? cause?.code;
  return typeof original === "string" && DATA_ERROR_CODES.has(original);
}

function hasCode(err: unknown, code: string): boolean {
  return codeOf(err) === code;
}

function codeOf(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

// Prisma's error codes the admin domain turns into API errors (https://www.prisma.io/docs/orm/reference/error-reference).

/** P2025: the record to update or delete does not exist. */
export function isRecordNotFound(err: unknown): boolean {
  return hasCode(err, "P2025");
}

/** P2002: a unique constraint failed (the row already exists). */
export function isUniqueViolation(err: unknown): boolean {
  return hasCode(err, "P2002") || hasCode(err, "23505");
}

function hasCode(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === code;
}

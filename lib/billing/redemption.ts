import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { BalanceTooHighError, creditOrganization, MAX_BALANCE_NANOS } from "@/lib/billing/credits";
import { nanosToUsd } from "@/lib/billing/money";
import { withTransaction } from "@/lib/db/pool";

// Prepaid credit codes, the tenant's side: an organization redeems a code once, from the settings
// page (owners) or POST /api/redeem (any gateway key). Admins create them in lib/admin.
// Format: TF-XXXX-XXXX-XXXX-XXXX, 16 symbols of Crockford's base32 (no I, L, O, U), i.e. exactly
// 80 random bits. Only the sha256 of the canonical form and a partial are stored.

const CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_SYMBOLS = 16; // × 5 bits = 80 bits
export const INVALID_CODE_MESSAGE = "This code is invalid, expired or has already been used.";

/** A fresh code. `random` is injectable for tests; it must return cryptographically random bytes. */
export function generateRedemptionCode(random: (size: number) => Buffer = randomBytes): string {
  const bytes = random((CODE_SYMBOLS * 5) / 8);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let symbols = "";
  for (let i = CODE_SYMBOLS - 1; i >= 0; i--) symbols += CODE_ALPHABET[Number((bits >> BigInt(i * 5)) & 31n)];
  return formatCode(symbols);
}

/**
 * The canonical form of what a person typed: case, spaces and dashes do not matter, the "TF" prefix
 * is optional, and the look-alikes O → 0, I/L → 1 are read as Crockford intends. Null if not a code.
 */
export function normalizeRedemptionCode(input: string): string | null {
  let symbols = input.toUpperCase().replace(/[\s-]/g, "");
  if (symbols.length === CODE_SYMBOLS + 2 && symbols.startsWith("TF")) symbols = symbols.slice(2);
  if (symbols.length !== CODE_SYMBOLS) return null;
  symbols = symbols.replace(/O/g, "0").replace(/[IL]/g, "1");
  for (const symbol of symbols) if (!CODE_ALPHABET.includes(symbol)) return null;
  return formatCode(symbols);
}

export function hashRedemptionCode(canonicalCode: string): string {
  return createHash("sha256").update(canonicalCode).digest("hex");
}

/** What lists show: the last group only ("TF-****-****-****-WXYZ"). */
export function partialRedemptionCode(canonicalCode: string): string {
  return `TF-****-****-****-${canonicalCode.slice(-4)}`;
}

function formatCode(symbols: string): string {
  return `TF-${symbols.slice(0, 4)}-${symbols.slice(4, 8)}-${symbols.slice(8, 12)}-${symbols.slice(12, 16)}`;
}

export const redeemCodeSchema = z.strictObject({ code: z.string().max(100, "must be at most 100 characters") });

/**
 * Redeems a code for an organization, once: the code is claimed and the credit written in one
 * transaction. Concurrent attempts queue on the code's row lock; the loser sees redeemedAt set and
 * gets invalid_code. Unknown, used and expired codes all answer the same. `userId` is who redeemed
 * it from the dashboard (null through the API, where a key redeems).
 */
export async function redeemCode(
  organizationId: string,
  code: string,
  userId: string | null = null,
): Promise<{ balanceUsd: string; creditedUsd: string }> {
  const canonical = normalizeRedemptionCode(code);
  if (!canonical) throw new ApiError("invalid_code", INVALID_CODE_MESSAGE);

  return withTransaction(async (client) => {
    // Timestamps are stored as UTC `timestamp` (Prisma's DateTime), hence now() AT TIME ZONE 'UTC'.
    const { rows } = await client.query<{ id: string; amountNanos: bigint }>(
      `UPDATE "RedemptionCode"
          SET "redeemedAt" = (now() AT TIME ZONE 'UTC'), "redeemedByOrgId" = $2, "redeemedByUserId" = $3
        WHERE "codeHash" = $1 AND "redeemedAt" IS NULL AND "revokedAt" IS NULL
          AND ("expiresAt" IS NULL OR "expiresAt" > (now() AT TIME ZONE 'UTC'))
        RETURNING id, "amountNanos"`,
      [hashRedemptionCode(canonical), organizationId, userId],
    );
    const claimed = rows[0];
    if (!claimed) throw new ApiError("invalid_code", INVALID_CODE_MESSAGE);
    const balanceNanos = await creditOrganization(client, {
      organizationId,
      amountNanos: claimed.amountNanos,
      kind: "REDEMPTION",
      reference: claimed.id,
      note: `redemption code ${partialRedemptionCode(canonical)}`,
      actorUserId: userId ?? undefined,
    }).catch((err: unknown) => {
      // Rolled back: the code stays unused for when the balance has room.
      if (err instanceof BalanceTooHighError)
        throw new ApiError(
          "validation_error",
          `code: the balance would exceed its maximum of ${nanosToUsd(MAX_BALANCE_NANOS)} USD`,
          { field: "code" },
        );
      throw err;
    });
    return { balanceUsd: nanosToUsd(balanceNanos), creditedUsd: nanosToUsd(claimed.amountNanos) };
  });
}

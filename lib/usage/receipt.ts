import type { Queryable } from "@/lib/db/hot-path";
import { getPool } from "@/lib/db/pool";
import { ceilDiv } from "@/lib/billing/money";
import { ENTRY_COLUMNS, ENTRY_FROM, type RequestLogEntry } from "./request-log";

// One request's receipt: what was used, at which prices (as admitted), and why that model.

export interface Receipt extends RequestLogEntry {
  routeReason: string | null;
  isStream: boolean;
  attempts: number;
  holdNanos: bigint;
  inputPriceNanos: bigint;
  cachedInputPriceNanos: bigint;
  outputPriceNanos: bigint;
  cacheWriteInputTokens?: number;
  cacheWriteInputPriceNanos?: bigint;
}

export interface ReceiptLine {
  label: string;
  tokens: number;
  pricePerMillionNanos: bigint;
  /** tokens × price, in femto-USD (1e-6 nano): exact, before rounding. */
  femtoUsd: bigint;
}

/** The receipt, or null when there is none with this id in this organization (another's → null too). */
export async function getReceipt(
  organizationId: string,
  id: string,
  db: Queryable = getPool(),
): Promise<Receipt | null> {
  if (id.length > 200) return null;
  const { rows } = await db.query<Receipt>({
    text: `SELECT ${ENTRY_COLUMNS}, r."routeReason", r."isStream", r.attempts, r."holdNanos",
                  r."inputPriceNanos", r."cachedInputPriceNanos", r."outputPriceNanos",
                  r."cacheWriteInputTokens", r."cacheWriteInputPriceNanos"
             FROM ${ENTRY_FROM} WHERE r.id = $1 AND r."organizationId" = $2`,
    values: [id, organizationId],
  });
  return rows[0] ?? null;
}

/** The cost, line by line: tokens × unit price; the sum rounded up to the nano is what settlement charges. */
export function receiptLines(receipt: Receipt): { lines: ReceiptLine[]; exactFemtoUsd: bigint; computedNanos: bigint } {
  const lines: ReceiptLine[] = [
    { label: "Input tokens", tokens: receipt.inputTokens, pricePerMillionNanos: receipt.inputPriceNanos },
    {
      label: "Cached input tokens",
      tokens: receipt.cachedInputTokens,
      pricePerMillionNanos: receipt.cachedInputPriceNanos,
    },
    // Only requests that wrote to a provider's prompt cache (Anthropic) have this line.
    ...((receipt.cacheWriteInputTokens ?? 0) > 0
      ? [
          {
            label: "Cache write tokens",
            tokens: receipt.cacheWriteInputTokens ?? 0,
            pricePerMillionNanos: receipt.cacheWriteInputPriceNanos ?? receipt.inputPriceNanos,
          },
        ]
      : []),
    { label: "Output tokens", tokens: receipt.outputTokens, pricePerMillionNanos: receipt.outputPriceNanos },
  ].map((line) => ({ ...line, femtoUsd: BigInt(line.tokens) * line.pricePerMillionNanos }));
  const exactFemtoUsd = lines.reduce((sum, line) => sum + line.femtoUsd, 0n);
  return { lines, exactFemtoUsd, computedNanos: ceilDiv(exactFemtoUsd, 1_000_000n) };
}

// Money is integer nano-USD (1 USD = 1e9 nanos) everywhere. Prices are nano-USD per 1M tokens.
// Decimal USD strings exist only at the API and UI edges.

export const NANOS_PER_USD = 1_000_000_000n;
const TOKENS_PER_PRICE_UNIT = 1_000_000n;

export interface Prices {
  inputPriceNanos: bigint; // per 1M tokens
  outputPriceNanos: bigint;
  cachedInputPriceNanos: bigint; // per 1M tokens; callers pass the input price when a model has none
  cacheWriteInputPriceNanos?: bigint; // per 1M tokens written to a prompt cache; the input price when absent
}

export interface TokenCounts {
  inputTokens: number; // uncached input tokens
  cachedInputTokens: number; // read from the provider's prompt cache
  outputTokens: number;
  cacheWriteInputTokens?: number; // written to the provider's prompt cache (Anthropic); 0 when absent
}

/** ceil((input × inputPrice + cached × cachedPrice + cacheWrite × cacheWritePrice + output × outputPrice) / 1e6), in nano-USD. */
export function costNanos(tokens: TokenCounts, prices: Prices): bigint {
  const total =
    BigInt(tokens.inputTokens) * prices.inputPriceNanos +
    BigInt(tokens.cachedInputTokens) * prices.cachedInputPriceNanos +
    BigInt(tokens.cacheWriteInputTokens ?? 0) * (prices.cacheWriteInputPriceNanos ?? prices.inputPriceNanos) +
    BigInt(tokens.outputTokens) * prices.outputPriceNanos;
  return ceilDiv(total, TOKENS_PER_PRICE_UNIT);
}

export function ceilDiv(a: bigint, b: bigint): bigint {
  if (a <= 0n) return a / b; // never negative in practice; keep exact for zero
  return (a + b - 1n) / b;
}

const USD_PATTERN = /^(-)?(\d{1,12})(?:\.(\d{1,9}))?$/;

/** Parses "12.34" (up to 9 decimals, optional leading "-") to nanos; throws on anything else. */
export function usdToNanos(usd: string | number): bigint {
  const text = typeof usd === "number" ? numberToPlainString(usd) : usd.trim();
  const match = USD_PATTERN.exec(text);
  if (!match) throw new RangeError(`Invalid USD amount: ${JSON.stringify(usd)}`);
  const [, sign, whole, fraction = ""] = match;
  const nanos = BigInt(whole) * NANOS_PER_USD + BigInt(fraction.padEnd(9, "0"));
  return sign ? -nanos : nanos;
}

function numberToPlainString(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`Invalid USD amount: ${value}`);
  // toFixed(9) is exact enough for amounts typed by people (≤ 9 decimals); reject more precision.
  const fixed = value.toFixed(9).replace(/\.?0+$/, "");
  if (Number(fixed) !== value) throw new RangeError(`USD amount has more than 9 decimals: ${value}`);
  return fixed;
}

/** Formats nanos as a decimal USD string with at least 2 and at most 9 decimals: "1.50", "0.000000014". */
export function nanosToUsd(nanos: bigint): string {
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const whole = abs / NANOS_PER_USD;
  let fraction = (abs % NANOS_PER_USD).toString().padStart(9, "0").replace(/0+$/, "");
  if (fraction.length < 2) fraction = fraction.padEnd(2, "0");
  return `${negative ? "-" : ""}${whole}.${fraction}`;
}

/** Nanos as a decimal USD string with exactly 9 decimals ("0.000033210", "-1.500000000"): exact, for CSV. */
export function nanosToUsdFixed(nanos: bigint): string {
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  return `${negative ? "-" : ""}${abs / NANOS_PER_USD}.${(abs % NANOS_PER_USD).toString().padStart(9, "0")}`;
}

/** tokens × price per 1M, exact: a decimal USD string with up to 15 decimals and at least 2 ("0.00003321"). */
export function lineAmountUsd(tokens: number | bigint, pricePerMillionNanos: bigint): string {
  return femtoUsdToUsd(BigInt(tokens) * pricePerMillionNanos);
}

/** An amount in femto-USD (1e-15 USD: nanos × 1e6, what tokens × price per 1M gives) as exact decimal USD. */
export function femtoUsdToUsd(femto: bigint): string {
  const scale = NANOS_PER_USD * TOKENS_PER_PRICE_UNIT; // femto per USD
  let fraction = (femto % scale).toString().padStart(15, "0").replace(/0+$/, "");
  if (fraction.length < 2) fraction = fraction.padEnd(2, "0");
  return `${femto / scale}.${fraction}`;
}

import { ceilDiv, type Prices } from "./money";

/**
 * The hold is a true upper bound of the request's cost: every prompt token at the dearer of the
 * input prices (uncached, cached, cache write), plus the output cap (which the gateway always sends upstream) at the output price,
 * for each of the n choices' outputs.
 */
export function holdNanos(
  input: { promptTokensUpperBound: number; outputTokensCap: number; n: number },
  prices: Prices,
): bigint {
  // Any prompt token may be uncached, read from a cache or written to one (a cache write costs more).
  let inputPrice = prices.inputPriceNanos;
  if (prices.cachedInputPriceNanos > inputPrice) inputPrice = prices.cachedInputPriceNanos;
  const cacheWritePrice = prices.cacheWriteInputPriceNanos ?? 0n;
  if (cacheWritePrice > inputPrice) inputPrice = cacheWritePrice;
  const total =
    BigInt(input.promptTokensUpperBound) * inputPrice +
    BigInt(input.outputTokensCap) * BigInt(Math.max(1, input.n)) * prices.outputPriceNanos;
  return ceilDiv(total, 1_000_000n);
}

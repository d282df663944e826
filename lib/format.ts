import { nanosToUsd } from "@/lib/billing/money";

// How numbers look on the pages. Money is never shown as zero when it is not: a sub-cent amount
// gets the decimals it needs (up to nano-USD), whole amounts get two.

/** "$12.50", "$0.000142", "-$3.00", "$0.00". */
export function formatUsd(nanos: bigint): string {
  const negative = nanos < 0n;
  const text = nanosToUsd(negative ? -nanos : nanos); // exact decimal, trailing zeros trimmed to ≥ 2
  return `${negative ? "-" : ""}$${withTwoDecimals(text)}`;
}

function withTwoDecimals(decimal: string): string {
  const [whole, fraction = ""] = decimal.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${grouped}.${fraction.padEnd(2, "0")}`;
}

/** 1234567 → "1,234,567". */
export function formatCount(value: number | bigint): string {
  return value.toLocaleString("en-US");
}

/** 1234567 → "1.2M", 4300 → "4.3K", 950 → "950". */
export function formatCompact(value: number | bigint): string {
  const n = Number(value);
  if (Math.abs(n) >= 1e9) return `${(n / 1e9).toFixed(1).replace(/\.0$/, "")}B`;
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(1).replace(/\.0$/, "")}M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(1).replace(/\.0$/, "")}K`;
  return formatCount(n);
}

/** "2026-11-30 14:03 UTC". */
export function formatDateTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** "3 min ago", "2 h ago", "5 d ago", or the date. */
export function formatAgo(date: Date, now = new Date()): string {
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  if (seconds < 30 * 86_400) return `${Math.floor(seconds / 86_400)} d ago`;
  return formatDate(date);
}

import { z } from "zod";

// The filters shared by the usage page, the request log and the CSV export, read from GET query
// params (so the filter form works without JavaScript and every view has a shareable URL).
// Days are UTC calendar days, both ends inclusive; queries use [fromDay 00:00, toDay+1 00:00).

export const RANGE_PRESETS = ["7", "30", "90"] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];
export const MAX_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

export type StatusFilter = "ok" | "error";

export interface UsageFilters {
  range: RangePreset | "custom";
  fromDay: string; // YYYY-MM-DD, inclusive
  toDay: string; // YYYY-MM-DD, inclusive
  keyId: string | null;
  memberId: string | null;
  model: string | null;
  status: StatusFilter | null;
}

export type SearchParams = Record<string, string | string[] | undefined>;

const DAY = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d));
const ID = z.string().trim().min(1).max(200);

function first(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === "" ? undefined : v;
}

export function dayString(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  return dayString(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));
}

/** Parses query params into filters; anything invalid falls back to its default (never throws). */
export function parseUsageFilters(params: SearchParams, now: Date = new Date()): UsageFilters {
  const today = dayString(now);
  const wanted = first(params.range);
  const from = DAY.safeParse(first(params.from));
  const to = DAY.safeParse(first(params.to));
  let range: UsageFilters["range"] = (RANGE_PRESETS as readonly string[]).includes(wanted ?? "")
    ? (wanted as RangePreset)
    : "30";
  let fromDay = addDays(today, -(Number(range) - 1));
  let toDay = today;
  // Custom dates win when given (the form sends range=custom with them; a bare from/to works too).
  if ((wanted === "custom" || wanted === undefined) && (from.success || to.success)) {
    range = "custom";
    toDay = to.success ? to.data : today;
    fromDay = from.success ? from.data : addDays(toDay, -29);
    if (fromDay > toDay) [fromDay, toDay] = [toDay, fromDay];
    if (daysBetween(fromDay, toDay) >= MAX_RANGE_DAYS) fromDay = addDays(toDay, -(MAX_RANGE_DAYS - 1));
  }
  const status = first(params.status);
  return {
    range,
    fromDay,
    toDay,
    keyId: ID.safeParse(first(params.key)).data ?? null,
    memberId: ID.safeParse(first(params.member)).data ?? null,
    model: ID.safeParse(first(params.model)).data ?? null,
    status: status === "ok" || status === "error" ? status : null,
  };
}

function daysBetween(fromDay: string, toDay: string): number {
  return Math.round((Date.parse(`${toDay}T00:00:00Z`) - Date.parse(`${fromDay}T00:00:00Z`)) / DAY_MS);
}

/** Every day of the range, oldest first (for charts with no gaps). */
export function daysOf(filters: UsageFilters): string[] {
  const days: string[] = [];
  for (let d = filters.fromDay; d <= filters.toDay; d = addDays(d, 1)) days.push(d);
  return days;
}

/** The filters as query params (for links: pagination, export), leaving out defaults. */
export function filtersToQuery(filters: UsageFilters, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  if (filters.range === "custom") {
    q.set("range", "custom");
    q.set("from", filters.fromDay);
    q.set("to", filters.toDay);
  } else q.set("range", filters.range);
  if (filters.keyId) q.set("key", filters.keyId);
  if (filters.memberId) q.set("member", filters.memberId);
  if (filters.model) q.set("model", filters.model);
  if (filters.status) q.set("status", filters.status);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

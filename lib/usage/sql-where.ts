import type { UsageFilters } from "./filters";

// Builds the organization-scoped WHERE of request-log queries from the filters, with numbered
// parameters, so every query starts from the organization of the session and each filter only
// narrows it (a key or member id of another organization simply matches nothing).

export class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Conditions on "RequestLog" r (and nothing else) for the organization and filters. */
export function requestLogConditions(organizationId: string, filters: UsageFilters, params: SqlParams): string[] {
  const org = params.add(organizationId);
  const where = [
    `r."organizationId" = ${org}`,
    `r."createdAt" >= ${params.add(filters.fromDay)}::date`,
    `r."createdAt" < (${params.add(filters.toDay)}::date + 1)`,
  ];
  if (filters.keyId) where.push(`r."apiKeyId" = ${params.add(filters.keyId)}`);
  if (filters.memberId)
    where.push(
      `r."apiKeyId" IN (SELECT k.id FROM "ApiKey" k WHERE k."organizationId" = ${org} AND k."createdById" = ${params.add(filters.memberId)})`,
    );
  if (filters.model) {
    // The served model, or the requested one when nothing served it (as the daily rollup counts).
    const model = params.add(filters.model);
    where.push(`(r."modelRouted" = ${model} OR (r."modelRouted" IS NULL AND r."modelRequested" = ${model}))`);
  }
  if (filters.status === "ok") where.push(`r.status BETWEEN 200 AND 299`);
  if (filters.status === "error") where.push(`r.status NOT BETWEEN 200 AND 299`);
  return where;
}

/** (createdAt, id) as a TIMESTAMP(3) literal in UTC, whatever the process time zone. */
export function timestampParam(date: Date): string {
  return date.toISOString().replace("Z", "");
}

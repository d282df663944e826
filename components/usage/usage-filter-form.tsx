import Link from "next/link";
import { buttonClass } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { INPUT_CLASS } from "@/components/ui/field";
import type { FilterOptions } from "@/lib/usage/filter-options";
import type { UsageFilters } from "@/lib/usage/filters";
import { DateRangeFields } from "./date-range-fields";

// The filters as a plain GET form: it works without JavaScript, and the result is a shareable URL.
export function UsageFilterForm({
  action,
  filters,
  options,
  withStatus = false,
}: {
  action: string;
  filters: UsageFilters;
  options: FilterOptions;
  withStatus?: boolean;
}) {
  return (
    <Card className="mb-6">
      <form method="get" action={action} aria-label="Filters" className="grid gap-4 p-4 sm:p-5">
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
          <DateRangeFields range={filters.range} fromDay={filters.fromDay} toDay={filters.toDay} />
          <Select id="filter-key" name="key" label="API key" value={filters.keyId}>
            <option value="">All keys</option>
            {options.keys.map((k) => (
              <option key={k.id} value={k.id}>
                {k.name} ({k.partialKey}){k.revoked ? " — revoked" : ""}
              </option>
            ))}
          </Select>
          <Select id="filter-member" name="member" label="Member" value={filters.memberId}>
            <option value="">All members</option>
            {options.members.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
              </option>
            ))}
          </Select>
          <Select id="filter-model" name="model" label="Model" value={filters.model}>
            <option value="">All models</option>
            {withMissing(options.models, filters.model).map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </Select>
          {withStatus && (
            <Select id="filter-status" name="status" label="Status" value={filters.status}>
              <option value="">Any status</option>
              <option value="ok">Succeeded</option>
              <option value="error">Failed or refused</option>
            </Select>
          )}
        </div>
        <div className="flex flex-wrap items-center gap-3">
          <button type="submit" className={buttonClass("primary")}>
            Apply filters
          </button>
          <Link href={action} className={buttonClass("ghost")}>
            Reset filters
          </Link>
        </div>
      </form>
    </Card>
  );
}

function withMissing(models: string[], current: string | null): string[] {
  return current && !models.includes(current) ? [...models, current] : models;
}

function Select({
  id,
  name,
  label,
  value,
  children,
}: {
  id: string;
  name: string;
  label: string;
  value: string | null;
  children: React.ReactNode;
}) {
  return (
    <div className="grid content-start gap-1.5">
      <label htmlFor={id} className="text-sm font-medium text-slate-800">
        {label}
      </label>
      <select id={id} name={name} defaultValue={value ?? ""} className={INPUT_CLASS}>
        {children}
      </select>
    </div>
  );
}

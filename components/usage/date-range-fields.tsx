"use client";

import { useRef } from "react";
import { INPUT_CLASS } from "@/components/ui/field";

// The date range: a preset or custom From/To days. Without JavaScript one picks "Custom dates" and
// the days; with it, editing a day switches the preset to "Custom dates" by itself.
export function DateRangeFields({ range, fromDay, toDay }: { range: string; fromDay: string; toDay: string }) {
  const preset = useRef<HTMLSelectElement>(null);
  const toCustom = () => {
    if (preset.current) preset.current.value = "custom";
  };
  return (
    <>
      <div className="grid content-start gap-1.5">
        <label htmlFor="filter-range" className="text-sm font-medium text-slate-800">
          Date range
        </label>
        <select ref={preset} id="filter-range" name="range" defaultValue={range} className={INPUT_CLASS}>
          <option value="7">Last 7 days</option>
          <option value="30">Last 30 days</option>
          <option value="90">Last 90 days</option>
          <option value="custom">Custom dates</option>
        </select>
      </div>
      <div className="grid content-start gap-1.5">
        <label htmlFor="filter-from" className="text-sm font-medium text-slate-800">
          From (UTC)
        </label>
        <input
          id="filter-from"
          name="from"
          type="date"
          defaultValue={fromDay}
          onChange={toCustom}
          className={INPUT_CLASS}
        />
      </div>
      <div className="grid content-start gap-1.5">
        <label htmlFor="filter-to" className="text-sm font-medium text-slate-800">
          To (UTC)
        </label>
        <input id="filter-to" name="to" type="date" defaultValue={toDay} onChange={toCustom} className={INPUT_CLASS} />
      </div>
    </>
  );
}

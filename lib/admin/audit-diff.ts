// What an audit entry changed, for people: the top-level fields whose value differs between before
// and after (a create has only "after", a delete only "before"), values shown as short JSON.

export interface FieldChange {
  field: string;
  before: string | null;
  after: string | null;
}

const MAX_VALUE_CHARS = 120;

function show(value: unknown): string | null {
  if (value === undefined) return null;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

export function auditChanges(before: unknown, after: unknown): FieldChange[] {
  const a = asRecord(before);
  const b = asRecord(after);
  if (!a && !b) return [];
  const fields = [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort();
  const changes: FieldChange[] = [];
  for (const field of fields) {
    const was = a ? a[field] : undefined;
    const now = b ? b[field] : undefined;
    if (a && b && JSON.stringify(was) === JSON.stringify(now)) continue;
    changes.push({ field, before: show(was), after: show(now) });
  }
  return changes;
}

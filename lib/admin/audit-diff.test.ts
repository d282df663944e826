import { describe, expect, it } from "vitest";
import { auditChanges } from "./audit-diff";

describe("auditChanges", () => {
  it("lists only the fields that changed, in order", () => {
    expect(
      auditChanges(
        { name: "A", priority: 1, models: ["x"], same: true },
        { name: "B", priority: 1, models: ["x", "y"], same: true },
      ),
    ).toEqual([
      { field: "models", before: '["x"]', after: '["x","y"]' },
      { field: "name", before: "A", after: "B" },
    ]);
  });

  it("shows a create as fields set and a delete as fields removed", () => {
    expect(auditChanges(null, { name: "A" })).toEqual([{ field: "name", before: null, after: "A" }]);
    expect(auditChanges({ name: "A" }, null)).toEqual([{ field: "name", before: "A", after: null }]);
    expect(auditChanges(null, null)).toEqual([]);
  });

  it("shortens long values", () => {
    const [change] = auditChanges(null, { note: "x".repeat(500) });
    expect(change.after).toHaveLength(120);
    expect(change.after?.endsWith("…")).toBe(true);
  });
});

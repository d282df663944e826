import { describe, expect, it } from "vitest";
import { compareMigrations } from "./migrations";

const a = { name: "20260101000000_init", checksum: "aaa" };
const b = { name: "20260201000000_more", checksum: "bbb" };

describe("compareMigrations", () => {
  it("is current when every migration of the build is applied unchanged", () => {
    expect(compareMigrations([a, b], [a, b])).toEqual({
      current: true,
      expected: 2,
      applied: 2,
      pending: [],
      changed: [],
      unknown: [],
    });
  });

  it("is not current with a migration still to apply, or with nothing applied", () => {
    expect(compareMigrations([a, b], [a])).toMatchObject({ current: false, pending: [b.name] });
    expect(compareMigrations([a, b], [])).toMatchObject({ current: false, pending: [a.name, b.name], applied: 0 });
  });

  it("is not current when an applied migration's checksum differs from the build's file", () => {
    expect(compareMigrations([a, b], [a, { ...b, checksum: "edited" }])).toMatchObject({
      current: false,
      changed: [b.name],
      pending: [],
    });
  });

  it("reports migrations only a newer version knows, and stays current (rolling upgrade)", () => {
    const newer = { name: "20260301000000_newer", checksum: "ccc" };
    expect(compareMigrations([a, b], [a, b, newer])).toMatchObject({ current: true, unknown: [newer.name] });
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "./cursor";

describe("request log cursors", () => {
  it("round-trip any (createdAt, id)", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }),
        fc.stringMatching(/^[\w-]{1,60}$/),
        (createdAt, id) => {
          const encoded = encodeCursor({ createdAt, id });
          expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
          expect(decodeCursor(encoded)).toEqual({ createdAt, id });
        },
      ),
    );
  });

  it("decode anything malformed to null (the first page)", () => {
    expect(decodeCursor(null)).toBeNull();
    expect(decodeCursor("")).toBeNull();
    expect(decodeCursor("!!!")).toBeNull();
    expect(decodeCursor(Buffer.from("abc.def").toString("base64url"))).toBeNull();
    expect(decodeCursor(Buffer.from("123.id with space").toString("base64url"))).toBeNull();
    expect(decodeCursor(Buffer.from("123.x'; DROP").toString("base64url"))).toBeNull();
    expect(decodeCursor("a".repeat(500))).toBeNull();
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scanJson } from "./json-guard";

const bytes = (text: string) => Buffer.from(text, "utf8");

describe("scanJson", () => {
  it("accepts nesting up to the limit and refuses one level more", () => {
    expect(scanJson(bytes("[".repeat(32) + "]".repeat(32)), 32)).toBeNull();
    expect(scanJson(bytes("[".repeat(33) + "]".repeat(33)), 32)).toEqual({ kind: "too_deep", maxDepth: 32 });
    expect(scanJson(bytes('{"a":'.repeat(33) + "1" + "}".repeat(33)), 32)?.kind).toBe("too_deep");
  });

  it("refuses a 10 MiB '[[[[…' at once, without it ever being parsed", () => {
    // Counted, not timed: the scan stops at the first bracket past the limit, whatever follows.
    const body = Buffer.alloc(10 * 1024 * 1024, "[");
    let read = 0;
    const counting = new Proxy(body, {
      get(target, property) {
        if (typeof property === "string" && /^\d+$/.test(property)) read++;
        return Reflect.get(target, property);
      },
    });
    expect(scanJson(counting, 32)?.kind).toBe("too_deep");
    expect(read).toBe(33);
  });

  it("counts depth, not the number of containers", () => {
    const wide = `[${Array.from({ length: 10_000 }, () => '{"a":[1,{"b":2}]}').join(",")}]`;
    expect(scanJson(bytes(wide), 4)).toBeNull();
    expect(scanJson(bytes(wide), 3)?.kind).toBe("too_deep");
  });

  it("ignores brackets and quotes inside strings, escaped quotes included", () => {
    const text = JSON.stringify({ a: "[[[[{{{{", b: 'say \\"[[[[\\" \\\\', c: "\\", d: ["x\\"] });
    expect(scanJson(bytes(text), 2)).toBeNull();
  });

  it("measures the true depth of any JSON value (property)", () => {
    const depthOf = (value: unknown): number =>
      value !== null && typeof value === "object" ? 1 + Math.max(0, ...Object.values(value as object).map(depthOf)) : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const depth = depthOf(value);
        const text = bytes(JSON.stringify(value));
        return scanJson(text, depth) === null && (depth === 0 || scanJson(text, depth - 1)?.kind === "too_deep");
      }),
    );
  });

  it("refuses numbers that overflow to ±Infinity, wherever they are", () => {
    expect(scanJson(bytes('{"temperature":1e400}'), 32)).toEqual({ kind: "non_finite_number", literal: "1e400" });
    expect(scanJson(bytes('{"x":[1,-2.5E+999]}'), 32)?.kind).toBe("non_finite_number");
    expect(scanJson(bytes(`{"x":${"9".repeat(400)}}`), 32)?.kind).toBe("non_finite_number");
    expect(scanJson(bytes("1e400"), 32)?.kind).toBe("non_finite_number");
  });

  it("lets finite numbers, tiny ones and number-like strings through", () => {
    expect(scanJson(bytes('{"a":1e308,"b":-1.7976931348623157e308,"c":1e-400,"d":"1e400","e":true}'), 32)).toBeNull();
    expect(scanJson(bytes(`[${"1".repeat(300)}]`), 32)).toBeNull();
  });
});

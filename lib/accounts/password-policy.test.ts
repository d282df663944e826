import { describe, expect, it } from "vitest";
import { isCommonPassword, passwordProblem } from "./password-policy";

describe("passwordProblem", () => {
  it("refuses passwords shorter than 8 characters, counting characters rather than UTF-16 units", () => {
    expect(passwordProblem("")).toBe("Use at least 8 characters.");
    expect(passwordProblem("x7#kQ2m")).toBe("Use at least 8 characters.");
    expect(passwordProblem("🔑🔑🔑🔑🔑🔑🔑")).toBe("Use at least 8 characters."); // 7 emoji, 14 units
    expect(passwordProblem("x7#kQ2m!")).toBeNull();
  });

  it("refuses passwords longer than 200 characters", () => {
    expect(passwordProblem("a".repeat(199) + "Z")).toBeNull();
    expect(passwordProblem("a".repeat(200) + "Z")).toBe("Use at most 200 characters.");
  });

  it("refuses common passwords whatever their case", () => {
    for (const common of ["password", "PASSWORD", "Password1", "12345678", "iloveyou", "trustno1", "qwertyuiop"]) {
      expect(passwordProblem(common), common).toMatch(/most common/);
    }
  });

  it("accepts an unusual passphrase", () => {
    expect(passwordProblem("tangerine orbit lamp 42")).toBeNull();
  });
});

describe("the common-password list", () => {
  it("holds thousands of real common passwords of 8+ characters", () => {
    const samples = ["baseball", "football", "superman", "sunshine", "princess", "starwars", "1qaz2wsx", "michelle"];
    for (const sample of samples) expect(isCommonPassword(sample), sample).toBe(true);
    expect(isCommonPassword("k9#Vd!2pQz")).toBe(false);
  });
});

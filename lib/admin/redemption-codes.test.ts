import { describe, expect, it } from "vitest";
import {
  generateRedemptionCode,
  hashRedemptionCode,
  normalizeRedemptionCode,
  partialRedemptionCode,
  redeemCodeSchema,
} from "@/lib/billing/redemption";
import { createRedemptionCodesSchema, csvCell, redemptionCodesCsv, redemptionCodeStatus } from "./redemption-codes";

const FORMAT = /^TF-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

describe("generateRedemptionCode", () => {
  it("uses the unambiguous alphabet in the TF-XXXX-XXXX-XXXX-XXXX shape", () => {
    for (let i = 0; i < 200; i++) expect(generateRedemptionCode()).toMatch(FORMAT);
  });

  it("maps exactly 80 random bits, all of them", () => {
    let requested = 0;
    const zeros = generateRedemptionCode((size) => ((requested = size), Buffer.alloc(size, 0)));
    expect(requested).toBe(10);
    expect(zeros).toBe("TF-0000-0000-0000-0000");
    expect(generateRedemptionCode((size) => Buffer.alloc(size, 0xff))).toBe("TF-ZZZZ-ZZZZ-ZZZZ-ZZZZ");
    // 0x01 in the last byte is the lowest bit of the last symbol; 0x80 in the first the top bit of the first.
    const last = Buffer.alloc(10, 0);
    last[9] = 1;
    expect(generateRedemptionCode(() => last)).toBe("TF-0000-0000-0000-0001");
    const first = Buffer.alloc(10, 0);
    first[0] = 0x80;
    expect(generateRedemptionCode(() => first)).toBe("TF-G000-0000-0000-0000");
  });

  it("does not repeat", () => {
    const codes = new Set(Array.from({ length: 2000 }, () => generateRedemptionCode()));
    expect(codes.size).toBe(2000);
  });
});

describe("normalizeRedemptionCode", () => {
  const code = "TF-AB12-CD34-EF56-GH78";

  it.each([code, "tf-ab12-cd34-ef56-gh78", "  TF AB12 CD34 EF56 GH78 ", "AB12CD34EF56GH78", "AB12-CD34-EF56-GH78"])(
    "reads %j as the canonical code",
    (input) => {
      expect(normalizeRedemptionCode(input)).toBe(code);
    },
  );

  it("reads look-alike letters as Crockford digits", () => {
    expect(normalizeRedemptionCode("TF-OOII-LLOO-0000-1111")).toBe("TF-0011-1100-0000-1111");
  });

  it("keeps a body that itself starts with TF", () => {
    expect(normalizeRedemptionCode("TF-TF12-3456-7890-ABCD")).toBe("TF-TF12-3456-7890-ABCD");
    expect(normalizeRedemptionCode("TF12-3456-7890-ABCD")).toBe("TF-TF12-3456-7890-ABCD");
  });

  it.each([
    "",
    "TF-AB12-CD34-EF56",
    "TF-AB12-CD34-EF56-GH78-0000",
    "TF-AB12-CD34-EF56-GHU8",
    "TF-AB12-CD34-EF56-GH7!",
    "XX-AB12-CD34-EF56-GH78",
  ])("refuses %j", (input) => {
    expect(normalizeRedemptionCode(input)).toBeNull();
  });

  it("round-trips generated codes", () => {
    for (let i = 0; i < 50; i++) {
      const generated = generateRedemptionCode();
      expect(normalizeRedemptionCode(generated.toLowerCase())).toBe(generated);
    }
  });
});

describe("hash and partial", () => {
  it("hashes the canonical form (sha256 hex), so any typed variant finds the same row", () => {
    const canonical = normalizeRedemptionCode("tf ab12 cd34 ef56 gh78")!;
    expect(hashRedemptionCode(canonical)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRedemptionCode(canonical)).toBe(hashRedemptionCode("TF-AB12-CD34-EF56-GH78"));
  });

  it("shows only the last group", () => {
    expect(partialRedemptionCode("TF-AB12-CD34-EF56-GH78")).toBe("TF-****-****-****-GH78");
  });
});

describe("schemas", () => {
  it("create: amount > 0, count 1..1000, optional future expiry", () => {
    expect(createRedemptionCodesSchema.parse({ amountUsd: "5", count: 3 })).toEqual({
      amountUsd: 5_000_000_000n,
      count: 3,
    });
    expect(
      createRedemptionCodesSchema.parse({ amountUsd: 1, count: 1000, expiresAt: "2999-01-01T00:00:00Z" }).expiresAt,
    ).toBeInstanceOf(Date);
    for (const bad of [
      { amountUsd: "0", count: 1 },
      { amountUsd: "-1", count: 1 },
      { amountUsd: "1", count: 0 },
      { amountUsd: "1", count: 1001 },
      { amountUsd: "1", count: 1.5 },
      { amountUsd: "1", count: 1, expiresAt: "2000-01-01T00:00:00Z" },
      { amountUsd: "1", count: 1, batch: "x" },
    ]) {
      expect(createRedemptionCodesSchema.safeParse(bad).success).toBe(false);
    }
  });

  it("redeem: just a code", () => {
    expect(redeemCodeSchema.parse({ code: "TF-AB12-CD34-EF56-GH78" })).toEqual({ code: "TF-AB12-CD34-EF56-GH78" });
    expect(redeemCodeSchema.safeParse({ code: "x", organizationId: "o" }).success).toBe(false);
    expect(redeemCodeSchema.safeParse({}).success).toBe(false);
  });
});

describe("redemptionCodeStatus", () => {
  const now = new Date("2030-01-01T00:00:00Z");
  const past = new Date("2029-12-31T00:00:00Z");
  const future = new Date("2030-01-02T00:00:00Z");
  it("says redeemed first, then revoked, then expired, else unused", () => {
    expect(redemptionCodeStatus({ redeemedAt: past, revokedAt: past, expiresAt: past }, now)).toBe("redeemed");
    expect(redemptionCodeStatus({ redeemedAt: null, revokedAt: past, expiresAt: past }, now)).toBe("revoked");
    expect(redemptionCodeStatus({ redeemedAt: null, revokedAt: null, expiresAt: now }, now)).toBe("expired");
    expect(redemptionCodeStatus({ redeemedAt: null, revokedAt: null, expiresAt: future }, now)).toBe("unused");
    expect(redemptionCodeStatus({ redeemedAt: null, revokedAt: null, expiresAt: null }, now)).toBe("unused");
  });
});

describe("redemption codes as CSV", () => {
  it("quotes what needs quoting and defuses spreadsheet formulas", () => {
    expect(csvCell(null)).toBe("");
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell("@evil.example, Inc")).toBe(`"'@evil.example, Inc"`);
  });

  it("has one header line and partial codes only", () => {
    const csv = redemptionCodesCsv([
      {
        id: "c1",
        batchId: "b1",
        partialCode: "TF-****-****-****-WXYZ",
        amountUsd: "10.00",
        expiresAt: null,
        status: "unused",
        redeemed: false,
        redeemedAt: null,
        redeemedByOrgId: null,
        redeemedByOrgName: null,
        redeemedByUserId: null,
        redeemedByEmail: null,
        revokedAt: null,
        createdAt: "2030-01-01T00:00:00.000Z",
      },
    ]);
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "id,batchId,partialCode,amountUsd,status,expiresAt,redeemedAt,redeemedByEmail,redeemedByOrgId,redeemedByOrgName,revokedAt,createdAt",
    );
    expect(lines[1]).toBe("c1,b1,TF-****-****-****-WXYZ,10.00,unused,,,,,,,2030-01-01T00:00:00.000Z");
  });
});

import { describe, expect, it } from "vitest";
import {
  freeText,
  futureDate,
  httpUrl,
  intInRange,
  MAX_CREDIT_NANOS,
  MAX_PRICE_NANOS,
  modelRef,
  priceUsd,
  queryInt,
  text,
  upstreamModelName,
  usdAmount,
  usdOrNull,
} from "./fields";

const ANY_AMOUNT = 10n ** 18n;

describe("usdAmount", () => {
  it.each([
    ["0.14", 140_000_000n],
    ["12.50", 12_500_000_000n],
    ["0.000000001", 1n],
    [" 3 ", 3_000_000_000n],
    [0.1, 100_000_000n],
    [25, 25_000_000_000n],
  ])("parses %j to nanos", (input, nanos) => {
    expect(usdAmount("positive", ANY_AMOUNT).parse(input)).toBe(nanos);
  });

  it("keeps negatives for adjustments and refuses zero there", () => {
    expect(usdAmount("non_zero", ANY_AMOUNT).parse("-2.5")).toBe(-2_500_000_000n);
    expect(usdAmount("non_zero", ANY_AMOUNT).safeParse("0").success).toBe(false);
    expect(usdAmount("non_zero", ANY_AMOUNT).safeParse("-0.000").success).toBe(false);
  });

  it.each(["-0.01", "-1"])("refuses negative price %j", (input) => {
    const result = priceUsd.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toBe("must not be negative");
  });

  it("allows a zero price", () => {
    expect(priceUsd.parse("0")).toBe(0n);
  });

  it.each([
    "0.0000000001",
    "1e3",
    "abc",
    "",
    "1,50",
    "$1",
    "1.",
    ".5",
    "1234567890123",
    1e-10,
    Number.NaN,
    Infinity,
    true,
    null,
    {},
  ])("refuses %j", (input) => {
    expect(usdAmount("non_negative", ANY_AMOUNT).safeParse(input).success).toBe(false);
  });
});

describe("usdOrNull", () => {
  it("formats nanos or passes null", () => {
    expect(usdOrNull(140_000_000n)).toBe("0.14");
    expect(usdOrNull(2_000_000_000n)).toBe("2.00");
    expect(usdOrNull(null)).toBeNull();
  });
});

describe("usdAmount maxima", () => {
  it("accepts the maximum and refuses one nano more, on both signs", () => {
    const credit = usdAmount("non_zero", MAX_CREDIT_NANOS);
    expect(credit.parse("1000000000")).toBe(MAX_CREDIT_NANOS);
    expect(credit.parse("-1000000000")).toBe(-MAX_CREDIT_NANOS);
    for (const value of ["1000000000.000000001", "-1000000000.000000001", "999999999999"]) {
      const result = credit.safeParse(value);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0].message).toBe("must be at most 1000000000.00 USD");
    }
  });

  it("bounds prices at $1,000,000 per 1M tokens, so tokens × price cannot overflow BIGINT", () => {
    expect(priceUsd.parse("1000000")).toBe(MAX_PRICE_NANOS);
    expect(priceUsd.safeParse("1000000.000000001").success).toBe(false);
    // the worst cost: int32 tokens of each of the three kinds at the maximum price
    const worst = (3n * 2_147_483_647n * MAX_PRICE_NANOS) / 1_000_000n;
    expect(worst < 2n ** 63n - 1n).toBe(true);
  });

  it.each(["9223372036.854775808", "92233720368547758070", 1e21, "1e400"])("refuses %j (beyond BIGINT)", (value) => {
    expect(priceUsd.safeParse(value).success).toBe(false);
  });
});

describe("text and freeText", () => {
  it("trims and bounds", () => {
    expect(text(5).parse("  abc ")).toBe("abc");
    expect(text(5).safeParse("abcdef").success).toBe(false);
    expect(text(5).safeParse("   ").success).toBe(false);
    expect(freeText(5).parse("  ")).toBe("");
  });

  it.each([
    "a\u0000b",
    "a\nb",
    "a\tb",
    "a\u001bb",
    "a\u007fb",
    "a\u0085b",
    "a\u009fb",
    "a\u2028b",
    "a\u2029b",
    "a\u202eb",
    "a\u202ab",
    "a\u2066b",
    "a\u2069b",
    "a\ud800b",
    "a\udc00",
  ])("refuses %j", (value) => {
    expect(text(100).safeParse(value).success).toBe(false);
    expect(freeText(100).safeParse(value).success).toBe(false);
  });

  it("trims whitespace at the ends, line separators included, before looking for control characters", () => {
    expect(text(100).parse("\n Acme\u2028\t")).toBe("Acme");
    expect(text(100).safeParse("Ac\u2028me").success).toBe(false);
  });

  it("keeps letters of every script and emoji", () => {
    for (const value of ["Acme GmbH", "Müller & Söhne", "北京科技", "عربي", "Team 🚀", "e\u0301"]) {
      expect(text(100).parse(value)).toBe(value);
    }
  });
});

describe("model names", () => {
  it.each(["deepseek-v3", "qwen2.5:72b", "gpt_4o"])("modelRef accepts %j", (id) => {
    expect(modelRef.parse(id)).toBe(id);
  });
  it.each(["", "-x", "vendor/model", "a b", "a\u0000", "__proto__", "x".repeat(101), "é"])(
    "modelRef refuses %j",
    (id) => {
      expect(modelRef.safeParse(id).success).toBe(false);
    },
  );
  it.each(["deepseek-chat", "Qwen/Qwen2.5-72B-Instruct", "@cf/meta/llama-3.1-8b-instruct", "x".repeat(200)])(
    "upstreamModelName accepts %j",
    (id) => {
      expect(upstreamModelName.parse(id)).toBe(id);
    },
  );
  it.each(["", "a b", "a\nb", "<script>", 'a"b', "x".repeat(201), "/leading"])("upstreamModelName refuses %j", (id) => {
    expect(upstreamModelName.safeParse(id).success).toBe(false);
  });
});

describe("httpUrl", () => {
  it.each(["https://api.example.com/v1", "http://127.0.0.1:8080", " https://x.io/a/b "])("accepts %j", (url) => {
    expect(httpUrl(100).parse(url)).toBe(url.trim());
  });
  it.each([
    ["not a url", "must not contain spaces or control characters"],
    ["api.example.com", 'must be an absolute URL, e.g. "https://api.example.com/v1"'],
    ["ftp://example.com", "must be an http or https URL"],
    ["javascript:alert(1)", "must be an http or https URL"],
    ["file:///etc/passwd", "must be an http or https URL"],
    ["https://user:pw@example.com", "must not contain credentials; send the API key as apiKey"],
    ["https://example.com/\u0000", "must not contain spaces or control characters"],
    [`https://example.com/${"a".repeat(100)}`, "must be at most 100 characters"],
  ])("refuses %j", (url, message) => {
    const result = httpUrl(100).safeParse(url);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toBe(message);
  });
});

describe("intInRange", () => {
  it.each([0, 11, -1, 1.5, "5", null, 2 ** 31, Number.NaN])("refuses %j outside 1..10", (value) => {
    const result = intInRange(1, 10).safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toBe("must be an integer from 1 to 10");
  });
  it("accepts the bounds", () => {
    expect(intInRange(1, 10).parse(1)).toBe(1);
    expect(intInRange(1, 10).parse(10)).toBe(10);
  });
});

describe("queryInt", () => {
  it("parses plain decimals and applies the default", () => {
    expect(queryInt(1, 100, 50).parse("7")).toBe(7);
    expect(queryInt(1, 100, 50).parse(undefined)).toBe(50);
  });
  it.each(["", "0", "101", "-1", "1e2", "0x10", " 5", "5.0", "99999999999999999999", "abc"])("refuses %j", (value) => {
    expect(queryInt(1, 100, 50).safeParse(value).success).toBe(false);
  });
});

describe("futureDate", () => {
  it("accepts a future ISO date-time with a zone", () => {
    const date = futureDate.parse("2999-01-01T00:00:00Z");
    expect(date).toBeInstanceOf(Date);
    expect(date.toISOString()).toBe("2999-01-01T00:00:00.000Z");
    expect(futureDate.parse("2999-01-01T02:00:00+02:00").toISOString()).toBe("2999-01-01T00:00:00.000Z");
  });
  it.each(["2000-01-01T00:00:00Z", "2999-01-01", "2999-01-01T00:00:00", "tomorrow", 123])("refuses %j", (value) => {
    expect(futureDate.safeParse(value).success).toBe(false);
  });
});

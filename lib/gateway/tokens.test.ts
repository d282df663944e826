import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_IMAGE_TOKENS,
  PER_MESSAGE_OVERHEAD_TOKENS,
  PER_REQUEST_OVERHEAD_TOKENS,
  TOOLS_OVERHEAD_TOKENS,
  embeddingBoundFromItems,
  embeddingInputUpperBound,
  embeddingItemBounds,
  estimateTokens,
  jsonBytes,
  normalizationGrowth,
  promptBoundParts,
  promptTokenUpperBound,
  promptTokenUpperBoundFromParts,
  utf8Bytes,
} from "./tokens";
import { NORMALIZATION_GROWTH_RANGES } from "./normalization-growth";

const BIG_WINDOW = 10_000_000;

describe("promptTokenUpperBound", () => {
  it("is at least the UTF-8 bytes of every content string plus per-message overhead", () => {
    const content = "Hello, 世界! 🌍";
    const bound = promptTokenUpperBound({ messages: [{ role: "user", content }] }, BIG_WINDOW);
    expect(bound).toBeGreaterThanOrEqual(
      utf8Bytes(content) + PER_MESSAGE_OVERHEAD_TOKENS + PER_REQUEST_OVERHEAD_TOKENS,
    );
  });

  it("never undercounts any string in messages (property)", () => {
    const text = fc.string({ unit: "binary", maxLength: 200 });
    const message = fc.record({
      role: fc.constantFrom("system", "user", "assistant", "tool"),
      content: fc.oneof(
        text,
        fc.array(fc.record({ type: fc.constant("text"), text }), {
          maxLength: 3,
        }),
      ),
      name: fc.option(text, { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), (messages) => {
        const strings: string[] = [];
        for (const m of messages) {
          strings.push(m.role, ...(m.name ? [m.name] : []));
          if (typeof m.content === "string") strings.push(m.content);
          else strings.push(...m.content.map((p) => p.text));
        }
        const contentBytes = strings.reduce((sum, s) => sum + utf8Bytes(s.normalize("NFKC")), 0);
        const bound = promptTokenUpperBound({ messages }, BIG_WINDOW);
        return bound >= contentBytes + messages.length * PER_MESSAGE_OVERHEAD_TOKENS;
      }),
    );
  });

  it("counts tool definitions, tool-call arguments and response_format", () => {
    const base = { messages: [{ role: "user", content: "hi" }] };
    const plain = promptTokenUpperBound(base, BIG_WINDOW);
    const tools = [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "x".repeat(500),
          parameters: { type: "object", properties: {} },
        },
      },
    ];
    const withTools = promptTokenUpperBound({ ...base, tools }, BIG_WINDOW);
    expect(withTools - plain).toBeGreaterThanOrEqual(2 * utf8Bytes(JSON.stringify(tools)) + TOOLS_OVERHEAD_TOKENS);

    const args = JSON.stringify({ city: "y".repeat(300) });
    const withCall = promptTokenUpperBound(
      {
        messages: [
          ...base.messages,
          {
            role: "assistant",
            content: null,
            tool_calls: [
              {
                id: "c1",
                type: "function",
                function: { name: "f", arguments: args },
              },
            ],
          },
          { role: "tool", tool_call_id: "c1", content: "z".repeat(200) },
        ],
      },
      BIG_WINDOW,
    );
    expect(withCall - plain).toBeGreaterThanOrEqual(utf8Bytes(args) + 200 + 2 * PER_MESSAGE_OVERHEAD_TOKENS);

    const schema = {
      type: "json_schema",
      json_schema: {
        name: "s",
        schema: { type: "object", description: "d".repeat(400) },
      },
    };
    const withFormat = promptTokenUpperBound({ ...base, response_format: schema }, BIG_WINDOW);
    expect(withFormat - plain).toBeGreaterThanOrEqual(800);
  });

  it("counts legacy functions as tools", () => {
    const base = { messages: [{ role: "user", content: "hi" }] };
    const withFunctions = promptTokenUpperBound({ ...base, functions: [{ name: "f", parameters: {} }] }, BIG_WINDOW);
    expect(withFunctions - promptTokenUpperBound(base, BIG_WINDOW)).toBeGreaterThan(TOOLS_OVERHEAD_TOKENS);
  });

  it("counts images at a fixed cost instead of their (base64) bytes", () => {
    const dataUrl = `data:image/png;base64,${"A".repeat(2_000_000)}`;
    const body = {
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image_url", image_url: { url: dataUrl, detail: "high" } },
            {
              type: "image_url",
              image_url: { url: "https://example.com/cat.png" },
            },
          ],
        },
      ],
    };
    const bound = promptTokenUpperBound(body, BIG_WINDOW);
    expect(bound).toBeGreaterThanOrEqual(2 * DEFAULT_IMAGE_TOKENS);
    expect(bound).toBeLessThan(2 * DEFAULT_IMAGE_TOKENS + 500);
    expect(promptTokenUpperBound(body, BIG_WINDOW, { imageTokens: 10_000 })).toBeGreaterThanOrEqual(20_000);
  });

  it("is capped by the context window, images included", () => {
    const huge = {
      messages: [{ role: "user", content: "x".repeat(1_000_000) }],
    };
    expect(promptTokenUpperBound(huge, 128_000)).toBe(128_000);
    const images = {
      messages: [
        {
          role: "user",
          content: Array.from({ length: 100 }, () => ({
            type: "image_url",
            image_url: { url: "u" },
          })),
        },
      ],
    };
    expect(promptTokenUpperBound(images, 32_000)).toBe(32_000);
  });

  it("does not cap when the window is unknown", () => {
    const body = { messages: [{ role: "user", content: "x".repeat(1000) }] };
    expect(promptTokenUpperBound(body, 0)).toBeGreaterThan(1000);
    expect(promptTokenUpperBound(body, Number.NaN)).toBeGreaterThan(1000);
  });

  it("accounts for Unicode normalisation that lengthens text", () => {
    const expanding = "\uFDFA".repeat(100); // 3 bytes each, NFKC → 33 bytes each
    const bound = promptTokenUpperBound({ messages: [{ role: "user", content: expanding }] }, BIG_WINDOW);
    expect(bound).toBeGreaterThanOrEqual(3300);
  });

  it("tolerates malformed bodies", () => {
    const empty = promptTokenUpperBound(null, 1000);
    expect(empty).toBeGreaterThanOrEqual(PER_REQUEST_OVERHEAD_TOKENS);
    expect(empty).toBeLessThan(32);
    expect(promptTokenUpperBound("nope", 1000)).toBeGreaterThan(0);
    expect(promptTokenUpperBound({ messages: "not an array" }, 1000)).toBeGreaterThan(0);
  });

  it("counts legacy prompt and Anthropic-style system", () => {
    expect(promptTokenUpperBound({ prompt: "p".repeat(500) }, BIG_WINDOW)).toBeGreaterThan(500);
    expect(promptTokenUpperBound({ system: "s".repeat(500), messages: [] }, BIG_WINDOW)).toBeGreaterThan(500);
  });
});

describe("embeddingInputUpperBound", () => {
  it("counts token-id arrays exactly", () => {
    expect(embeddingInputUpperBound([1, 2, 3, 4], 8192)).toBe(4);
    expect(embeddingInputUpperBound([[1, 2], [3], []], 8192)).toBe(3);
  });

  it("bounds strings by bytes (+2 special tokens), per input", () => {
    expect(embeddingInputUpperBound("hello", 8192)).toBe(7);
    expect(embeddingInputUpperBound(["hello", "世界"], 8192)).toBe(7 + 8);
    expect(embeddingInputUpperBound("", 8192)).toBe(2);
  });

  it("caps each input by the window, not the total", () => {
    expect(embeddingInputUpperBound(["x".repeat(10_000), "y".repeat(10_000)], 8192)).toBe(2 * 8192);
    expect(embeddingInputUpperBound("x".repeat(10_000), 8192)).toBe(8192);
  });

  it("handles malformed input without throwing", () => {
    expect(embeddingInputUpperBound({ a: 1 }, 8192)).toBeGreaterThan(0);
    expect(embeddingInputUpperBound(undefined, 8192)).toBe(0);
  });
});

describe("estimateTokens", () => {
  it("is ~bytes/4 for ASCII", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("a")).toBe(1);
    expect(estimateTokens("abcd")).toBe(1);
    expect(estimateTokens("abcde")).toBe(2);
    expect(estimateTokens("The quick brown fox jumps over the lazy dog.")).toBe(11);
  });

  it("is ~1 per CJK character", () => {
    expect(estimateTokens("你好世界")).toBe(4);
    expect(estimateTokens("こんにちは")).toBe(5);
    expect(estimateTokens("안녕하세요")).toBe(5);
    expect(estimateTokens("Hello世界")).toBe(2 + 2);
  });

  it("is realistic, not an upper bound: never more than UTF-8 bytes", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme" }), (s) => estimateTokens(s) <= Math.max(utf8Bytes(s), 0)));
  });
});

describe("normalisation growth (the generated table)", () => {
  const FORMS = ["NFC", "NFKC", "NFD", "NFKD"] as const;
  const grows = (char: string) =>
    Math.max(0, ...FORMS.map((form) => utf8Bytes(char.normalize(form)) - utf8Bytes(char)));
  const isHangulSyllable = (cp: number) => cp >= 0xac00 && cp <= 0xd7a3;

  it("matches this Node's ICU for every listed code point and a sample of all the others", () => {
    const listed = new Set<number>();
    for (const range of NORMALIZATION_GROWTH_RANGES.split(",")) {
      const [span, growth] = range.split(":");
      const [start, extra = "0"] = span.split("-");
      for (let cp = parseInt(start, 36); cp <= parseInt(start, 36) + parseInt(extra, 36); cp++) {
        listed.add(cp);
        expect(normalizationGrowth(String.fromCodePoint(cp))).toBe(parseInt(growth, 36));
        expect(grows(String.fromCodePoint(cp))).toBe(parseInt(growth, 36));
      }
    }
    fc.assert(
      fc.property(fc.integer({ min: 0x80, max: 0x10ffff }), (cp) => {
        if ((cp >= 0xd800 && cp <= 0xdfff) || isHangulSyllable(cp) || listed.has(cp)) return true;
        return grows(String.fromCodePoint(cp)) === 0 && normalizationGrowth(String.fromCodePoint(cp)) === 0;
      }),
      { numRuns: 20_000 },
    );
  });

  it("never lets NFC or NFKC of a whole string outgrow raw bytes + growth (property)", () => {
    // Combining marks that reorder and compose across code points, expanding compatibility
    // characters, Hangul syllables and loose jamo (which recompose), astral letters, lone surrogates.
    const tricky = [
      ..."eé\u0301\u0323\u0302\u0308aA\uFDFA\uFB03\u2474\u0958\u0915\u093C가각\u1100\u1161\u11A8\u3131①ｶ😀\u{1D15E}\u{11099}\u{110BA}\uD800",
    ];
    const text = fc.array(fc.constantFrom(...tricky), { maxLength: 40 }).map((chars) => chars.join(""));
    fc.assert(
      fc.property(text, (s) => {
        const bound = utf8Bytes(s) + normalizationGrowth(s);
        return bound >= utf8Bytes(s.normalize("NFC")) && bound >= utf8Bytes(s.normalize("NFKC"));
      }),
      { numRuns: 5_000 },
    );
    // Reordering then composing can lengthen a string beyond each code point's own forms.
    const reordered = "é\u0323";
    expect(utf8Bytes(reordered.normalize("NFC"))).toBeGreaterThan(utf8Bytes(reordered));
    expect(utf8Bytes(reordered) + normalizationGrowth(reordered)).toBeGreaterThanOrEqual(
      utf8Bytes(reordered.normalize("NFC")),
    );
  });

  it("leaves Korean at its raw size (NFC/NFKC recompose syllables)", () => {
    const korean = "안녕하세요 세계";
    expect(normalizationGrowth(korean)).toBe(0);
    expect(utf8Bytes(korean.normalize("NFKC"))).toBe(utf8Bytes(korean));
  });
});

describe("jsonBytes", () => {
  it("is the byte length of JSON.stringify, plus normalisation growth (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue({ stringUnit: "binary" }), (ascii, unicode) => {
        const exact = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
        const growth = normalizationGrowth(JSON.stringify(unicode));
        return jsonBytes(ascii) >= exact(ascii) && jsonBytes(unicode) === exact(unicode) + growth;
      }),
      { numRuns: 2_000 },
    );
  });

  it("counts JSON escapes and lone surrogates as JSON.stringify writes them", () => {
    for (const value of ['say "hi"\\', "tab\tnew\nline\u0001", "\uD800 lone", "\uDC00", "ok 😀"]) {
      expect(jsonBytes(value)).toBe(Buffer.byteLength(JSON.stringify(value)));
    }
  });
});

describe("bounds from parts (what the body workers compute)", () => {
  it("gives the same prompt bound as the body itself", () => {
    const body = {
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Hello 世界\uFDFA" },
            { type: "image_url", image_url: { url: "x" } },
          ],
        },
      ],
      tools: [{ type: "function", function: { name: "f", parameters: {} } }],
    };
    const parts = promptBoundParts(body);
    expect(parts.images).toBe(1);
    expect(parts.messageCount).toBe(1);
    expect(parts.hasTools).toBe(true);
    expect(promptTokenUpperBoundFromParts(parts, BIG_WINDOW)).toBe(promptTokenUpperBound(body, BIG_WINDOW));
    expect(promptTokenUpperBoundFromParts(parts, 100, { imageTokens: 5 })).toBe(
      promptTokenUpperBound(body, 100, { imageTokens: 5 }),
    );
  });

  it("gives the same embeddings bound as the input itself", () => {
    for (const input of ["hello", ["a", "x".repeat(10_000)], [1, 2, 3], [[1, 2], [3]], { a: 1 }, undefined]) {
      expect(embeddingBoundFromItems(embeddingItemBounds(input), 8192)).toBe(embeddingInputUpperBound(input, 8192));
    }
  });
});

describe("cost on the event loop", () => {
  it("bounds a 19 MiB CJK prompt in well under a second, without normalising it", () => {
    const text = "你好世界，今天天气很好。क़\uFDFA".repeat(600_000);
    const started = performance.now();
    const bound = promptTokenUpperBound({ messages: [{ role: "user", content: text }] }, 0); // 0: no window cap
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(bound).toBeGreaterThanOrEqual(utf8Bytes(text.normalize("NFKC")));
  });

  it("estimates a long prompt from samples, close to the full count", () => {
    const unit = "Hello there, 你好, こんにちは! ";
    const long = unit.repeat(200_000); // 5.4 M characters: sampled
    const perUnit = estimateTokens(unit.repeat(100)) / 100;
    const estimate = estimateTokens(long);
    expect(Math.abs(estimate - perUnit * 200_000) / (perUnit * 200_000)).toBeLessThan(0.02);
    expect(estimate).toBeLessThanOrEqual(utf8Bytes(long));
  });
});

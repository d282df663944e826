import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ASK_SAMPLE_CHARS, autoFeatures, type AutoRequest, type Difficulty } from "./features";

const TIERS: Difficulty[] = ["simple", "moderate", "complex", "expert"];
const rank = (difficulty: Difficulty) => TIERS.indexOf(difficulty);

function ask(content: unknown, extra: Partial<AutoRequest> = {}): AutoRequest {
  return { messages: [{ role: "user", content }], ...extra };
}

/** A conversation: alternating user/assistant turns, optionally after a system prompt. */
function chat(turns: string[], system?: string): AutoRequest {
  const messages: unknown[] = system === undefined ? [] : [{ role: "system", content: system }];
  turns.forEach((content, i) => messages.push({ role: i % 2 === 0 ? "user" : "assistant", content }));
  return { messages };
}

// ---------------------------------------------------------------------------------------------------------
// Fixtures: code and documents of a given size, free of cue words so they measure size alone.

function typescriptModule(lines: number, file = "orders"): string {
  const out: string[] = [];
  for (let i = 0; out.length < lines; i++) {
    out.push(
      `export interface ${file}Row${i} {`,
      "  id: string;",
      "  amountCents: number;",
      "}",
      `export async function load${file}${i}(db: Db, id: string): Promise<${file}Row${i} | null> {`,
      `  const row = await db.query("select * from ${file} where id = $1", [id]);`,
      "  if (!row) return null;",
      "  return { id: row.id, amountCents: Number(row.amount_cents) };",
      "}",
      "",
    );
  }
  return out.slice(0, lines).join("\n");
}

function pythonModule(lines: number): string {
  const out: string[] = [];
  for (let i = 0; out.length < lines; i++) {
    out.push(
      `def process_batch_${i}(items, threshold):`,
      "    result = []",
      "    for item in items:",
      "        if item.value > threshold:",
      "            result.append(transform(item))",
      "    return result",
      "",
    );
  }
  return out.slice(0, lines).join("\n");
}

const PYTHON_TRACEBACK = [
  "Traceback (most recent call last):",
  '  File "app.py", line 12, in <module>',
  "    main()",
  '  File "app.py", line 8, in main',
  "    totals[order['user_id']] += order['amount']",
  "KeyError: 'user_id'",
].join("\n");

const GO_DEADLOCK = [
  "package main",
  "",
  'import "sync"',
  "",
  "func main() {",
  "\tvar mu sync.Mutex",
  "\tch := make(chan int)",
  "\tgo func() {",
  "\t\tmu.Lock()",
  "\t\tch <- 1",
  "\t\tmu.Unlock()",
  "\t}()",
  "\tmu.Lock()",
  "\t<-ch",
  "\tmu.Unlock()",
  "}",
].join("\n");

function englishDocument(words: number): string {
  const sentence =
    "The town of Millbrook grew around a river crossing in the eighteenth century, and farmers brought grain to the mill every autumn.";
  const count = Math.ceil(words / sentence.split(" ").length);
  return Array.from({ length: count }, () => sentence).join(" ");
}

function chineseArticle(chars: number): string {
  const sentence = "城市的发展离不开交通的改善，过去十年里地铁线路不断延伸，居民的通勤时间明显缩短。";
  return sentence.repeat(Math.ceil(chars / sentence.length)).slice(0, chars);
}

const fenced = (language: string, code: string) => `\`\`\`${language}\n${code}\n\`\`\``;

// ---------------------------------------------------------------------------------------------------------

interface Case {
  label: string;
  request: AutoRequest;
  expected: Difficulty | Difficulty[];
}

const PROOF_TURNS = [
  "Prove that every finite group of order p^2 is abelian.",
  "Let G have order p^2. The centre Z(G) is non-trivial by the class equation, so |Z(G)| is p or p^2 …",
];

const CASES: Case[] = [
  // simple: greetings, chit-chat, short facts, translation and polishing
  { label: "greeting", request: ask("hi"), expected: "simple" },
  { label: "greeting with emoji", request: ask("Hello there! 👋"), expected: "simple" },
  { label: "thanks", request: ask("thanks, that helped a lot"), expected: "simple" },
  { label: "zh greeting", request: ask("你好"), expected: "simple" },
  { label: "zh thanks", request: ask("谢谢！"), expected: "simple" },
  { label: "short fact", request: ask("What is the capital of France?"), expected: "simple" },
  { label: "short fact 2", request: ask("Who wrote Pride and Prejudice?"), expected: "simple" },
  { label: "zh short fact", request: ask("法国的首都是哪里？"), expected: "simple" },
  { label: "how many", request: ask("How many days are in a leap year?"), expected: "simple" },
  { label: "single why", request: ask("why is the sky blue?"), expected: "simple" },
  {
    label: "translation",
    request: ask("Translate 'good morning, how did you sleep?' into Spanish"),
    expected: "simple",
  },
  { label: "zh translation", request: ask("把这句话翻译成英文：今天天气很好，我们去公园散步吧。"), expected: "simple" },
  {
    label: "grammar fix",
    request: ask("Fix the grammar: 'me and him goes to the store yesterday and buyed three apple'"),
    expected: "simple",
  },
  { label: "zh polish", request: ask("帮我润色一下这句话：我们公司的产品很好用，大家都喜欢。"), expected: "simple" },
  { label: "haiku", request: ask("write a haiku about autumn"), expected: ["simple", "moderate"] },
  { label: "joke", request: ask("Tell me a joke about cats"), expected: "simple" },
  {
    label: "translate a long paragraph",
    request: ask(`Translate into French:\n${englishDocument(250)}`),
    expected: ["simple", "moderate"],
  },

  // moderate: ordinary writing, explanations, short code, routine maths
  { label: "explain TCP slow start", request: ask("explain TCP slow start"), expected: "moderate" },
  { label: "zh explain", request: ask("解释一下TCP慢启动"), expected: "moderate" },
  { label: "how does it work", request: ask("How does HTTPS certificate validation work?"), expected: "moderate" },
  {
    label: "short function",
    request: ask("Write a python function that reverses a linked list"),
    expected: "moderate",
  },
  { label: "zh quicksort", request: ask("用Python写一个快速排序"), expected: "moderate" },
  {
    label: "cover letter",
    request: ask("Write a cover letter for a junior data analyst position at a regional bank"),
    expected: "moderate",
  },
  { label: "zh essay", request: ask("写一篇关于春天的文章，300字左右"), expected: "moderate" },
  { label: "derivative", request: ask("What's the derivative of x^2 * sin(x)?"), expected: "moderate" },
  { label: "zh calculus", request: ask("求函数 f(x)=x^3-3x 的导数和极值"), expected: "moderate" },
  { label: "compare languages", request: ask("Compare Python and Go for writing CLI tools"), expected: "moderate" },
  {
    label: "what does this code do",
    request: ask(`What does this do?\n${fenced("python", pythonModule(8))}`),
    expected: "moderate",
  },
  {
    label: "summarise an email",
    request: ask(`Summarize this email in two sentences:\n${englishDocument(150)}`),
    expected: "moderate",
  },

  {
    label: "prove, but not maths",
    request: ask("How can I prove to my landlord that I paid the rent?"),
    expected: "moderate",
  },
  { label: "design, but not a system", request: ask("Design a logo for my bakery"), expected: "moderate" },
  { label: "zh write a function", request: ask("用 Go 写一个函数，判断字符串是不是回文"), expected: "moderate" },
  {
    label: "LRU cache with constraints",
    request: ask("Implement a thread-safe LRU cache in Go with O(1) get and put."),
    expected: ["moderate", "complex"],
  },

  // complex: substantial code, multi-step analysis, long documents
  {
    label: "refactor a 200-line module",
    request: ask(
      "Refactor this 200-line TypeScript module to use dependency injection, add proper error handling and keep the public API unchanged.\n" +
        fenced("ts", typescriptModule(200)),
    ),
    expected: "complex",
  },
  {
    label: "zh optimise 60 lines",
    request: ask(`分析一下这段代码的性能问题并优化：\n${fenced("python", pythonModule(60))}`),
    expected: "complex",
  },
  {
    label: "bug with a stack trace",
    request: ask(
      `I get this error when I run my script, how do I fix it?\n${PYTHON_TRACEBACK}\n\n${fenced("python", pythonModule(40))}`,
    ),
    expected: "complex",
  },
  {
    label: "deadlock",
    request: ask(
      `Why does this deadlock sometimes?\n${fenced("go", GO_DEADLOCK)}\nfatal error: all goroutines are asleep`,
    ),
    expected: "complex",
  },
  {
    label: "multi-step analysis",
    request: ask(
      "Analyze the trade-offs between optimistic and pessimistic locking in PostgreSQL for a write-heavy workload, step by step.",
    ),
    expected: ["complex", "expert"],
  },
  {
    label: "long document: summarise and evaluate",
    request: ask(`${englishDocument(2_500)}\n\nSummarize the key arguments above and evaluate their strengths.`),
    expected: "complex",
  },
  {
    label: "zh long article analysis",
    request: ask(`请分析下面这篇文章的论点，并总结其优缺点：\n${chineseArticle(1_500)}`),
    expected: "complex",
  },
  {
    label: "blog post on consensus",
    request: ask("Write a detailed technical blog post comparing Raft and Paxos consensus, with examples"),
    expected: "complex",
  },
  {
    label: "distributed cache design",
    request: ask("Design a distributed cache for session data"),
    expected: "complex",
  },

  // expert: proofs, hard maths, system design with trade-offs, large multi-file code, "think very carefully"
  {
    label: "primes proof",
    request: ask("Prove that there are infinitely many primes. Be rigorous."),
    expected: "expert",
  },
  { label: "group theory proof", request: ask(PROOF_TURNS[0]), expected: "expert" },
  { label: "zh irrational proof", request: ask("请一步一步推导并证明：√2 是无理数"), expected: "expert" },
  { label: "zh induction proof", request: ask("证明：对于任意正整数 n，1+2+...+n = n(n+1)/2"), expected: "expert" },
  {
    label: "payment system design",
    request: ask("Design a multi-region payment system and discuss the trade-offs"),
    expected: "expert",
  },
  {
    label: "zh messaging system design",
    request: ask("设计一个支持千万级用户的分布式消息系统，比较不同方案的优缺点和权衡"),
    expected: "expert",
  },
  {
    label: "fourier + derivation",
    request: ask("Compute the Fourier transform of a Gaussian and derive the uncertainty principle from it."),
    expected: "expert",
  },
  {
    label: "think very carefully",
    request: ask("Think very carefully: should we migrate our monolith to microservices?"),
    expected: "expert",
  },
  {
    label: "multi-file refactor",
    request: ask(
      "Refactor these files into a clean layered architecture:\n" +
        ["orders", "payments", "invoices"]
          .map((file) => `// src/${file}.ts\n${fenced("ts", typescriptModule(170, file))}`)
          .join("\n"),
    ),
    expected: "expert",
  },

  // conversations: the last message is what is asked, the rest colours it
  {
    label: "thanks after a proof",
    request: chat([...PROOF_TURNS, "thanks!"]),
    expected: "simple",
  },
  {
    label: "follow-up in a proof",
    request: chat([...PROOF_TURNS, "and why does that make G/Z(G) cyclic?"]),
    expected: ["moderate", "complex"],
  },
  {
    label: "deep chit-chat",
    request: chat([
      "what's your favourite colour?",
      "I like blue.",
      "nice, mine is green",
      "Green is lovely.",
      "what about food?",
      "Pizza, probably.",
      "ha, same",
      "Great minds.",
      "do you like music?",
      "Yes, jazz.",
      "cool, which albums?",
    ]),
    expected: ["simple", "moderate"],
  },
  {
    label: "short question, coding system prompt",
    request: chat(["what's the weather like on Mars?"], "You are a senior Rust engineer."),
    expected: "simple",
  },

  // the client's own view of the effort
  {
    label: "explain + reasoning_effort high",
    request: ask("explain TCP slow start", { reasoning_effort: "high" }),
    expected: "complex",
  },
  {
    label: "explain + reasoning_effort low",
    request: ask("explain TCP slow start", { reasoning_effort: "low" }),
    expected: "simple",
  },
];

describe("autoFeatures difficulty: labelled prompts", () => {
  it.each(CASES)("$label → $expected", ({ request, expected }) => {
    const features = autoFeatures(request);
    const allowed = Array.isArray(expected) ? expected : [expected];
    expect(allowed, `got ${features.difficulty} ${JSON.stringify(features.signals)}`).toContain(features.difficulty);
  });

  it("covers enough prompts in both languages", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    const chinese = CASES.filter(({ request }) => /[\u4e00-\u9fff]/.test(JSON.stringify(request.messages)));
    expect(chinese.length).toBeGreaterThanOrEqual(10);
  });

  it("names what raised the estimate, strongest first", () => {
    const proof = autoFeatures(ask("Prove that there are infinitely many primes. Be rigorous."));
    expect(proof.signals[0]).toBe("proof");
    expect(proof.signals).toEqual(expect.arrayContaining(["math", "think-hard"]));
    const refactor = autoFeatures(CASES.find((c) => c.label === "refactor a 200-line module")!.request);
    expect(refactor.signals[0]).toBe("code");
    expect(refactor.signals).toContain("refactor");
    expect(autoFeatures(ask("hi")).signals).toEqual([]);
    expect(autoFeatures(chat([...PROOF_TURNS, "and the case p = 2?"])).signals).toContain("context-proof");
    expect(autoFeatures(ask("x", { reasoning_effort: "high" })).signals).toEqual(["reasoning-effort"]);
  });

  it("scores rise with the tier and stay in [0, 1)", () => {
    const byTier = new Map<Difficulty, number[]>(TIERS.map((tier) => [tier, []]));
    for (const { request } of CASES) {
      const { difficulty, score } = autoFeatures(request);
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThan(1);
      byTier.get(difficulty)!.push(score);
    }
    for (let t = 1; t < TIERS.length; t++) {
      expect(Math.min(...byTier.get(TIERS[t])!)).toBeGreaterThan(Math.max(...byTier.get(TIERS[t - 1])!));
    }
  });

  it("counts a CJK character as more than an ASCII letter", () => {
    // 400 Chinese characters are a long message; 400 ASCII letters are a short paragraph.
    const cjk = autoFeatures(ask(chineseArticle(400)));
    const ascii = autoFeatures(ask("a".repeat(10) + " the mill ground grain ".repeat(17)));
    expect(cjk.score).toBeGreaterThan(ascii.score);
  });
});

// ---------------------------------------------------------------------------------------------------------

const BASES = CASES.filter(({ request }) => request.messages.length === 1).map(
  ({ request }) => (request.messages[0] as { content: string }).content,
);
const REASONING_CUES = [
  "Think step by step.",
  "Think very carefully before answering.",
  "Analyze the trade-offs.",
  "Compare the alternatives and explain why.",
  "Prove it rigorously.",
  "请一步一步分析。",
  "请仔细思考，比较优缺点。",
  "Design it for a distributed, multi-region deployment.",
];
const CODE_ADDITIONS = [
  fenced("ts", typescriptModule(12)),
  fenced("python", pythonModule(90)),
  pythonModule(30),
  PYTHON_TRACEBACK,
  fenced("go", GO_DEADLOCK),
  "Also write the code for it in TypeScript.",
  typescriptModule(300),
];

describe("autoFeatures difficulty: monotonicity", () => {
  const base = fc.oneof(
    fc.constantFrom(...BASES),
    fc.string({ maxLength: 300 }),
    fc.string({ unit: "grapheme", maxLength: 100 }),
  );

  function expectNotLower(before: AutoRequest, after: AutoRequest) {
    const a = autoFeatures(before);
    const b = autoFeatures(after);
    expect(rank(b.difficulty)).toBeGreaterThanOrEqual(rank(a.difficulty));
    expect(b.score).toBeGreaterThanOrEqual(a.score);
  }

  it("adding a reasoning cue never lowers the tier or the score", () => {
    fc.assert(
      fc.property(base, fc.constantFrom(...REASONING_CUES), (text, cue) => {
        expectNotLower(ask(text), ask(`${text}\n${cue}`));
      }),
      { numRuns: 300 },
    );
  });

  it("adding code never lowers the tier or the score", () => {
    fc.assert(
      fc.property(base, fc.constantFrom(...CODE_ADDITIONS), (text, code) => {
        expectNotLower(ask(text), ask(`${text}\n${code}`));
      }),
      { numRuns: 300 },
    );
  });

  it("a harder ask in the same conversation never lowers the tier", () => {
    fc.assert(
      fc.property(fc.constantFrom(...BASES), fc.constantFrom(...REASONING_CUES), (text, cue) => {
        const history = ["hello", "Hi! How can I help?", "I have a question about databases", "Sure, go ahead."];
        expectNotLower(chat([...history, text]), chat([...history, `${text} ${cue}`]));
      }),
      { numRuns: 100 },
    );
  });

  it("reasoning_effort high never lowers the tier", () => {
    fc.assert(
      fc.property(fc.constantFrom(...BASES), (text) => {
        expectNotLower(ask(text), ask(text, { reasoning_effort: "high" }));
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------

describe("autoFeatures capability flags", () => {
  const tool = { type: "function", function: { name: "get_weather", parameters: { type: "object" } } };

  it.each([
    ["no tools", {}, false],
    ["tools", { tools: [tool] }, true],
    ["empty tools", { tools: [] }, false],
    ["tools null", { tools: null }, false],
    ["legacy functions", { functions: [{ name: "get_weather" }] }, true],
    ["empty functions", { functions: [] }, false],
    ["tool_choice required", { tool_choice: "required" }, true],
    ["tool_choice auto", { tool_choice: "auto" }, true],
    ["tool_choice named", { tool_choice: { type: "function", function: { name: "get_weather" } } }, true],
    ["tool_choice none", { tool_choice: "none" }, false],
    ["tool_choice null", { tool_choice: null }, false],
    ["function_call auto", { function_call: "auto" }, true],
    ["function_call none", { function_call: "none" }, false],
  ] as const)("needsTools: %s → %s", (_label, extra, expected) => {
    expect(autoFeatures(ask("what's the weather in Paris?", extra as Partial<AutoRequest>)).needsTools).toBe(expected);
  });

  it("needsTools when earlier turns called tools, even if this request offers none", () => {
    const withToolCall: AutoRequest = {
      messages: [
        { role: "user", content: "weather in Paris?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "c1", content: "18°C" },
        { role: "user", content: "and tomorrow?" },
      ],
    };
    expect(autoFeatures(withToolCall).needsTools).toBe(true);
    const legacy: AutoRequest = {
      messages: [
        { role: "assistant", content: null, function_call: { name: "f", arguments: "{}" } },
        { role: "function", name: "f", content: "1" },
        { role: "user", content: "ok" },
      ],
    };
    expect(autoFeatures(legacy).needsTools).toBe(true);
    expect(autoFeatures(ask("hi")).needsTools).toBe(false);
  });

  it.each([
    [
      "image_url part",
      [
        { type: "text", text: "what is this?" },
        { type: "image_url", image_url: { url: "https://x/a.png" } },
      ],
      true,
    ],
    ["input_image part", [{ type: "input_image", image_url: "data:image/png;base64,AAAA" }], true],
    ["image part", [{ type: "image", source: { type: "base64", data: "AAAA" } }], true],
    ["text parts only", [{ type: "text", text: "an image_url in text" }], false],
    ["string content", "describe image_url", false],
    ["audio part", [{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }], false],
  ] as const)("needsVision: %s → %s", (_label, content, expected) => {
    expect(autoFeatures(ask(content)).needsVision).toBe(expected);
  });

  it("needsVision for an image in any message, not only the last", () => {
    const request = chat(["x", "y", "and now?"]);
    (request.messages[0] as { content: unknown }).content = [
      { type: "image_url", image_url: { url: "https://x/a.png" } },
    ];
    expect(autoFeatures(request).needsVision).toBe(true);
  });

  it.each([
    ["json_object", { type: "json_object" }, true],
    ["json_schema", { type: "json_schema", json_schema: { name: "x", schema: {} } }, true],
    ["text", { type: "text" }, false],
    ["absent", undefined, false],
    ["null", null, false],
    ["a string", "json_object", false],
  ] as const)("needsJson: response_format %s → %s", (_label, responseFormat, expected) => {
    expect(autoFeatures(ask("list three colours", { response_format: responseFormat })).needsJson).toBe(expected);
  });
});

describe("autoFeatures userTurns", () => {
  it("counts user messages only", () => {
    expect(autoFeatures(ask("hi")).userTurns).toBe(1);
    expect(autoFeatures(chat(["a", "b", "c", "d", "e"], "sys")).userTurns).toBe(3);
    expect(autoFeatures({ messages: [{ role: "system", content: "only instructions" }] }).userTurns).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe("autoFeatures conversationKey", () => {
  const system = "You are a helpful assistant.";
  const turns = ["How do I parse JSON in Go?", "Use encoding/json …", "And streaming?", "Use json.Decoder …", "Thanks"];

  it("is the same on turn 1 and turn 5 of one conversation", () => {
    const keys = [1, 3, 5].map((n) => autoFeatures(chat(turns.slice(0, n), system)).conversationKey);
    expect(keys[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(keys).size).toBe(1);
  });

  it("differs for another first message or another system prompt", () => {
    const key = autoFeatures(chat(turns, system)).conversationKey;
    expect(autoFeatures(chat(["How do I parse YAML in Go?", ...turns.slice(1)], system)).conversationKey).not.toBe(key);
    expect(autoFeatures(chat(turns, "You are a pirate.")).conversationKey).not.toBe(key);
    expect(autoFeatures(chat(turns)).conversationKey).not.toBe(key);
    const developer = chat(turns);
    developer.messages.unshift({ role: "developer", content: "Answer in French." });
    expect(autoFeatures(developer).conversationKey).not.toBe(autoFeatures(chat(turns)).conversationKey);
  });

  it("ignores later turns, later system notes and whitespace at the ends", () => {
    const key = autoFeatures(chat(turns.slice(0, 1), system)).conversationKey;
    const later = chat([...turns, "one more thing", "Sure.", "Prove it rigorously."], system);
    later.messages.push({ role: "system", content: "Today is Tuesday." });
    expect(autoFeatures(later).conversationKey).toBe(key);
    expect(autoFeatures(chat([`  ${turns[0]}\n`], `\n${system}  `)).conversationKey).toBe(key);
  });

  it("treats string content and text parts alike, and includes image URLs", () => {
    const key = autoFeatures(chat(turns.slice(0, 1), system)).conversationKey;
    const parts: AutoRequest = {
      messages: [
        { role: "system", content: [{ type: "text", text: system }] },
        { role: "user", content: [{ type: "text", text: turns[0] }] },
      ],
    };
    expect(autoFeatures(parts).conversationKey).toBe(key);

    const withImage = (url: string) =>
      autoFeatures(
        ask([
          { type: "text", text: "what is in this picture?" },
          { type: "image_url", image_url: { url } },
        ]),
      ).conversationKey;
    expect(withImage("https://x/a.png")).toBe(withImage("https://x/a.png"));
    expect(withImage("https://x/a.png")).not.toBe(withImage("https://x/b.png"));
  });

  it("tells apart large images that share their header, trailer and length", () => {
    const header = "data:image/png;base64,iVBORw0KGgo" + "A".repeat(100_000);
    const trailer = "B".repeat(100_000) + "AAAAAElFTkSuQmCC";
    const image = (middle: string) =>
      autoFeatures(ask([{ type: "image_url", image_url: { url: header + middle + trailer } }])).conversationKey;
    expect(image("x".repeat(400_000))).not.toBe(image("y".repeat(400_000)));
    expect(image("x".repeat(400_000))).toBe(image("x".repeat(400_000)));
  });

  it("handles null content and a conversation without a user message", () => {
    const request: AutoRequest = {
      messages: [
        { role: "system", content: null },
        { role: "user", content: null },
      ],
    };
    expect(autoFeatures(request).conversationKey).toMatch(/^[0-9a-f]{64}$/);
    expect(autoFeatures({ messages: [{ role: "system", content: "x" }] }).conversationKey).toMatch(/^[0-9a-f]{64}$/);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe("autoFeatures robustness", () => {
  it("never throws on any request that passed validation, and always answers in range", () => {
    const message = fc.record(
      {
        role: fc.oneof(fc.constantFrom("system", "developer", "user", "assistant", "tool", "function"), fc.string()),
        content: fc.oneof(
          fc.string(),
          fc.constant(null),
          fc.array(
            fc.oneof(
              fc.record({ type: fc.constantFrom("text", "image_url", "image", "x"), text: fc.anything() }),
              fc.anything(),
            ),
          ),
          fc.anything(),
        ),
        tool_calls: fc.anything(),
        function_call: fc.anything(),
      },
      { requiredKeys: ["role"] },
    );
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 8 }),
        fc.record(
          {
            tools: fc.anything(),
            functions: fc.anything(),
            tool_choice: fc.anything(),
            function_call: fc.anything(),
            response_format: fc.anything(),
            reasoning_effort: fc.anything(),
          },
          { requiredKeys: [] },
        ),
        (messages, extra) => {
          const features = autoFeatures({ messages, ...extra });
          expect(TIERS).toContain(features.difficulty);
          expect(features.score).toBeGreaterThanOrEqual(0);
          expect(features.score).toBeLessThan(1);
          expect(features.conversationKey).toMatch(/^[0-9a-f]{64}$/);
          expect(typeof features.needsTools).toBe("boolean");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("accepts an empty messages array and non-object messages", () => {
    expect(autoFeatures({ messages: [] }).difficulty).toBe("simple");
    expect(autoFeatures({ messages: [null, 3, "x", [], { role: "user", content: "hi" }] }).userTurns).toBe(1);
    expect(autoFeatures({ messages: [{ role: "user" }] }).difficulty).toBe("simple");
    expect(autoFeatures({ messages: [{ role: "user", content: 42 }] }).difficulty).toBe("simple");
    expect(autoFeatures({ messages: [{ role: "user", content: { text: "prove it" } }] }).difficulty).toBe("simple");
    expect(autoFeatures({ messages: [{ role: "user", content: [{ type: "text", text: 7 }] }] }).difficulty).toBe(
      "simple",
    );
  });

  it("reads a huge last message in bounded time and still sees its size and its ask", () => {
    const code = typescriptModule(60_000); // ≈ 3.6 MB
    const started = performance.now();
    const features = autoFeatures(ask(`Refactor this module:\n${code}`));
    const elapsedMs = performance.now() - started;
    expect(code.length).toBeGreaterThan(ASK_SAMPLE_CHARS * 50);
    expect(features.signals).toEqual(expect.arrayContaining(["code", "long-code", "refactor"]));
    expect(features.difficulty).toBe("expert");
    expect(elapsedMs).toBeLessThan(250); // unbounded, this is seconds; bounded, a few ms (bench/auto-features.ts)
  });

  it("has no pattern that backtracks badly on hostile lines", () => {
    // Each of these makes a naive pattern (e.g. /at\s+\S+.*:\d+/, /^\s*(x)?\s*…$/, /\$[^$]*=[^$]*\$/) take
    // seconds on a 16 kB line; linear ones take well under a millisecond.
    const n = 16_000;
    const hostile = [
      " ".repeat(n) + "x",
      "at " + "a".repeat(n),
      "at " + "a:".repeat(n / 2),
      "$" + "a=".repeat(n / 2),
      "class A {" + " ".repeat(n) + "x",
      'File "' + "a".repeat(n),
      "a.ts" + " ".repeat(n) + "x",
      "a.".repeat(n / 2) + "Erro",
      "for " + "a,".repeat(n / 2),
      "write " + "a ".repeat(n / 2),
      "\\frac".repeat(n / 5),
      "=".repeat(n),
    ];
    for (const line of hostile) {
      autoFeatures(ask(line)); // warm-up: the first call compiles the patterns
      const started = performance.now();
      autoFeatures({
        messages: [
          { role: "system", content: line },
          { role: "assistant", content: line },
          { role: "user", content: line },
        ],
      });
      expect(performance.now() - started, line.slice(0, 20)).toBeLessThan(100);
    }
  });

  it("reads thousands of long turns and 300,000 content parts in bounded time", () => {
    const turns = Array.from({ length: 4_000 }, (_, i) => (i % 2 ? chineseArticle(1_000) : englishDocument(300)));
    let started = performance.now();
    const long = autoFeatures(chat([...turns, "ok, next question: what is 2 + 2?"]));
    expect(performance.now() - started).toBeLessThan(250);
    expect(long.signals).toContain("long-context");
    expect(long.userTurns).toBe(2_001);

    const parts = Array.from({ length: 300_000 }, (_, i) => ({ type: "text", text: `w${i}` }));
    parts.push({ type: "image_url", image_url: { url: "https://x/a.png" } } as never);
    started = performance.now();
    const tiny = autoFeatures(ask(parts));
    expect(performance.now() - started).toBeLessThan(250);
    expect(tiny.needsVision).toBe(true);
  });
});

// `model: "auto"` decision time: features of the request (difficulty, needs, conversation key) plus
// the router's choice over the seeded catalogue, per request shape. Run: npx tsx bench/auto-router.ts
import { usdToNanos } from "@/lib/billing/money";
import { autoFeatures } from "@/lib/gateway/auto/features";
import { routeAuto, type AutoCandidate } from "@/lib/gateway/auto/router";
import { SEED_MODELS } from "@/lib/db/seed";

const candidates: AutoCandidate[] = SEED_MODELS.map((m) => ({
  id: m.id,
  qualityTier: m.qualityTier,
  inputPriceNanos: usdToNanos(m.inputPriceUsd),
  outputPriceNanos: usdToNanos(m.outputPriceUsd),
  contextWindow: m.contextWindow,
  outputCap: m.defaultMaxOutputTokens,
  supportsTools: m.tools,
  supportsVision: m.vision,
  supportsJson: m.json,
  available: true,
  latencyMs: 300,
  errorRate: 0,
}));

const code = "```ts\n" + "export function add(a: number, b: number) { return a + b; }\n".repeat(60) + "```";
const shapes: Array<[string, { messages: unknown[]; tools?: unknown }]> = [
  ["greeting", { messages: [{ role: "user", content: "Hi!" }] }],
  [
    "question, 3 turns",
    {
      messages: [
        { role: "system", content: "You are helpful." },
        { role: "user", content: "What is TCP slow start?" },
        { role: "assistant", content: "It is how TCP probes the network's capacity." },
        { role: "user", content: "And how does it interact with congestion avoidance? Explain step by step." },
      ],
    },
  ],
  ["refactor with 60 lines of code", { messages: [{ role: "user", content: `Refactor this module:\n${code}` }] }],
  ["20 kB prompt", { messages: [{ role: "user", content: "Analyze the trade-offs. ".repeat(900) }] }],
  ["1 MB prompt", { messages: [{ role: "user", content: "Summarize this document please. ".repeat(33_000) }] }],
  [
    "tools",
    {
      messages: [{ role: "user", content: "What's the weather in Paris?" }],
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
    },
  ],
];

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

console.log("| request | decision p50 (ms) | p99 (ms) | picked |");
console.log("| --- | ---: | ---: | --- |");
for (const [name, request] of shapes) {
  const iterations = name.includes("MB") ? 50 : 5_000;
  const times: number[] = [];
  let picked = "";
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    const features = autoFeatures(request);
    const decision = routeAuto({
      variant: "balanced",
      needs: {
        difficulty: features.difficulty,
        tools: features.needsTools,
        vision: features.needsVision,
        json: features.needsJson,
        promptTokens: 500,
      },
      candidates,
    });
    times.push(performance.now() - start);
    if (decision.ok) picked = `${decision.order[0]} (${features.difficulty})`;
  }
  times.sort((a, b) => a - b);
  console.log(`| ${name} | ${percentile(times, 50).toFixed(3)} | ${percentile(times, 99).toFixed(3)} | ${picked} |`);
}

// Decision time of the `model: "auto"` feature extraction (lib/gateway/auto/features.ts): p50/p99 of
// autoFeatures() for several prompt shapes and sizes, from a greeting to the largest bodies /v1 accepts.
// Pure CPU, no services.  npx tsx bench/auto-features.ts [--seconds-per-shape 1]
import { parseArgs } from "node:util";
import { autoFeatures, type AutoRequest } from "../lib/gateway/auto/features";

const { values } = parseArgs({ options: { "seconds-per-shape": { type: "string", default: "1" } } });
const budgetMs = Number(values["seconds-per-shape"]) * 1000;

const CODE_BLOCK = [
  "export async function loadOrder(db: Db, id: string): Promise<Order | null> {",
  '  const row = await db.query("select * from orders where id = $1", [id]);',
  "  if (!row) return null;",
  "  return { id: row.id, amountCents: Number(row.amount_cents) };",
  "}",
  "",
].join("\n");
const PROSE = "The town grew around a river crossing, and farmers brought grain to the mill every autumn. ";
const CJK = "城市的发展离不开交通的改善，过去十年里地铁线路不断延伸，居民的通勤时间明显缩短。";

const repeatTo = (unit: string, chars: number) => unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);
const user = (content: unknown): AutoRequest => ({ messages: [{ role: "user", content }] });
const conversation = (turns: number, chars: number): AutoRequest => ({
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    ...Array.from({ length: turns }, (_, i) => ({
      role: i % 2 === 0 ? "user" : "assistant",
      content: repeatTo(i % 4 < 2 ? PROSE : CJK, chars),
    })),
    { role: "user", content: "Compare the two approaches above and explain the trade-offs step by step." },
  ],
});

const SHAPES: [string, () => AutoRequest][] = [
  ["greeting", () => user("hi")],
  ["question 300 chars", () => user(repeatTo(PROSE, 250) + " Explain why, step by step?")],
  ["zh question 300 chars", () => user(repeatTo(CJK, 280) + "请一步一步分析原因。")],
  ["chat 10 turns × 500 chars", () => conversation(10, 500)],
  ["code 20 kB + refactor", () => user(`Refactor this module:\n\`\`\`ts\n${repeatTo(CODE_BLOCK, 20_000)}\n\`\`\``)],
  ["prose 20 kB + summarise", () => user(`${repeatTo(PROSE, 20_000)}\nSummarize the text above.`)],
  ["zh 20 kB", () => user(`${repeatTo(CJK, 20_000)}\n请总结并分析上文。`)],
  [
    "tools + image + json",
    () => ({
      ...user([
        { type: "text", text: "What is in this picture?" },
        { type: "image_url", image_url: { url: "https://example.com/a.png" } },
      ]),
      tools: [{ type: "function", function: { name: "f" } }],
      response_format: { type: "json_object" },
    }),
  ],
  ["code 2 MB", () => user(`Refactor this:\n${repeatTo(CODE_BLOCK, 2_000_000)}`)],
  ["zh 4 MB", () => user(repeatTo(CJK, 4_000_000))],
  [
    "image 19 MiB data URL",
    () =>
      user([
        { type: "text", text: "describe" },
        {
          type: "image_url",
          image_url: { url: `data:image/png;base64,${repeatTo("iVBORw0KGgoAAAANSUhEUg", 19 * 2 ** 20)}` },
        },
      ]),
  ],
  ["history 4,000 × 2 kB", () => conversation(4_000, 2_000)],
  ["history 10,000 × 2 kB", () => conversation(10_000, 2_000)],
  ["300,000 tiny text parts", () => user(Array.from({ length: 300_000 }, (_, i) => ({ type: "text", text: `w${i}` })))],
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// Wall time includes whatever else this shared machine runs (a preempted call shows up in p99); CPU time
// (process.cpuUsage, µs resolution, includes GC threads) is what the decision itself costs.
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const fixed = (ms: number, digits = 3) => ms.toFixed(digits).padStart(9);

console.log("shape                          runs  wall p50  wall p99   cpu p50   cpu p99   (ms)  tier      signals");
for (const [name, build] of SHAPES) {
  const request = build();
  const features = autoFeatures(request); // warm-up (and the answer shown)
  for (let i = 0; i < 20; i++) autoFeatures(request);
  const wall: number[] = [];
  const cpu: number[] = [];
  const started = performance.now();
  while ((performance.now() - started < budgetMs || wall.length < 20) && wall.length < 100_000) {
    const c0 = cpuMs();
    const t0 = performance.now();
    autoFeatures(request);
    wall.push(performance.now() - t0);
    cpu.push(cpuMs() - c0);
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(28)} ${String(wall.length).padStart(6)} ${fixed(percentile(wall, 50))} ${fixed(percentile(wall, 99))} ${fixed(percentile(cpu, 50))} ${fixed(percentile(cpu, 99))}         ${features.difficulty.padEnd(9)} ${features.signals.join(",")}`,
  );
}

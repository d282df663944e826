// How long the largest accepted /v1 bodies block the event loop, step by step.
//   npx tsx bench/body-block.ts            (all shapes; RUNS=3 by default, the table shows the median)
//   SHAPES=image,text RUNS=5 npx tsx bench/body-block.ts
//   TARGET_MIB=1 npx tsx bench/body-block.ts   (bodies at the worker threshold: what runs inline)
// Each step is the synchronous work the gateway does on the main thread before the upstream call.
// "pooled" is the same body handed to the body worker pool (body-pool.ts): the longest synchronous
// stretch the main thread ran meanwhile (sending the bytes, receiving the result; event-loop delay at
// 1 ms resolution), building the upstream JSON from the prepared body, and the pool's latency.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseChatRequest, parseEmbeddingsRequest } from "@/lib/gateway/chat-request";
import { embeddingInputUpperBound, estimateTokens, promptTokenUpperBound } from "@/lib/gateway/tokens";

const MiB = 1024 * 1024;
const TARGET_BYTES = Number(process.env.TARGET_MIB ?? 19) * MiB; // the largest accepted is just under 20 MiB
const SCALE = TARGET_BYTES / (19 * MiB);
const RUNS = Number(process.env.RUNS ?? 3);
const CONTEXT_WINDOW = 10_000_000; // large, so the bound does its full work instead of capping early

interface Shape {
  name: string;
  kind: "chat" | "embeddings";
  build(): Buffer;
}

const SHAPES: Shape[] = [
  {
    name: "image: one base64 data URL",
    kind: "chat",
    build: () =>
      json({
        model: "m",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "What is in this picture?" },
              { type: "image_url", image_url: { url: `data:image/png;base64,${"iVBORw0K".repeat(TARGET_BYTES / 8)}` } },
            ],
          },
        ],
      }),
  },
  {
    name: "messages: 10,000 of equal size",
    kind: "chat",
    build: () => {
      const text = "The quick brown fox jumps over the lazy dog. ".repeat(Math.floor(TARGET_BYTES / 10_000 / 45));
      return json({
        model: "m",
        messages: Array.from({ length: 10_000 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: text })),
      });
    },
  },
  {
    name: "content parts: 70 tiny parts per message",
    kind: "chat",
    build: () => {
      const parts = Array.from({ length: 70 }, () => ({ type: "text", text: "hi" }));
      return json({
        model: "m",
        messages: Array.from({ length: Math.round(10_000 * SCALE) }, () => ({ role: "user", content: parts })),
      });
    },
  },
  {
    name: "tools: 512 with big schemas",
    kind: "chat",
    build: () => {
      const properties = Object.fromEntries(
        Array.from({ length: Math.max(1, Math.round(330 * SCALE)) }, (_, i) => [
          `field_${i}`,
          { type: "string", description: "A property of the thing, described at some length.", enum: ["a", "b"] },
        ]),
      );
      const tools = Array.from({ length: 512 }, (_, i) => ({
        type: "function",
        function: { name: `tool_${i}`, description: "Does things.", parameters: { type: "object", properties } },
      }));
      return json({ model: "m", messages: [{ role: "user", content: "hi" }], tools });
    },
  },
  {
    name: "text: CJK + NFKC-expanding",
    kind: "chat",
    build: () => {
      const unit = "你好世界，今天天气很好。こんにちは안녕하세요क़ख़ग़\uFDFA①ｶ";
      const count = Math.floor(TARGET_BYTES / Buffer.byteLength(unit));
      return json({ model: "m", messages: [{ role: "user", content: unit.repeat(count) }] });
    },
  },
  {
    name: "depth: 32 levels everywhere",
    kind: "chat",
    build: () => {
      // body(1) > messages(2) > message(3) > content(4) > part(5) > 27 nested objects = 32 levels
      let nested: unknown = 1;
      for (let i = 0; i < 27; i++) nested = { a: nested };
      const part = { type: "text", text: "x", extra: nested };
      const perMessage = 100;
      const partBytes = JSON.stringify(part).length + 1;
      const messages = Math.floor(TARGET_BYTES / (partBytes * perMessage + 40));
      return json({
        model: "m",
        messages: Array.from({ length: messages }, () => ({ role: "user", content: Array(perMessage).fill(part) })),
      });
    },
  },
  {
    name: "embeddings: 2,048 strings",
    kind: "embeddings",
    build: () => {
      const text = "Embeddings turn text into vectors: 向量. ".repeat(Math.floor(TARGET_BYTES / 2048 / 44));
      return json({ model: "e", input: Array(2048).fill(text) });
    },
  },
  {
    name: "embeddings: 2,048 token arrays",
    kind: "embeddings",
    build: () => {
      const ids = Array.from({ length: Math.floor(TARGET_BYTES / 2048 / 6) }, (_, i) => 10_000 + (i % 90_000));
      return json({ model: "e", input: Array(2048).fill(ids) });
    },
  },
];

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** Median and max wall time of `runs` calls of `step`, plus its last result. */
function time<T>(step: () => T): { median: number; max: number; result: T } {
  const times: number[] = [];
  let result!: T;
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    result = step();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], max: times[times.length - 1], result };
}

// The realistic embeddings estimate of lib/gateway/embeddings.ts (tokens-per-minute limits).
function estimateEmbeddingTokens(input: unknown): number {
  const items: unknown[] = Array.isArray(input) ? input : [input];
  return items.reduce<number>(
    (sum, item) => sum + (typeof item === "string" ? estimateTokens(item) : Array.isArray(item) ? item.length : 1),
    0,
  );
}

type Optional = {
  scanJson?: (bytes: Uint8Array, maxDepth: number) => unknown;
  prepared?: { upstreamJsonChunks(prepared: any, options: { set: Record<string, unknown> }): Uint8Array[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
  pool?: {
    prepareChatBody(bytes: Buffer): Promise<unknown>;
    prepareEmbeddingsBody(bytes: Buffer): Promise<unknown>;
    warm(): Promise<void>;
    close(): Promise<void>;
  };
};

async function loadOptional(): Promise<Optional> {
  const optional: Optional = {};
  try {
    optional.scanJson = (await import("@/lib/gateway/json-guard")).scanJson;
  } catch {
    /* before the depth scan existed */
  }
  try {
    optional.pool = await import("@/lib/gateway/body-pool");
    optional.prepared = await import("@/lib/gateway/prepared-body");
  } catch {
    /* before the worker pool existed */
  }
  return optional;
}

/** The longest stretch the main thread was busy while `work` ran (event-loop delay at 1 ms resolution). */
async function longestBlock(work: () => Promise<unknown>): Promise<{ blockMs: number; totalMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const started = performance.now();
  await work();
  const totalMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 5)); // let the timer record a block that just ended
  histogram.disable();
  return { blockMs: histogram.max / 1e6, totalMs };
}

async function main() {
  const optional = await loadOptional();
  await optional.pool?.warm();
  const wanted = process.env.SHAPES?.split(",");
  const rows: string[][] = [];
  const strict = new TextDecoder("utf-8", { fatal: true });
  for (const shape of SHAPES.filter((s) => !wanted || wanted.some((w) => s.name.startsWith(w)))) {
    const bytes = shape.build();
    const cells: Record<string, number | undefined> = {};
    cells.decode = time(() => (optional.scanJson ? strict.decode(bytes) : bytes.toString("utf8"))).median;
    if (optional.scanJson) cells.scan = time(() => optional.scanJson!(bytes, 32)).median;
    const text = bytes.toString("utf8");
    const parsed = time(() => JSON.parse(text) as Record<string, unknown>);
    cells.parse = parsed.median;
    if (shape.kind === "chat") {
      const validated = time(() => parseChatRequest(parsed.result));
      cells.validate = validated.median;
      const body = validated.result;
      cells.bound = time(() => promptTokenUpperBound(body, CONTEXT_WINDOW)).median;
      cells.estimate = time(() => estimateTokens(JSON.stringify(body.messages))).median;
      // Re-serialising the parsed body, as an inline path would (the pooled path sends the client's bytes).
      cells.upstream = time(() => JSON.stringify({ ...body, model: "upstream-model", max_tokens: 1000 })).median;
    } else {
      const validated = time(() => parseEmbeddingsRequest(parsed.result));
      cells.validate = validated.median;
      const body = validated.result;
      cells.bound = time(() => embeddingInputUpperBound(body.input, 8192)).median;
      cells.estimate = time(() => estimateEmbeddingTokens(body.input)).median;
      cells.upstream = time(() => JSON.stringify({ ...body, model: "upstream-model" })).median;
    }
    if (optional.pool && optional.prepared) {
      const { pool, prepared: helpers } = optional;
      const samples: { blockMs: number; totalMs: number }[] = [];
      let prepared: unknown;
      for (let run = 0; run < RUNS; run++) {
        const copy = Buffer.from(bytes); // a fresh buffer, as read from the socket: transferred, not copied
        samples.push(
          await longestBlock(async () => {
            prepared = await (shape.kind === "chat" ? pool.prepareChatBody(copy) : pool.prepareEmbeddingsBody(copy));
          }),
        );
      }
      samples.sort((a, b) => a.blockMs - b.blockMs);
      cells.pooledBlock = samples[Math.floor(samples.length / 2)].blockMs;
      cells.pooledTotal = samples[Math.floor(samples.length / 2)].totalMs;
      cells.pooledUpstream = time(() =>
        helpers.upstreamJsonChunks(prepared, { set: { model: "upstream-model", max_tokens: 1000 } }),
      ).median;
    }
    const steps = ["decode", "scan", "parse", "validate", "bound", "estimate", "upstream"];
    // readJsonBody and spec.parse run back to back, with no await on I/O between them.
    const stretch = ["decode", "scan", "parse", "validate"].reduce((sum, k) => sum + (cells[k] ?? 0), 0);
    rows.push([
      shape.name,
      (bytes.length / MiB).toFixed(1),
      ...steps.map((k) => fmt(cells[k])),
      fmt(Math.max(...steps.map((k) => cells[k] ?? 0))),
      fmt(stretch),
      fmt(cells.pooledBlock),
      fmt(cells.pooledUpstream),
      fmt(cells.pooledTotal),
    ]);
    console.error(`done: ${shape.name}`);
  }
  await optional.pool?.close();
  const header = [
    "shape",
    "MiB",
    "decode",
    "depth scan",
    "JSON.parse",
    "zod",
    "prompt bound",
    "TPM estimate",
    "upstream stringify",
    "worst inline step",
    "inline read+parse stretch",
    "pooled: longest main-thread block",
    "pooled: upstream JSON chunks",
    "pooled: latency",
  ];
  console.log(`\nms per step (median of ${RUNS}), Node ${process.version}\n`);
  console.log(`| ${header.join(" | ")} |`);
  console.log(`| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
}

function fmt(value: number | undefined): string {
  return value === undefined ? "—" : value < 10 ? value.toFixed(1) : value.toFixed(0);
}

void main();

import type { Difficulty } from "./features";

// `model: "auto"`: which model serves this request. Pure: the caller gives the candidates (enabled,
// priced, allowed for the key, served by a channel) with their live health, and what the request
// needs; this decides and says why. No I/O, no model call: microseconds per decision.
//
//   1. hard filters from the request: tools → tool-capable, images → vision, JSON mode → JSON-capable,
//      prompt estimate + output cap within the context window;
//   2. the difficulty tier (features.ts) sets the quality tier a model needs; the variant moves it:
//      cheap and fast accept one tier less, best takes the highest tier in rotation;
//   3. among the models that fit: balanced and cheap take the lowest expected cost, fast the lowest
//      live latency; health (error rate, out of rotation) and then price break ties.
// A conversation stays on the model of its first turn (provider prompt caches stay warm) while that
// model is in rotation and still meets the hard filters. The rest of the fitting models follow as
// fallbacks, in the same order (or, with an explicit `models` list, in the list's order).

export type AutoVariant = "cheap" | "balanced" | "best" | "fast";

/** The public model ids of the router, and the variant each names. */
export const AUTO_MODEL_IDS: Readonly<Record<string, AutoVariant>> = {
  auto: "balanced",
  "auto:balanced": "balanced",
  "auto:cheap": "cheap",
  "auto:best": "best",
  "auto:fast": "fast",
};

/** One line per variant, for /v1/models, the pricing page and the docs. */
export const AUTO_VARIANT_DESCRIPTIONS: Readonly<Record<string, string>> = {
  auto: "Picks the cheapest model good enough for the request's difficulty and needs (tools, images, JSON, context length).",
  "auto:cheap": "Like auto, but accepts a model one quality tier lower to spend less.",
  "auto:best": "Takes the highest-quality model that is healthy right now.",
  "auto:fast": "Takes the model with the lowest live latency among those good enough (one tier of slack).",
};

export function autoVariant(modelId: string): AutoVariant | null {
  return AUTO_MODEL_IDS[modelId] ?? null;
}

/** The quality tier (1 basic … 5 frontier) a request of this difficulty needs. */
export const REQUIRED_TIER: Readonly<Record<Difficulty, number>> = { simple: 2, moderate: 3, complex: 4, expert: 5 };

export interface AutoCandidate {
  id: string;
  qualityTier: number;
  inputPriceNanos: bigint; // per 1M tokens
  outputPriceNanos: bigint;
  contextWindow: number;
  /** The output cap this request would get on this model (the client's, clamped, or the model's default). */
  outputCap: number;
  supportsTools: boolean;
  supportsVision: boolean;
  supportsJson: boolean;
  /** At least one of its channels is in rotation on this instance. */
  available: boolean;
  /** Live typical latency (ms to the first token), null when unknown. */
  latencyMs: number | null;
  /** Live share of failed upstream attempts, 0..1. */
  errorRate: number;
}

export interface AutoNeeds {
  difficulty: Difficulty;
  tools: boolean;
  vision: boolean;
  json: boolean;
  /** A realistic estimate of the prompt's tokens. */
  promptTokens: number;
}

export interface AutoInput {
  variant: AutoVariant;
  needs: AutoNeeds;
  candidates: readonly AutoCandidate[];
  /** The request's `models` list: only these, the router's pick first, the others as fallbacks in order. */
  requested?: readonly string[] | null;
  /** The model this conversation started on, if any. */
  sticky?: string | null;
}

export type Unmet = "tools" | "vision" | "json" | "context_length" | "models";

export type AutoDecision = { ok: true; order: string[]; reason: string } | { ok: false; unmet: Unmet; message: string };

const UNMET_MESSAGES: Record<Unmet, string> = {
  tools: "No model available for auto routing supports tool calls.",
  vision: "No model available for auto routing accepts images.",
  json: "No model available for auto routing supports JSON output (response_format).",
  context_length: "No model available for auto routing has a context window large enough for this request.",
  models: "None of the models listed in `models` is available for this request.",
};

// Output tokens a typical answer costs, for comparing prices (the cap itself is a bound, not a guess).
const TYPICAL_OUTPUT_TOKENS = 1_024;
// A model failing this often is only chosen when nothing healthier fits.
const UNHEALTHY_ERROR_RATE = 0.5;

export function routeAuto(input: AutoInput): AutoDecision {
  const { needs } = input;
  let pool = [...input.candidates];
  if (input.requested && input.requested.length > 0) {
    const listed = new Set(input.requested);
    pool = pool.filter((c) => listed.has(c.id));
    if (pool.length === 0) return unmet("models");
  }
  // Hard filters, each named when it is the one no model meets.
  const filters: Array<[Unmet, boolean, (c: AutoCandidate) => boolean]> = [
    ["tools", needs.tools, (c) => c.supportsTools],
    ["vision", needs.vision, (c) => c.supportsVision],
    ["json", needs.json, (c) => c.supportsJson],
    ["context_length", true, (c) => needs.promptTokens + c.outputCap <= c.contextWindow],
  ];
  for (const [name, applies, fits] of filters) {
    if (!applies) continue;
    pool = pool.filter(fits);
    if (pool.length === 0) return unmet(name);
  }

  const healthy = pool.filter((c) => c.available && c.errorRate < UNHEALTHY_ERROR_RATE);
  const inRotation = healthy.length > 0 ? healthy : pool.filter((c) => c.available);
  // Nothing in rotation: keep trying them all rather than refuse (a breaker can be wrong).
  const choosable = inRotation.length > 0 ? inRotation : pool;

  if (input.sticky) {
    const sticky = choosable.find((c) => c.id === input.sticky);
    if (sticky) return decided(sticky, pool, input, "sticky");
  }

  const { variant } = input;
  if (variant === "best") {
    const best = [...choosable].sort(
      (a, b) => b.qualityTier - a.qualityTier || byHealth(a, b) || byCost(needs)(a, b),
    )[0];
    return decided(best, pool, input, "best-available");
  }

  const slack = variant === "cheap" || variant === "fast" ? 1 : 0;
  const required = Math.max(1, REQUIRED_TIER[needs.difficulty] - slack);
  const capable = choosable.filter((c) => c.qualityTier >= required);
  if (capable.length === 0) {
    // Nothing good enough is in rotation: the best there is, then the cheapest of that tier.
    const top = Math.max(...choosable.map((c) => c.qualityTier));
    const fallback = choosable.filter((c) => c.qualityTier === top).sort(byCost(needs))[0];
    return decided(fallback, pool, input, "best-available");
  }
  if (variant === "fast") {
    return decided(
      [...capable].sort((a, b) => byLatency(a, b) || byCost(needs)(a, b))[0],
      pool,
      input,
      "fastest-capable",
    );
  }
  return decided(
    [...capable].sort((a, b) => byCost(needs)(a, b) || byHealth(a, b))[0],
    pool,
    input,
    "cheapest-capable",
  );
}

/** The chosen model first, then the fallbacks: the `models` list's order, else capable-and-cheap first. */
function decided(chosen: AutoCandidate, pool: AutoCandidate[], input: AutoInput, reason: string): AutoDecision {
  const rest = pool.filter((c) => c.id !== chosen.id);
  let fallbacks: AutoCandidate[];
  if (input.requested && input.requested.length > 0) {
    const position = new Map(input.requested.map((id, i) => [id, i]));
    fallbacks = rest.sort((a, b) => position.get(a.id)! - position.get(b.id)!);
  } else {
    const required = REQUIRED_TIER[input.needs.difficulty];
    fallbacks = rest.sort(
      (a, b) =>
        Number(b.available) - Number(a.available) ||
        Number(b.qualityTier >= required) - Number(a.qualityTier >= required) ||
        byCost(input.needs)(a, b),
    );
  }
  return { ok: true, order: [chosen.id, ...fallbacks.map((c) => c.id)], reason };
}

function unmet(name: Unmet): AutoDecision {
  return { ok: false, unmet: name, message: UNMET_MESSAGES[name] };
}

/** What a typical answer to this request would cost on the model (nano-USD × 1M, compared only). */
function expectedCost(c: AutoCandidate, needs: AutoNeeds): bigint {
  const output = Math.min(c.outputCap, TYPICAL_OUTPUT_TOKENS);
  return BigInt(needs.promptTokens) * c.inputPriceNanos + BigInt(output) * c.outputPriceNanos;
}

function byCost(needs: AutoNeeds) {
  return (a: AutoCandidate, b: AutoCandidate): number => {
    const diff = expectedCost(a, needs) - expectedCost(b, needs);
    return diff < 0n ? -1 : diff > 0n ? 1 : 0;
  };
}

function byHealth(a: AutoCandidate, b: AutoCandidate): number {
  return a.errorRate - b.errorRate || byLatency(a, b);
}

function byLatency(a: AutoCandidate, b: AutoCandidate): number {
  // Unknown latency sorts after known: a model we have measured as fast beats a guess.
  return (a.latencyMs ?? Number.MAX_SAFE_INTEGER) - (b.latencyMs ?? Number.MAX_SAFE_INTEGER);
}

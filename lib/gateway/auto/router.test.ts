import { describe, expect, it } from "vitest";
import { usdToNanos } from "@/lib/billing/money";
import { routeAuto, type AutoCandidate, type AutoInput, type AutoNeeds } from "./router";

// The seeded catalogue (lib/db/seed.ts) as the router sees it: tiers, prices, capabilities.
function model(
  id: string,
  tier: number,
  inputUsd: string,
  outputUsd: string,
  caps: { tools?: boolean; vision?: boolean; json?: boolean; context?: number } = {},
): AutoCandidate {
  return {
    id,
    qualityTier: tier,
    inputPriceNanos: usdToNanos(inputUsd),
    outputPriceNanos: usdToNanos(outputUsd),
    contextWindow: caps.context ?? 128_000,
    outputCap: 4_096,
    supportsTools: caps.tools ?? true,
    supportsVision: caps.vision ?? false,
    supportsJson: caps.json ?? true,
    available: true,
    latencyMs: null,
    errorRate: 0,
  };
}

const SEEDED: AutoCandidate[] = [
  model("deepseek-v3", 3, "0.14", "0.28"),
  model("deepseek-r1", 4, "0.55", "2.19", { tools: false, json: false }),
  model("kimi-k2", 4, "0.20", "0.60", { context: 131_072 }),
  model("glm-4-plus", 3, "0.15", "0.50"),
  model("qwen-max", 4, "0.16", "0.64", { context: 32_768 }),
  model("gpt-4o", 5, "2.50", "10.00", { vision: true }),
  model("claude-sonnet", 5, "3.00", "15.00", { vision: true, json: false, context: 200_000 }),
];

const needs = (overrides: Partial<AutoNeeds> = {}): AutoNeeds => ({
  difficulty: "simple",
  tools: false,
  vision: false,
  json: false,
  promptTokens: 50,
  ...overrides,
});

function pick(input: Partial<AutoInput> & { needs?: AutoNeeds }) {
  const decision = routeAuto({ variant: "balanced", candidates: SEEDED, needs: needs(), ...input });
  if (!decision.ok) throw new Error(`no route: ${decision.unmet}`);
  return decision;
}

describe("routeAuto: the routing table", () => {
  it.each([
    // difficulty → variant → expected pick (why)
    ["simple", "balanced", "deepseek-v3"], // cheapest model of tier ≥ 2
    ["moderate", "balanced", "deepseek-v3"], // tier 3 is enough, and it is the cheapest
    ["complex", "balanced", "kimi-k2"], // tier ≥ 4: kimi's $0.60 output beats qwen's $0.64 and r1's $2.19
    ["expert", "balanced", "gpt-4o"], // tier 5: the cheaper of gpt-4o and claude-sonnet
    ["complex", "cheap", "deepseek-v3"], // one tier of slack: tier 3 is enough
    ["expert", "cheap", "kimi-k2"], // tier 4 accepted
    ["simple", "best", "gpt-4o"], // highest tier whatever the difficulty (ties: cheaper)
    ["simple", "cheap", "deepseek-v3"],
  ] as const)("a %s request with auto:%s goes to %s", (difficulty, variant, expected) => {
    const decision = pick({ variant, needs: needs({ difficulty }) });
    expect(decision.order[0]).toBe(expected);
  });

  it("says why in the reason", () => {
    expect(pick({}).reason).toBe("cheapest-capable");
    expect(pick({ variant: "best" }).reason).toBe("best-available");
    expect(pick({ variant: "fast" }).reason).toBe("fastest-capable");
  });

  it("never gives a tool call to a model without tools", () => {
    for (const difficulty of ["simple", "moderate", "complex", "expert"] as const) {
      for (const variant of ["cheap", "balanced", "best", "fast"] as const) {
        const decision = pick({ variant, needs: needs({ difficulty, tools: true }) });
        for (const id of decision.order) expect(SEEDED.find((c) => c.id === id)!.supportsTools, id).toBe(true);
      }
    }
  });

  it("sends an image to a vision model, the cheapest that fits", () => {
    const decision = pick({ needs: needs({ vision: true }) });
    expect(decision.order[0]).toBe("gpt-4o");
    expect(decision.order).toEqual(["gpt-4o", "claude-sonnet"]);
  });

  it("sends JSON mode to a JSON-capable model only", () => {
    const decision = pick({ needs: needs({ vision: true, json: true }) });
    expect(decision.order).toEqual(["gpt-4o"]);
  });

  it("fits a long prompt into a context window that takes it", () => {
    const decision = pick({ needs: needs({ promptTokens: 150_000 }) });
    expect(decision.order).toEqual(["claude-sonnet"]);
    const medium = pick({ needs: needs({ promptTokens: 60_000 }) });
    expect(medium.order).not.toContain("qwen-max"); // 32k window
    expect(medium.order[0]).toBe("deepseek-v3");
  });

  it("names the requirement no model meets", () => {
    expect(
      routeAuto({ variant: "balanced", candidates: SEEDED, needs: needs({ promptTokens: 500_000 }) }),
    ).toMatchObject({
      ok: false,
      unmet: "context_length",
    });
    const textOnly = SEEDED.filter((c) => !c.supportsVision);
    expect(routeAuto({ variant: "balanced", candidates: textOnly, needs: needs({ vision: true }) })).toMatchObject({
      ok: false,
      unmet: "vision",
    });
    const noTools = SEEDED.map((c) => ({ ...c, supportsTools: false }));
    expect(routeAuto({ variant: "best", candidates: noTools, needs: needs({ tools: true }) })).toMatchObject({
      ok: false,
      unmet: "tools",
    });
  });

  it("honours `models`: picks among them, the others follow in the list's order", () => {
    const decision = pick({ requested: ["gpt-4o", "qwen-max", "glm-4-plus"] });
    expect(decision.order).toEqual(["glm-4-plus", "gpt-4o", "qwen-max"]); // glm is the cheapest capable one
    expect(routeAuto({ variant: "balanced", candidates: SEEDED, needs: needs(), requested: ["nope"] })).toMatchObject({
      ok: false,
      unmet: "models",
    });
  });

  it("skips a model that is out of rotation or failing, and uses it again when healthy", () => {
    const down = SEEDED.map((c) => (c.id === "deepseek-v3" ? { ...c, available: false } : c));
    expect(pick({ candidates: down }).order[0]).toBe("glm-4-plus");
    const failing = SEEDED.map((c) => (c.id === "deepseek-v3" ? { ...c, errorRate: 0.8 } : c));
    expect(pick({ candidates: failing }).order[0]).toBe("glm-4-plus");
    // Every model out of rotation: still try them rather than refuse.
    const allDown = SEEDED.map((c) => ({ ...c, available: false }));
    expect(pick({ candidates: allDown }).order[0]).toBe("deepseek-v3");
  });

  it("auto:fast takes the lowest live latency among the models good enough", () => {
    const timed = SEEDED.map((c) => ({ ...c, latencyMs: c.id === "kimi-k2" ? 120 : c.id === "qwen-max" ? 300 : 900 }));
    expect(pick({ variant: "fast", candidates: timed, needs: needs({ difficulty: "expert" }) }).order[0]).toBe(
      "kimi-k2",
    );
    // Health breaks ties between equals.
    const tied = SEEDED.map((c) => ({ ...c, errorRate: c.id === "gpt-4o" ? 0.3 : 0 }));
    expect(pick({ variant: "best", candidates: tied }).order[0]).toBe("claude-sonnet");
  });

  it("stays on the conversation's first model, unless it no longer fits a hard filter", () => {
    const later = pick({ sticky: "deepseek-v3", needs: needs({ difficulty: "expert" }) });
    expect(later.order[0]).toBe("deepseek-v3");
    expect(later.reason).toBe("sticky");
    const withImage = pick({ sticky: "deepseek-v3", needs: needs({ vision: true }) });
    expect(withImage.order[0]).toBe("gpt-4o");
    const gone = SEEDED.filter((c) => c.id !== "deepseek-v3");
    expect(pick({ candidates: gone, sticky: "deepseek-v3" }).order[0]).toBe("glm-4-plus");
    const outOfRotation = SEEDED.map((c) => (c.id === "deepseek-v3" ? { ...c, available: false } : c));
    expect(pick({ candidates: outOfRotation, sticky: "deepseek-v3" }).reason).not.toBe("sticky");
  });

  it("orders the fallbacks: capable and cheap first", () => {
    const decision = pick({ needs: needs({ difficulty: "complex" }) });
    expect(decision.order.slice(0, 3)).toEqual(["kimi-k2", "qwen-max", "deepseek-r1"]);
  });

  it("falls back to the best there is when nothing good enough is in rotation", () => {
    const small = SEEDED.filter((c) => c.qualityTier <= 3);
    const decision = pick({ candidates: small, needs: needs({ difficulty: "expert" }) });
    expect(decision.order[0]).toBe("deepseek-v3"); // the top tier left (3), and its cheaper model
    expect(decision.reason).toBe("best-available");
  });
});

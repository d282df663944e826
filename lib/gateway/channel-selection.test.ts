import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { orderChannels, weightedShuffle, type SelectableChannel } from "./channel-selection";
import { seededRandom } from "@/test/seeded-random";

const channel = (id: string, priority: number, weight: number): SelectableChannel => ({ id, priority, weight });
const ids = (channels: SelectableChannel[]) => channels.map((c) => c.id);
const always = () => true;

/** Returns the given values in turn (the test fails loudly if it asks for more). */
function scriptedRandom(...values: number[]): () => number {
  let i = 0;
  return () => {
    if (i >= values.length) throw new Error(`random() called more than ${values.length} times`);
    return values[i++];
  };
}

describe("orderChannels: priority tiers", () => {
  it("puts every channel of a higher priority tier before any channel of a lower one", () => {
    const channels = [channel("low", 0, 100), channel("high", 10, 1), channel("mid", 5, 50), channel("high2", 10, 1)];
    const random = seededRandom(1);
    for (let run = 0; run < 200; run++) {
      const order = ids(orderChannels(channels, always, random));
      expect(order.slice(0, 2).sort()).toEqual(["high", "high2"]);
      expect(order.slice(2)).toEqual(["mid", "low"]);
    }
  });

  it("treats priorities numerically (10 before 9, negative last), not as strings", () => {
    const channels = [channel("nine", 9, 1), channel("minus", -1, 1), channel("ten", 10, 1), channel("zero", 0, 1)];
    expect(ids(orderChannels(channels, always, () => 0))).toEqual(["ten", "nine", "zero", "minus"]);
  });

  it("returns each channel exactly once", () => {
    const channels = [
      channel("a", 1, 3),
      channel("b", 1, 0),
      channel("c", 0, 2),
      channel("d", 0, 5),
      channel("e", 2, 1),
    ];
    const order = orderChannels(channels, always, seededRandom(7));
    expect(order).toHaveLength(channels.length);
    expect(new Set(ids(order))).toEqual(new Set(ids(channels)));
  });

  it("returns an empty list for a model without channels", () => {
    expect(orderChannels([], always, () => 0)).toEqual([]);
  });
});

describe("orderChannels: availability", () => {
  it("leaves out channels that are not available", () => {
    const channels = [channel("a", 1, 1), channel("broken", 1, 1000), channel("b", 0, 1)];
    const order = orderChannels(channels, (c) => c.id !== "broken", seededRandom(3));
    expect(ids(order)).toEqual(["a", "b"]);
  });

  it("falls through to a lower tier when every channel of the top tier is unavailable", () => {
    const channels = [channel("top1", 9, 1), channel("top2", 9, 1), channel("fallback", 1, 1)];
    const order = orderChannels(channels, (c) => c.id === "fallback", seededRandom(3));
    expect(ids(order)).toEqual(["fallback"]);
  });

  it("still returns every channel, in tier order, when none is available (never ejects the last one)", () => {
    const channels = [channel("low", 0, 1), channel("high", 5, 1), channel("mid", 3, 1)];
    const order = orderChannels(channels, () => false, seededRandom(3));
    expect(ids(order)).toEqual(["high", "mid", "low"]);
  });

  it("asks the health check about each channel (and passes the channel itself)", () => {
    const channels = [channel("a", 0, 1), channel("b", 0, 1)];
    const asked: string[] = [];
    orderChannels(
      channels,
      (c) => {
        asked.push(c.id);
        return true;
      },
      () => 0,
    );
    expect(asked.sort()).toEqual(["a", "b"]);
  });

  it("keeps the caller's channel type (extra fields survive)", () => {
    const channels = [{ ...channel("a", 0, 1), baseUrl: "https://a.example" }];
    const [first] = orderChannels(channels, always, () => 0);
    expect(first.baseUrl).toBe("https://a.example");
  });
});

describe("weightedShuffle: picking by weight", () => {
  const tier = [channel("a", 0, 1), channel("b", 0, 3), channel("c", 0, 6)]; // total 10

  it("maps the random point onto the cumulative weights", () => {
    // First draw picks from [a:0-1) [b:1-4) [c:4-10) scaled by total 10.
    expect(ids(weightedShuffle(tier, scriptedRandom(0.05, 0, 0)))[0]).toBe("a");
    expect(ids(weightedShuffle(tier, scriptedRandom(0.1, 0, 0)))[0]).toBe("b"); // exactly on the a/b boundary
    expect(ids(weightedShuffle(tier, scriptedRandom(0.39, 0, 0)))[0]).toBe("b");
    expect(ids(weightedShuffle(tier, scriptedRandom(0.4, 0, 0)))[0]).toBe("c");
    expect(ids(weightedShuffle(tier, scriptedRandom(0.9999999, 0, 0)))[0]).toBe("c");
  });

  it("draws without replacement: later draws use the remaining weights", () => {
    // Draw 1: 0.5 × 10 = 5 → c. Remaining a(1), b(3): draw 2: 0.2 × 4 = 0.8 → a. Then b.
    expect(ids(weightedShuffle(tier, scriptedRandom(0.5, 0.2, 0)))).toEqual(["c", "a", "b"]);
    // Draw 1: 0.05 → a. Remaining b(3), c(6): draw 2: 0.4 × 9 = 3.6 → c. Then b.
    expect(ids(weightedShuffle(tier, scriptedRandom(0.05, 0.4, 0)))).toEqual(["a", "c", "b"]);
  });

  it("does not modify the input array", () => {
    const input = [...tier];
    weightedShuffle(input, seededRandom(5));
    expect(ids(input)).toEqual(["a", "b", "c"]);
  });

  it("chooses each channel first in proportion to its weight (seeded, 60k draws, ±1.5 points)", () => {
    const random = seededRandom(20240601);
    const draws = 60_000;
    const firsts = new Map<string, number>();
    for (let i = 0; i < draws; i++) {
      const first = orderChannels(tier, always, random)[0].id;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    // Expected shares 10%, 30%, 60%; the standard error at n=60k is ≤ 0.2 points, so 1.5 is generous
    // yet far tighter than any wrong weighting (e.g. uniform would give 33%).
    expect(Math.abs(firsts.get("a")! / draws - 0.1)).toBeLessThan(0.015);
    expect(Math.abs(firsts.get("b")! / draws - 0.3)).toBeLessThan(0.015);
    expect(Math.abs(firsts.get("c")! / draws - 0.6)).toBeLessThan(0.015);
  });

  it("orders the second place by the remaining weights too (seeded distribution)", () => {
    // P(second = a) = P(b first)·1/7 + P(c first)·1/4 = 0.3/7 + 0.6/4 ≈ 0.1929
    const random = seededRandom(99);
    const draws = 60_000;
    let aSecond = 0;
    for (let i = 0; i < draws; i++) if (weightedShuffle(tier, random)[1].id === "a") aSecond++;
    expect(Math.abs(aSecond / draws - (0.3 / 7 + 0.6 / 4))).toBeLessThan(0.015);
  });
});

describe("weightedShuffle: weight 0", () => {
  it("puts weight-0 channels after every weighted channel, even when the draw is near 1", () => {
    const items = [channel("zero1", 0, 0), channel("w", 0, 2), channel("zero2", 0, 0), channel("v", 0, 1)];
    for (const r of [0, 0.5, 0.999999, 1 - 2 ** -53]) {
      const order = ids(weightedShuffle(items, () => r));
      expect(order.slice(0, 2).sort()).toEqual(["v", "w"]);
      expect(order.slice(2).sort()).toEqual(["zero1", "zero2"]);
    }
  });

  it("never places a weight-0 channel before a weighted one, for any weights and any random draws (property)", () => {
    const items = fc.array(fc.record({ weight: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1_000_000 })) }), {
      minLength: 1,
      maxLength: 8,
    });
    const draws = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
      minLength: 8,
      maxLength: 8,
    });
    fc.assert(
      fc.property(items, draws, (weights, values) => {
        const tier = weights.map((w, i) => channel(`c${i}`, 0, w.weight));
        const order = weightedShuffle(tier, scriptedRandom(...values));
        const firstZero = order.findIndex((c) => c.weight === 0);
        if (firstZero >= 0) expect(order.slice(firstZero).every((c) => c.weight === 0)).toBe(true);
        expect(order).toHaveLength(tier.length);
      }),
      { numRuns: 2000 },
    );
  });

  it("treats negative weights like 0 (they go last)", () => {
    const order = ids(weightedShuffle([channel("neg", 0, -5), channel("pos", 0, 1)], () => 0.99));
    expect(order).toEqual(["pos", "neg"]);
  });

  it("shuffles a tier where every weight is 0 uniformly instead of always keeping one order", () => {
    const items = [channel("a", 0, 0), channel("b", 0, 0), channel("c", 0, 0)];
    expect(ids(weightedShuffle(items, scriptedRandom(0, 0, 0)))).toEqual(["a", "b", "c"]);
    expect(ids(weightedShuffle(items, scriptedRandom(0.99, 0.99, 0)))).toEqual(["c", "b", "a"]);
    const random = seededRandom(11);
    const draws = 30_000;
    let aFirst = 0;
    for (let i = 0; i < draws; i++) if (weightedShuffle(items, random)[0].id === "a") aFirst++;
    expect(Math.abs(aFirst / draws - 1 / 3)).toBeLessThan(0.015);
  });
});

import { describe, expect, it } from "vitest";
import { Coalescer } from "./coalescer";

/** A coalescer whose calls wait until released, recording what each call carried. */
function harness(options: { failMany?: Error; failsAll?: boolean; maxBatch?: number } = {}) {
  const calls: Array<{ group: string; items: number[] }> = [];
  const gates: Array<() => void> = [];
  const wait = () => new Promise<void>((resolve) => gates.push(resolve));
  const coalescer = new Coalescer<number, string>({
    one: async (group, item) => {
      calls.push({ group, items: [item] });
      await wait();
      if (item < 0) throw new Error(`bad ${item}`);
      return `${group}:${item}`;
    },
    many: async (group, items) => {
      calls.push({ group, items });
      await wait();
      if (options.failMany) throw options.failMany;
      return items.map((i) => `${group}:${i}*`);
    },
    failsAll: () => options.failsAll ?? false,
    maxBatch: options.maxBatch,
  });
  const releaseAll = async () => {
    for (let i = 0; i < 20; i++) {
      while (gates.length) gates.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { coalescer, calls, releaseAll };
}

describe("Coalescer", () => {
  it("sends a lone item at once, alone; what arrives meanwhile goes in one batch, in order", async () => {
    const { coalescer, calls, releaseAll } = harness();
    const first = coalescer.submit("org", 1);
    expect(calls).toEqual([{ group: "org", items: [1] }]);
    const rest = [2, 3, 4].map((i) => coalescer.submit("org", i));
    expect(calls).toHaveLength(1); // waiting for the call in flight
    await releaseAll();
    expect(await first).toBe("org:1");
    expect(await Promise.all(rest)).toEqual(["org:2*", "org:3*", "org:4*"]);
    expect(calls).toEqual([
      { group: "org", items: [1] },
      { group: "org", items: [2, 3, 4] },
    ]);
    expect(coalescer.stats).toEqual({ batches: 1, batchedItems: 3, singles: 1 });
  });

  it("never makes one group wait for another", () => {
    const { coalescer, calls } = harness();
    void coalescer.submit("a", 1);
    void coalescer.submit("b", 2);
    expect(calls).toEqual([
      { group: "a", items: [1] },
      { group: "b", items: [2] },
    ]);
  });

  it("splits a long queue at maxBatch", async () => {
    const { coalescer, calls, releaseAll } = harness({ maxBatch: 2 });
    const all = [1, 2, 3, 4, 5].map((i) => coalescer.submit("g", i));
    await releaseAll();
    await Promise.all(all);
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3], [4, 5]]);
  });

  it("fails every item of a batch when the error says so (the database is unavailable)", async () => {
    const down = new Error("database down");
    const { coalescer, releaseAll } = harness({ failMany: down, failsAll: true });
    const first = coalescer.submit("g", 1);
    const rest = [2, 3].map((i) => coalescer.submit("g", i).catch((e: Error) => e));
    await releaseAll();
    expect(await first).toBe("g:1");
    expect(await Promise.all(rest)).toEqual([down, down]);
  });

  it("retries a failed batch item by item, in order, so one bad item fails alone", async () => {
    const { coalescer, calls, releaseAll } = harness({ failMany: new Error("constraint") });
    void coalescer.submit("g", 1);
    const rest = [2, -3, 4].map((i) => coalescer.submit("g", i).catch((e: Error) => e.message));
    await releaseAll();
    expect(await Promise.all(rest)).toEqual(["g:2", "bad -3", "g:4"]);
    expect(calls.map((c) => c.items)).toEqual([[1], [2, -3, 4], [2], [-3], [4]]);
  });

  it("fails what queued behind a call that met an outage at once, without sending it", async () => {
    const down = Object.assign(new Error("database down"), { outage: true });
    const calls: number[][] = [];
    let fail!: (err: Error) => void;
    const coalescer = new Coalescer<number, string>({
      one: (_g, item) => {
        calls.push([item]);
        return new Promise((_resolve, reject) => (fail = reject));
      },
      many: async (_g, items) => {
        calls.push(items);
        return items.map(String);
      },
      failsAll: (err) => (err as { outage?: boolean }).outage === true,
    });
    const first = coalescer.submit("g", 1).catch((e: Error) => e);
    const rest = [2, 3].map((i) => coalescer.submit("g", i).catch((e: Error) => e));
    fail(down);
    expect(await first).toBe(down);
    expect(await Promise.all(rest)).toEqual([down, down]);
    expect(calls).toEqual([[1]]);
    const fresh = coalescer.submit("g", 4).catch((e: Error) => e); // the group starts afresh
    expect(calls).toEqual([[1], [4]]);
    fail(down);
    expect(await fresh).toBe(down);
  });
});

import { describe, expect, it } from "vitest";
import type { AdmitResult, HoldRequest } from "./holds";
import { HOT_ADMISSIONS, HoldPools, IDLE_MS, PAUSE_MS, type PoolKey } from "./hold-pool";

/** A fake of the database's side: every hold admitted, taken or released, for the books. */
function harness(answer: (hold: HoldRequest) => AdmitResult | "throw" = () => "ok") {
  let clock = 0;
  const admitted: HoldRequest[] = [];
  const released: string[] = [];
  const pools = new HoldPools(
    {
      admit: async (hold) => {
        const a = answer(hold);
        if (a === "throw") throw new Error("database unavailable");
        if (a === "ok") admitted.push(hold);
        return a;
      },
      release: async (id) => {
        released.push(id);
      },
    },
    { maxAgeMs: 5_000, now: () => clock },
  );
  const key = (over: Partial<PoolKey> = {}): PoolKey => ({
    apiKeyId: "k1",
    organizationId: "o1",
    holdPooling: true,
    orgBalanceNanos: 1_000_000_000_000n,
    ...over,
  });
  const settle = () => new Promise((r) => setImmediate(r));
  /** Takes for a key until it is hot (misses), then lets the refills land. */
  const heat = async (k = key(), amount = 100n) => {
    for (let i = 0; i < HOT_ADMISSIONS; i++) expect(pools.take(k, amount)).toBeUndefined();
    await settle();
  };
  return {
    pools,
    key,
    admitted,
    released,
    settle,
    heat,
    advance: (ms: number) => (clock += ms),
  };
}

describe("HoldPools", () => {
  it("pools nothing for a key that is not busy", async () => {
    const h = harness();
    for (let i = 0; i < HOT_ADMISSIONS - 1; i++) expect(h.pools.take(h.key(), 100n)).toBeUndefined();
    await h.settle();
    expect(h.admitted).toEqual([]);
  });

  it("a busy key gets holds admitted ahead, and a request takes one it fits", async () => {
    const h = harness();
    await h.heat();
    expect(h.admitted.length).toBe(2); // the minimum pool at this rate
    expect(h.admitted.every((a) => a.amountNanos === 100n && a.apiKeyId === "k1" && a.organizationId === "o1")).toBe(
      true,
    );
    const id = h.pools.take(h.key(), 80n);
    expect(id).toBe(h.admitted[0].requestId); // the oldest first
    await h.settle();
    expect(h.admitted.length).toBe(3); // refilled
    expect(h.pools.pooled()).toBe(2);
  });

  it("a request larger than the pooled holds is admitted as usual and raises their size", async () => {
    const h = harness();
    await h.heat();
    expect(h.pools.take(h.key(), 150n)).toBeUndefined();
    expect(h.pools.stats.missed).toBe(1);
    await h.pools.tidy();
    // The small ones still serve small requests; new ones are of the larger size.
    expect(h.pools.take(h.key(), 100n)).toBeDefined();
    await h.settle();
    const larger = h.admitted.at(-1)!;
    expect(larger.amountNanos).toBe(150n);
    expect(h.pools.take(h.key(), 150n)).toBe(larger.requestId);
  });

  it("never pools for a key with a spend limit or a capped member, and dissolves a pool when one appears", async () => {
    const h = harness();
    for (let i = 0; i < 50; i++) expect(h.pools.take(h.key({ holdPooling: false }), 100n)).toBeUndefined();
    await h.settle();
    expect(h.admitted).toEqual([]);
    const other = harness();
    await other.heat();
    expect(other.pools.pooled()).toBe(2);
    expect(other.pools.take(other.key({ holdPooling: false }), 100n)).toBeUndefined();
    await other.settle();
    expect(other.pools.pooled()).toBe(0);
    expect(other.released.sort()).toEqual(other.admitted.map((a) => a.requestId).sort());
  });

  it("reserves at most a thousandth of the organization's balance", async () => {
    const h = harness();
    await h.heat(h.key({ orgBalanceNanos: 150_000n }), 100n); // room for one hold of 100
    expect(h.admitted.length).toBe(1);
    // A hold a request took is the request's, not the pool's: the pool may replace it.
    const exact = harness();
    await exact.heat(exact.key({ orgBalanceNanos: 200_000n }), 100n);
    expect(exact.pools.pooled()).toBe(2);
    expect(exact.pools.take(exact.key({ orgBalanceNanos: 200_000n }), 100n)).toBeDefined();
    await exact.settle();
    expect(exact.pools.pooled()).toBe(2);
    expect(exact.pools.reservedNanos("o1")).toBe(200n);
    // Across the organization's keys, not per key.
    await h.heat(h.key({ apiKeyId: "k2", orgBalanceNanos: 150_000n }), 100n);
    expect(h.admitted.length).toBe(1);
    expect(h.pools.reservedNanos("o1")).toBe(100n);
    const poor = harness();
    await poor.heat(poor.key({ orgBalanceNanos: 99_000n }), 100n);
    expect(poor.admitted).toEqual([]);
  });

  it("a refused refill gives the pool back and pauses it", async () => {
    let refuse = false;
    const h = harness(() => (refuse ? "insufficient_quota" : "ok"));
    await h.heat();
    refuse = true;
    expect(h.pools.take(h.key(), 100n)).toBeDefined();
    await h.settle();
    expect(h.pools.pooled()).toBe(0);
    expect(h.released).toEqual([h.admitted[1].requestId]); // the one not taken
    expect(h.pools.stats.refused).toBe(1);
    refuse = false;
    for (let i = 0; i < 3 * HOT_ADMISSIONS; i++) expect(h.pools.take(h.key(), 100n)).toBeUndefined();
    await h.settle();
    expect(h.admitted.length).toBe(2); // paused
    h.advance(PAUSE_MS + 1);
    await h.heat();
    expect(h.pools.pooled()).toBe(2);
  });

  it("a failed refill (database down) pauses the pool too", async () => {
    let fail = false;
    const h = harness(() => (fail ? "throw" : "ok"));
    await h.heat();
    fail = true;
    h.pools.take(h.key(), 100n);
    await h.settle();
    expect(h.pools.pooled()).toBe(0);
  });

  it("releases a pool left idle, and holds too old to use", async () => {
    const h = harness();
    await h.heat();
    h.advance(4_000);
    expect(h.pools.take(h.key(), 100n)).toBeDefined(); // 4 s old: still usable
    await h.settle();
    h.advance(1_500); // the other first one is 5.5 s old now
    await h.pools.tidy();
    expect(h.released).toEqual([h.admitted[1].requestId]);
    expect(h.pools.take(h.key(), 100n)).toBe(h.admitted[2].requestId);
    h.advance(IDLE_MS);
    await h.pools.tidy();
    expect(h.pools.pooled()).toBe(0);
    expect(new Set([...h.released, h.admitted[0].requestId, h.admitted[2].requestId]).size).toBe(h.admitted.length);
  });

  it("an organization refused for money gets its pooled holds back at once, other organizations keep theirs", async () => {
    const h = harness();
    await h.heat(h.key());
    await h.heat(h.key({ apiKeyId: "k2", organizationId: "o2" }));
    expect(h.pools.pooled()).toBe(4);
    expect(await h.pools.releaseOrganization("o1")).toBe(true);
    expect(h.released.length).toBe(2);
    expect(h.released.every((id) => h.admitted.find((a) => a.requestId === id)!.organizationId === "o1")).toBe(true);
    expect(h.pools.pooled()).toBe(2);
    expect(await h.pools.releaseOrganization("o1")).toBe(false); // nothing left to give back
  });

  it("drain releases everything, also a refill still on its way", async () => {
    const resolveLate: ((a: AdmitResult) => void)[] = [];
    const h = harness();
    await h.heat();
    // One more refill in flight when the drain starts:
    const pools = new HoldPools(
      {
        admit: (hold) =>
          new Promise<AdmitResult>((resolve) => {
            h.admitted.push(hold);
            resolveLate.push(resolve);
          }),
        release: async (id) => {
          h.released.push(id);
        },
      },
      { maxAgeMs: 5_000, now: () => 0 },
    );
    for (let i = 0; i < HOT_ADMISSIONS; i++) pools.take(h.key(), 100n);
    expect(resolveLate.length).toBe(2);
    await pools.close();
    for (const resolve of resolveLate) resolve("ok");
    await h.settle();
    await h.settle();
    expect(pools.take(h.key(), 100n)).toBeUndefined();
    await h.pools.close();
    expect(h.released.sort()).toEqual(h.admitted.map((a) => a.requestId).sort());
  });

  it("every hold it admits is taken or released exactly once, whatever the order of events", async () => {
    for (let seed = 1; seed <= 20; seed++) {
      let x = seed;
      const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const h = harness(() => (rand() < 0.1 ? "insufficient_quota" : rand() < 0.05 ? "throw" : "ok"));
      const taken: string[] = [];
      for (let step = 0; step < 400; step++) {
        const r = rand();
        const k = h.key({ apiKeyId: `k${Math.floor(rand() * 3)}`, organizationId: `o${Math.floor(rand() * 2)}` });
        if (r < 0.7) {
          const id = h.pools.take(k, BigInt(50 + Math.floor(rand() * 100)));
          if (id) taken.push(id);
        } else if (r < 0.8) await h.settle();
        else if (r < 0.9) h.advance(Math.floor(rand() * 3_000));
        else if (r < 0.95) await h.pools.tidy();
        else await h.pools.releaseOrganization(k.organizationId);
      }
      await h.settle();
      await h.pools.close();
      await h.settle();
      const admitted = h.admitted.map((a) => a.requestId).sort();
      expect([...taken, ...h.released].sort()).toEqual(admitted);
      expect([h.pools.reservedNanos("o0"), h.pools.reservedNanos("o1")]).toEqual([0n, 0n]);
    }
  });
});

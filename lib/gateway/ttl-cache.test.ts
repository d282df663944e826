import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TtlCache } from "./ttl-cache";

const TTL_MS = 2_000;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2025-01-01T00:00:00Z"));
});

afterEach(() => {
  vi.useRealTimers();
});

/** A loader that counts its calls and resolves with "<key>#<call number>". */
function countingLoader(key = "k") {
  const load = vi.fn(async () => `${key}#${load.mock.calls.length}`);
  return load;
}

/** A promise settled by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("TtlCache: time to live", () => {
  it("serves the cached value without loading again within the TTL", async () => {
    const cache = new TtlCache<string>(TTL_MS);
    const load = countingLoader();
    expect(await cache.get("k", load)).toBe("k#1");
    vi.advanceTimersByTime(TTL_MS - 1);
    expect(await cache.get("k", load)).toBe("k#1");
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("loads again once the TTL has passed (an entry is stale at exactly its TTL)", async () => {
    const cache = new TtlCache<string>(TTL_MS);
    const load = countingLoader();
    await cache.get("k", load);
    vi.advanceTimersByTime(TTL_MS);
    expect(await cache.get("k", load)).toBe("k#2");
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("starts the TTL of a reloaded value from the reload", async () => {
    const cache = new TtlCache<string>(TTL_MS);
    const load = countingLoader();
    await cache.get("k", load);
    vi.advanceTimersByTime(TTL_MS + 500);
    await cache.get("k", load); // k#2, fresh until +2000 from here
    vi.advanceTimersByTime(TTL_MS - 1);
    expect(await cache.get("k", load)).toBe("k#2");
  });

  it("keeps keys apart", async () => {
    const cache = new TtlCache<string>(TTL_MS);
    const loadA = countingLoader("a");
    const loadB = countingLoader("b");
    expect(await cache.get("a", loadA)).toBe("a#1");
    expect(await cache.get("b", loadB)).toBe("b#1");
    expect(await cache.get("a", loadA)).toBe("a#1");
    expect(loadA).toHaveBeenCalledTimes(1);
    expect(loadB).toHaveBeenCalledTimes(1);
  });

  it("caches falsy values like null and 0", async () => {
    const cache = new TtlCache<number | null>(TTL_MS);
    const load = vi.fn(async () => null);
    await cache.get("k", load);
    expect(await cache.get("k", load)).toBeNull();
    expect(load).toHaveBeenCalledTimes(1);
  });
});

describe("TtlCache: in-flight de-duplication", () => {
  it("shares one pending load among concurrent callers", async () => {
    const cache = new TtlCache<string>(TTL_MS);
    const pending = deferred<string>();
    const load = vi.fn(() => pending.promise);
    const first = cache.get("k", load);
    const second = cache.get("k", load);
    expect(second).toBe(first);
    pending.resolve("value");
    expect(await Promise.all([first, second])).toEqual(["value", "value"]);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("starts a new load when a pending one outlives the TTL", async () => {
    const cache = new TtlCache<string>(TTL_MS);
    const slow = deferred<string>();
    cache.get("k", () => slow.promise);
    vi.advanceTimersByTime(TTL_MS);
    const load = countingLoader();
    expect(await cache.get("k", load)).toBe("k#1");
    expect(load).toHaveBeenCalledTimes(1);
  });
});

describe("TtlCache: failures", () => {
  it("passes the failure to every caller waiting for it", async () => {
    const cache = new TtlCache<string>(TTL_MS);
    const pending = deferred<string>();
    const first = cache.get("k", () => pending.promise);
    const second = cache.get("k", () => Promise.resolve("unused"));
    pending.reject(new Error("db down"));
    await expect(first).rejects.toThrow("db down");
    await expect(second).rejects.toThrow("db down");
  });

  it("does not cache a failure: the next call loads again, within the TTL", async () => {
    const cache = new TtlCache<string>(TTL_MS);
    await expect(cache.get("k", () => Promise.reject(new Error("db down")))).rejects.toThrow("db down");
    const load = countingLoader();
    expect(await cache.get("k", load)).toBe("k#1");
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("keeps other keys when one load fails", async () => {
    const cache = new TtlCache<string>(TTL_MS);
    const loadGood = countingLoader("good");
    await cache.get("good", loadGood);
    await expect(cache.get("bad", () => Promise.reject(new Error("x")))).rejects.toThrow();
    await cache.get("good", loadGood);
    expect(loadGood).toHaveBeenCalledTimes(1);
  });

  // If the key was invalidated while a load was pending and a newer load has since been cached,
  // the old load's failure must not evict the newer, good entry.
  it("does not let a stale load's failure evict a newer cached value", async () => {
    const cache = new TtlCache<string>(TTL_MS);
    const stale = deferred<string>();
    const staleResult = cache.get("k", () => stale.promise);
    cache.delete("k"); // e.g. the admin changed the channel while it was loading
    const load = countingLoader();
    expect(await cache.get("k", load)).toBe("k#1");
    stale.reject(new Error("timeout"));
    await expect(staleResult).rejects.toThrow("timeout");
    expect(await cache.get("k", load)).toBe("k#1");
    expect(load).toHaveBeenCalledTimes(1);
  });
});

describe("TtlCache: delete and clear", () => {
  it("delete makes the next get load again, for that key only", async () => {
    const cache = new TtlCache<string>(TTL_MS);
    const loadA = countingLoader("a");
    const loadB = countingLoader("b");
    await cache.get("a", loadA);
    await cache.get("b", loadB);
    cache.delete("a");
    expect(await cache.get("a", loadA)).toBe("a#2");
    expect(await cache.get("b", loadB)).toBe("b#1");
  });

  it("clear makes every key load again", async () => {
    const cache = new TtlCache<string>(TTL_MS);
    const loadA = countingLoader("a");
    const loadB = countingLoader("b");
    await cache.get("a", loadA);
    await cache.get("b", loadB);
    cache.clear();
    expect(await cache.get("a", loadA)).toBe("a#2");
    expect(await cache.get("b", loadB)).toBe("b#2");
  });

  it("deleting an unknown key is harmless", () => {
    expect(() => new TtlCache<string>(TTL_MS).delete("nope")).not.toThrow();
  });
});

describe("TtlCache: size bound", () => {
  it("empties itself instead of growing past maxEntries", async () => {
    const cache = new TtlCache<string>(TTL_MS, 2);
    const loadA = countingLoader("a");
    await cache.get("a", loadA);
    await cache.get("b", countingLoader("b"));
    await cache.get("c", countingLoader("c")); // third key: the cache is flushed first, then holds c
    expect(await cache.get("a", loadA)).toBe("a#2");
  });

  it("keeps the newest entry after a flush", async () => {
    const cache = new TtlCache<string>(TTL_MS, 2);
    await cache.get("a", countingLoader("a"));
    await cache.get("b", countingLoader("b"));
    const loadC = countingLoader("c");
    await cache.get("c", loadC);
    await cache.get("c", loadC);
    expect(loadC).toHaveBeenCalledTimes(1);
  });
});

import { beforeEach, describe, expect, it } from "vitest";
import type { CatalogChannel, CatalogModel } from "./catalog";
import { breaker, withFailover } from "./failover";
import { failureFromStatus, UpstreamFailure } from "./upstream-failure";

function channel(id: string, priority: number): CatalogChannel {
  return {
    id,
    name: id,
    provider: "openai",
    baseUrl: "https://example.invalid/v1",
    apiKey: "k",
    models: new Set(["m"]),
    modelMapping: {},
    priority,
    weight: 1,
    outputCapField: "max_tokens",
  };
}

const signal = new AbortController().signal;
const model = { id: "m" } as CatalogModel;
const targets = (...channels: CatalogChannel[]) => [{ model, channels }];
let seq = 0;

describe("withFailover", () => {
  let a: CatalogChannel;
  let b: CatalogChannel;
  beforeEach(() => {
    seq++;
    a = channel(`a${seq}`, 10);
    b = channel(`b${seq}`, 0);
  });

  it("moves on after a channel failure and counts it against that channel", async () => {
    const tried: string[] = [];
    const result = await withFailover(targets(a, b), signal, async (c) => {
      tried.push(c.id);
      if (c === a) throw new UpstreamFailure("upstream answered 503", "transient", 503);
      return "ok";
    });
    expect(result).toMatchObject({ value: "ok", attempts: 2 });
    expect(tried).toEqual([a.id, b.id]);
  });

  it("does not fail over or touch any breaker when our own code throws", async () => {
    const tried: string[] = [];
    for (let i = 0; i < 10; i++) {
      await expect(
        withFailover(targets(a, b), signal, async (c) => {
          tried.push(c.id);
          throw new TypeError("a bug of ours");
        }),
      ).rejects.toBeInstanceOf(TypeError);
    }
    expect(tried).toEqual(Array(10).fill(a.id)); // never moved on to b
    expect(breaker().isOpen(a.id)).toBe(false); // 10 > the default threshold of 5, yet closed
  });

  it("never starts the request again elsewhere after a timeout, and tells the SDK not to retry", async () => {
    const tried: string[] = [];
    const error = await withFailover(targets(a, b), signal, async (c) => {
      tried.push(c.id);
      throw new UpstreamFailure("upstream did not answer in time", "timeout");
    }).catch((e) => e);
    expect(tried).toEqual([a.id]);
    expect(error).toMatchObject({ status: 502, code: "timeout" });
    expect(error.headers["x-should-retry"]).toBe("false");
  });

  it("answers a request error with its safe 400 at once, without trying another channel", async () => {
    const tried: string[] = [];
    const error = await withFailover(targets(a, b), signal, async (c) => {
      tried.push(c.id);
      throw failureFromStatus(400, JSON.stringify({ error: { message: "maximum context length is 8192 tokens" } }));
    }).catch((e) => e);
    expect(tried).toEqual([a.id]);
    expect(error).toMatchObject({ status: 400, code: "context_length_exceeded" });
  });
});

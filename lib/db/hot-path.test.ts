import { afterEach, describe, expect, it, vi } from "vitest";
import { captureLog } from "@/test/log-capture";
import { DatabaseUnavailableError, HotPathGate } from "./hot-path";
import { isDatabaseUnavailable } from "./errors";

const refused = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe("HotPathGate", () => {
  it("runs at most maxActive at once and queues the rest in order, however long they wait", async () => {
    const gate = new HotPathGate(() => 2);
    const started: number[] = [];
    const blockers = [deferred(), deferred(), deferred(), deferred()];
    const runs = blockers.map((b, i) =>
      gate.run(async () => {
        started.push(i);
        await b.promise;
        return i;
      }),
    );
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toEqual([0, 1]);
    blockers[1].resolve();
    await runs[1];
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([0, 1, 2]);
    blockers[0].resolve();
    blockers[2].resolve();
    blockers[3].resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
  });

  it("on an outage rejects everything waiting at once and fails new calls fast", async () => {
    const gate = new HotPathGate(() => 1);
    const first = deferred();
    const running = gate.run(() => first.promise);
    const queued = Array.from({ length: 50 }, () => gate.run(async () => "never")); // would wait behind it
    first.reject(refused());
    await expect(running).rejects.toThrow("ECONNREFUSED");
    for (const q of queued) await expect(q).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(gate.isDown).toBe(true);
    let called = false;
    await expect(
      gate.run(async () => {
        called = true;
      }),
    ).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(called).toBe(false);
    expect(isDatabaseUnavailable(new DatabaseUnavailableError())).toBe(true);
  });

  it("lets one probe through per interval and is up again once a probe succeeds", async () => {
    let now = 1_000;
    const gate = new HotPathGate(
      () => 4,
      () => now,
    );
    await expect(gate.run(() => Promise.reject(refused()))).rejects.toThrow();
    expect(gate.isDown).toBe(true);
    now += 100;
    await expect(gate.run(async () => 1)).rejects.toBeInstanceOf(DatabaseUnavailableError);
    now += 500;
    const probe = deferred<number>();
    const probing = gate.run(() => probe.promise);
    await expect(gate.run(async () => 2)).rejects.toBeInstanceOf(DatabaseUnavailableError); // one probe at a time
    probe.resolve(3);
    expect(await probing).toBe(3);
    expect(gate.isDown).toBe(false);
    expect(await gate.run(async () => 4)).toBe(4);
  });

  describe("a database that goes silent", () => {
    afterEach(() => {
      vi.useRealTimers();
      vi.restoreAllMocks();
    });

    it("fails the waiters once no query has finished for stallMs, and the calls after them", async () => {
      vi.useFakeTimers();
      captureLog(); // the "database counts as unavailable" warnings (restored by restoreAllMocks)
      const gate = new HotPathGate(() => 2, Date.now, 1_000);
      const slow = [deferred(), deferred()]; // e.g. settlements on connections that went silent
      const running = slow.map((d) => gate.run(() => d.promise));
      const waiters = Array.from({ length: 5 }, () => gate.run(async () => "never"));
      const outcomes = waiters.map((w) =>
        w.then(
          () => "resolved",
          (e: unknown) => e,
        ),
      );
      await vi.advanceTimersByTimeAsync(999);
      expect(gate.isDown).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      for (const outcome of outcomes) expect(await outcome).toBeInstanceOf(DatabaseUnavailableError);
      expect(gate.isDown).toBe(true);
      await expect(gate.run(async () => "fast fail")).rejects.toBeInstanceOf(DatabaseUnavailableError);
      slow.forEach((d) => d.resolve());
      await Promise.all(running);
      expect(gate.isDown).toBe(false); // they answered after all
    });

    it("fails a new call when the queries running have not been answered for stallMs, with slots free", async () => {
      vi.useFakeTimers();
      captureLog(); // the "database counts as unavailable" warnings (restored by restoreAllMocks)
      const gate = new HotPathGate(() => 10, Date.now, 1_000);
      const silent = deferred(); // a settlement batch on a connection that went silent
      const running = gate.run(() => silent.promise);
      await vi.advanceTimersByTimeAsync(999);
      expect(await gate.run(async () => "still fine")).toBe("still fine"); // an answer: progress
      await vi.advanceTimersByTimeAsync(999);
      expect(gate.isDown).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await expect(gate.run(async () => "never")).rejects.toBeInstanceOf(DatabaseUnavailableError);
      expect(gate.isDown).toBe(true);
      silent.resolve();
      await running;
    });

    it("lets a burst wait as long as queries keep finishing", async () => {
      vi.useFakeTimers();
      const gate = new HotPathGate(() => 1, Date.now, 1_000);
      // 10 queries of 400 ms each behind one slot: the last waits 3.6 s, never 1 s without progress.
      const runs = Array.from({ length: 10 }, (_, i) =>
        gate.run(() => new Promise<number>((resolve) => setTimeout(() => resolve(i), 400))),
      );
      await vi.advanceTimersByTimeAsync(4_000);
      expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(gate.isDown).toBe(false);
    });
  });

  it("probes by itself while down, so it is up again with no request coming", async () => {
    vi.useFakeTimers();
    try {
      let answering = false;
      let probes = 0;
      const gate = new HotPathGate(
        () => 4,
        Date.now,
        1_000,
        async () => {
          probes++;
          if (!answering) throw refused();
        },
      );
      await expect(gate.run(() => Promise.reject(refused()))).rejects.toThrow();
      await vi.advanceTimersByTimeAsync(2_000);
      expect(gate.isDown).toBe(true);
      expect(probes).toBeGreaterThanOrEqual(3);
      answering = true;
      await vi.advanceTimersByTimeAsync(500);
      expect(gate.isDown).toBe(false);
      const probesWhenUp = probes;
      await vi.advanceTimersByTimeAsync(5_000);
      expect(probes).toBe(probesWhenUp); // no probing while up
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not take an ordinary query error for an outage", async () => {
    const gate = new HotPathGate(() => 1);
    await expect(
      gate.run(() => Promise.reject(Object.assign(new Error("duplicate key"), { code: "23505" }))),
    ).rejects.toThrow("duplicate key");
    expect(gate.isDown).toBe(false);
    expect(await gate.run(async () => "ok")).toBe("ok");
  });
});

describe("HotPathGate and query timeouts", () => {
  const readTimeout = () => new Error("Query read timeout");
  it("does not take one late answer for an outage, but two in a row", async () => {
    let now = 0;
    const gate = new HotPathGate(
      () => 4,
      () => now,
    );
    await expect(gate.run(() => Promise.reject(readTimeout()))).rejects.toThrow();
    expect(gate.isDown).toBe(false);
    now += 10_000; // long after: still one isolated timeout
    await expect(gate.run(() => Promise.reject(readTimeout()))).rejects.toThrow();
    expect(gate.isDown).toBe(false);
    now += 1_000;
    await expect(gate.run(() => Promise.reject(readTimeout()))).rejects.toThrow();
    expect(gate.isDown).toBe(true);
  });

  it("takes a timeout for an outage when calls were waiting for its connection", async () => {
    const gate = new HotPathGate(() => 1);
    const silent = deferred();
    const first = gate.run(() => silent.promise);
    const waiter = gate.run(async () => "never").catch((e: unknown) => e);
    silent.reject(readTimeout());
    await expect(first).rejects.toThrow("Query read timeout");
    expect(await waiter).toBeInstanceOf(DatabaseUnavailableError); // not handed a dead connection
    expect(gate.isDown).toBe(true);
  });

  it("takes a caller's report of a failed batch for an outage, unless it was a deadlock", () => {
    const gate = new HotPathGate(() => 1);
    gate.reportOutage(Object.assign(new Error("deadlock detected"), { code: "40P01" }));
    gate.reportOutage(Object.assign(new Error("could not serialize access"), { code: "40001" }));
    expect(gate.isDown).toBe(false);
    gate.reportOutage(readTimeout());
    expect(gate.isDown).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
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
});

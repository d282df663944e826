import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { serializeLogRow, type RequestLogRow } from "./request-log";
import { ORPHAN_AFTER_MS, orphanedSegments, readSegment, UnsettledLog } from "./unsettled-log";

const row = (id: string, costNanos = 1n) =>
  serializeLogRow({ id, organizationId: "org_1", costNanos, createdAt: new Date(0) } as RequestLogRow);

describe("UnsettledLog", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tf-unsettled-"));
  });
  afterEach(() => {
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  const files = () => readdirSync(dir).filter((f) => f.endsWith(".jsonl"));

  it("writes each settlement as one line before it lands, and leaves nothing once all landed", () => {
    vi.useFakeTimers({ toFake: ["Date", "setInterval", "clearInterval"] });
    const log = new UnsettledLog(dir);
    const first = log.add("req_1", 1234n, row("req_1", 1234n));
    const second = log.add("req_2", 5n, row("req_2", 5n));
    expect(files()).toHaveLength(1);
    const entries = readSegment(path.join(dir, files()[0]), () => undefined);
    expect(entries.map((e) => [e.requestId, e.costNanos, e.log.costNanos])).toEqual([
      ["req_1", "1234", "1234"],
      ["req_2", "5", "5"],
    ]);
    first();
    second();
    second(); // idempotent
    expect(files()).toHaveLength(1); // the current segment stays until it rotates
    vi.advanceTimersByTime(1_000);
    expect(files()).toHaveLength(0);
  });

  it("rotates every second and keeps a rotated segment only while it has unsettled entries", () => {
    vi.useFakeTimers({ toFake: ["Date", "setInterval", "clearInterval"] });
    const log = new UnsettledLog(dir);
    const old = log.add("req_1", 1n, row("req_1"));
    vi.advanceTimersByTime(1_000); // rotated, one entry still pending
    const fresh = log.add("req_2", 1n, row("req_2"));
    expect(files()).toHaveLength(2);
    old();
    expect(files()).toHaveLength(1);
    fresh();
    log.close();
    expect(files()).toHaveLength(0);
  });

  it("keeps a segment with an entry that never landed when it closes, for the next start to recover", () => {
    const log = new UnsettledLog(dir);
    log.add("req_1", 1n, row("req_1"));
    log.close();
    expect(files()).toHaveLength(1);
    expect(log.owns(path.join(dir, files()[0]))).toBe(true);
    expect(new UnsettledLog(dir).owns(path.join(dir, files()[0]))).toBe(false);
  });
});

describe("orphanedSegments", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tf-unsettled-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("are another process's segments untouched for a minute, never this process's own", () => {
    const mine = new UnsettledLog(dir);
    mine.add("req_mine", 1n, row("req_mine"));
    const dead = new UnsettledLog(dir);
    dead.add("req_dead", 1n, row("req_dead"));
    dead.close();
    const now = Date.now();
    expect(orphanedSegments(dir, mine, now)).toEqual([]); // recent: its writer may still be alive
    const old = (now - ORPHAN_AFTER_MS - 1_000) / 1000;
    for (const f of readdirSync(dir)) utimesSync(path.join(dir, f), old, old);
    const orphans = orphanedSegments(dir, mine, now);
    expect(orphans).toHaveLength(1);
    expect(readSegment(orphans[0], () => undefined).map((e) => e.requestId)).toEqual(["req_dead"]);
    expect(orphanedSegments(path.join(dir, "missing"), mine)).toEqual([]);
  });

  it("reads a segment cut short by a crash up to its last whole line", () => {
    const file = path.join(dir, "x.jsonl");
    const whole = `{"kind":"settle","requestId":"req_1","costNanos":"7","log":{"id":"req_1"}}\n`;
    writeFileSync(file, `${whole}{"kind":"settle","requestId":"req_2","cos`);
    const bad: string[] = [];
    expect(readSegment(file, (line) => bad.push(line)).map((e) => e.requestId)).toEqual(["req_1"]);
    expect(bad).toHaveLength(1);
    expect(readFileSync(file, "utf8").startsWith(whole)).toBe(true);
  });
});

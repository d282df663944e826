import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import type { RequestLogRow } from "./request-log";

// Requests answered whose settlement has not landed yet, written before the answer leaves. The
// gateway answers first and settles in the organization's next batch a few milliseconds later
// (lib/billing/meter.ts); if the process dies in between, the settlement is read back from here by
// the next start (or another instance sharing the folder) and charged then, exactly once
// (tf_settle is idempotent by request id and also settles a hold the sweeper already released).
//
// Cheap by design, one write(2) of one line per request into the current segment file, no fsync:
// it survives the process crashing or being killed, which is what answering before settling adds;
// a crash of the whole machine loses the page cache, as it loses the requests in flight today.
// Segments rotate every second and are deleted once every settlement they hold has landed (or was
// handed to the fsynced settlement journal), so the folder is empty while nothing is pending.

/** A live writer rotates long before this: an older segment with entries left belongs to a dead process. */
export const ORPHAN_AFTER_MS = 60_000;
const ROTATE_AFTER_MS = 1_000;
const ROTATE_AFTER_BYTES = 8 << 20;

export interface UnsettledEntry {
  kind: "settle";
  requestId: string;
  costNanos: string;
  log: RequestLogRow;
}

class Segment {
  readonly createdAt = Date.now();
  fd: number | null;
  bytes = 0;
  pending = 0;

  constructor(readonly file: string) {
    this.fd = openSync(file, "a", 0o600);
  }

  close() {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export class UnsettledLog {
  private current: Segment | null = null;
  private readonly taken = new Set<string>();
  private readonly prefix = `${process.pid}-${randomBytes(4).toString("hex")}`;
  private sequence = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly dir: string) {}

  /**
   * Records a settlement about to be made (`logJson`: its receipt, serialized by serializeLogRow);
   * call the returned function once it has landed.
   */
  add(requestId: string, costNanos: bigint, logJson: string): () => void {
    const segment = this.writable();
    const line = `{"kind":"settle","requestId":${JSON.stringify(requestId)},"costNanos":"${costNanos}","log":${logJson}}\n`;
    const bytes = Buffer.from(line);
    writeSync(segment.fd!, bytes);
    segment.bytes += bytes.length;
    segment.pending++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      segment.pending--;
      if (segment.pending === 0 && segment !== this.current) this.remove(segment);
    };
  }

  /** Segments this process is still writing or waiting on (never replayed from here). */
  owns(file: string): boolean {
    const name = path.basename(file);
    return name.startsWith(`${this.prefix}-`);
  }

  /** Takes over a dead process's segment for recovery: the name to rename it to (one of ours). */
  takeOver(orphan: string): string {
    const file = path.join(this.dir, `${this.prefix}-recovering-${path.basename(orphan)}`);
    this.taken.add(file);
    return file;
  }

  /** Segments taken over and not yet fully recovered. */
  takenOver(): string[] {
    return [...this.taken];
  }

  /** A taken-over segment is recovered (or was never ours to recover): gone. */
  release(file: string) {
    this.taken.delete(file);
    try {
      unlinkSync(file);
    } catch {
      // never renamed to this name
    }
  }

  /** Closes the current segment (shutdown, after every settlement landed or was journaled). */
  close() {
    clearInterval(this.timer);
    this.timer = undefined;
    const segment = this.current;
    this.current = null;
    if (segment) this.retire(segment);
  }

  private writable(): Segment {
    const now = Date.now();
    let segment = this.current;
    if (segment && (now - segment.createdAt >= ROTATE_AFTER_MS || segment.bytes >= ROTATE_AFTER_BYTES)) {
      this.retire(segment);
      segment = null;
    }
    if (!segment) {
      mkdirSync(this.dir, { recursive: true });
      const name = `${this.prefix}-${String(this.sequence++).padStart(8, "0")}.jsonl`;
      segment = this.current = new Segment(path.join(this.dir, name));
      this.tick();
    }
    return segment;
  }

  /** An idle writer's current segment is retired too, so nothing stays behind while nothing is pending. */
  private tick() {
    if (this.timer) return;
    this.timer = setInterval(() => {
      const segment = this.current;
      if (!segment) {
        clearInterval(this.timer);
        this.timer = undefined;
      } else if (Date.now() - segment.createdAt >= ROTATE_AFTER_MS) {
        this.current = null;
        this.retire(segment);
      }
    }, ROTATE_AFTER_MS);
    this.timer.unref();
  }

  private retire(segment: Segment) {
    if (this.current === segment) this.current = null;
    segment.close();
    if (segment.pending === 0) this.remove(segment);
    // else: removed by the last of its entries to land (see add)
  }

  private remove(segment: Segment) {
    segment.close();
    try {
      unlinkSync(segment.file);
    } catch {
      // Already gone (another instance recovered it after a long stall): nothing left to do.
    }
  }
}

/** Segment files in `dir` another process left behind: not ours, and untouched for `ORPHAN_AFTER_MS`. */
export function orphanedSegments(dir: string, log: UnsettledLog | undefined, now = Date.now()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith(".jsonl"));
  } catch {
    return [];
  }
  return names
    .map((name) => path.join(dir, name))
    .filter((file) => {
      if (log?.owns(file)) return false;
      try {
        return now - statSync(file).mtimeMs >= ORPHAN_AFTER_MS;
      } catch {
        return false; // recovered by another instance meanwhile
      }
    });
}

/**
 * The entries of a segment. A line cut short by the crash (the last one) was never followed by an
 * answer, so it is skipped; so is anything else unreadable (reported by `onBadLine`).
 */
export function readSegment(file: string, onBadLine: (line: string) => void): UnsettledEntry[] {
  const entries: UnsettledEntry[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue;
    try {
      const entry = JSON.parse(line) as UnsettledEntry;
      if (entry.kind === "settle" && typeof entry.requestId === "string") entries.push(entry);
      else onBadLine(line);
    } catch {
      onBadLine(line);
    }
  }
  return entries;
}

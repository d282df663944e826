import { hotPathDb } from "@/lib/db/hot-path";
import { newRequestId } from "@/lib/http/request-id";
import { insertRequestLog, type RequestLogRow } from "./request-log";
import { logger } from "@/lib/log";

const log = logger("billing");

// Receipts of requests refused before any money moved (400, 402, 403, 404, 413, 429 …). A flood of
// refusals must not cost a database write each, so per API key: the first REFUSALS_LOGGED_PER_MINUTE
// refusals of each minute get their own receipt (findable by x-request-id); the others in that
// minute are counted in memory and written as one aggregated receipt per (key, endpoint, status,
// error code) with `requestCount` = how many, when the minute ends (or at shutdown).

export const REFUSALS_LOGGED_PER_MINUTE = 10;
const MINUTE_MS = 60_000;
const MAX_TRACKED_KEYS = 50_000;

interface KeyWindow {
  minute: number;
  logged: number;
}

interface Aggregate {
  row: RequestLogRow;
  count: number;
}

export class RefusalLog {
  private windows = new Map<string, KeyWindow>();
  private aggregates = new Map<string, Aggregate>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private write: (row: RequestLogRow) => Promise<void>,
    private now: () => number = Date.now,
  ) {}

  /** Records one refusal: its own receipt (resolved once written), or a count in this minute's aggregate. */
  record(row: RequestLogRow): Promise<void> {
    const keyId = row.apiKeyId ?? row.organizationId;
    const minute = Math.floor(this.now() / MINUTE_MS);
    let window = this.windows.get(keyId);
    if (!window || window.minute !== minute) {
      if (this.windows.size >= MAX_TRACKED_KEYS) this.windows.clear();
      window = { minute, logged: 0 };
      this.windows.set(keyId, window);
    }
    if (window.logged < REFUSALS_LOGGED_PER_MINUTE) {
      window.logged++;
      return this.write(row).catch((err) => log.error({ err, requestId: row.id }, "could not write a receipt"));
    }
    const bucket = `${minute}|${keyId}|${row.endpoint}|${row.status}|${row.errorCode ?? ""}`;
    const aggregate = this.aggregates.get(bucket);
    if (aggregate) aggregate.count++;
    else this.aggregates.set(bucket, { row, count: 1 });
    this.scheduleFlush();
    return Promise.resolve();
  }

  /** Writes every aggregate of a minute that has ended (all of them with `all`). */
  async flush(all = false): Promise<void> {
    const currentMinute = Math.floor(this.now() / MINUTE_MS);
    const due = [...this.aggregates].filter(([bucket]) => all || Number(bucket.split("|")[0]) < currentMinute);
    for (const [bucket] of due) this.aggregates.delete(bucket);
    await Promise.all(
      due.map(([, { row, count }]) =>
        this.write({ ...row, id: newRequestId(), requestCount: count }).catch((err) =>
          log.error({ err, count }, "could not write an aggregated receipt"),
        ),
      ),
    );
  }

  private scheduleFlush() {
    if (this.timer) return;
    const untilNextMinute = MINUTE_MS - (this.now() % MINUTE_MS) + 50;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().then(() => {
        if (this.aggregates.size > 0) this.scheduleFlush();
      });
    }, untilNextMinute);
    this.timer.unref();
  }
}

const globalForRefusals = globalThis as unknown as { tokenflowRefusals?: RefusalLog };

export function refusalLog(): RefusalLog {
  globalForRefusals.tokenflowRefusals ??= new RefusalLog((row) => insertRequestLog(hotPathDb, row));
  return globalForRefusals.tokenflowRefusals;
}

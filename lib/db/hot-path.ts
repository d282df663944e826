import type { QueryConfig, QueryResult, QueryResultRow } from "pg";
import { isDatabaseUnavailable } from "./errors";
import { DB_CONNECT_TIMEOUT_MS, DB_QUERY_TIMEOUT_MS, getPool, timedQuery } from "./pool";
import { logger } from "@/lib/log";

const log = logger("db");

// The /v1 hot path's way to Postgres (key lookups, the catalog, admission, settlement, receipts).
// Two needs pull against each other: a burst of a thousand requests must queue for connections as
// long as it takes, while an unreachable database (refusing, or silently hanging) must turn into
// 503s within a couple of seconds instead of a growing queue. So the queue is ours: at most
// `pool max` hot queries run at once and the rest wait here, unbounded while the database answers;
// a sign of an outage (a refused or timed-out connection, a terminated backend, or two queries
// timing out within a few seconds) rejects everything waiting and fails new calls at once, letting
// one probe through every PROBE_INTERVAL_MS until one succeeds. A single query timeout is not
// enough: a burst can stall the event loop for half a second, and one late answer must not turn a
// busy instance into a 503 storm. A database that goes silent may give no such sign for a
// while: the queries holding every slot can be settlements, whose own timeout is long. So a waiter
// that has seen no query finish for `stallMs` (nothing answered since it queued) is a sign too.
// While down, the gate also probes on its own, so it is up again soon after the database returns
// even when no request came meanwhile (else the first burst after an outage meets the fast fail).

export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(config: QueryConfig): Promise<QueryResult<R>>;
}

const PROBE_INTERVAL_MS = 500;
const TIMEOUTS_WINDOW_MS = 5_000;

export class DatabaseUnavailableError extends Error {
  constructor() {
    super("database unavailable (fast fail while it does not answer)");
    this.name = "DatabaseUnavailableError";
    // Recognised by isDatabaseUnavailable() like a refused connection.
    Object.assign(this, { code: "ECONNREFUSED" });
  }
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  since: number;
}

export class HotPathGate {
  private active = 0;
  /** When each running query started (insertion order: the first is the oldest). */
  private running = new Set<{ since: number }>();
  private waiting: Waiter[] = [];
  private downSince: number | null = null;
  private lastProbeAt = 0;
  private probing = false;
  private lastAnswerAt = 0;
  private lastTimeoutAt = -Infinity;
  private stallTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;

  constructor(
    private maxActive: () => number,
    private now: () => number = Date.now,
    /** How long a waiter may see no query finish before the database counts as unavailable. */
    private stallMs: number = DB_CONNECT_TIMEOUT_MS,
    /** A cheap query the gate runs by itself every PROBE_INTERVAL_MS while the database is down. */
    private probe?: () => Promise<unknown>,
  ) {}

  get isDown(): boolean {
    return this.downSince !== null;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    let probe = false;
    if (this.downSince !== null) {
      if (this.probing || this.now() - this.lastProbeAt < PROBE_INTERVAL_MS) throw new DatabaseUnavailableError();
      probe = true;
      this.probing = true;
      this.lastProbeAt = this.now();
    }
    if (!probe && this.activeStalled()) {
      log.warn(
        { stalledMs: this.stallMs },
        "no query has finished for the stall time while queries run: the database counts as unavailable",
      );
      this.markDown();
      throw new DatabaseUnavailableError();
    }
    const entry = { since: 0 };
    try {
      if (!probe) await this.acquire();
      else this.active++;
      entry.since = this.now();
      this.running.add(entry);
      try {
        const result = await fn();
        this.downSince = null;
        this.lastAnswerAt = this.now();
        return result;
      } catch (err) {
        if (!isDatabaseUnavailable(err))
          this.lastAnswerAt = this.now(); // an answer, if an error
        else if (probe || this.isConclusive(err)) this.markDown();
        throw err;
      } finally {
        this.running.delete(entry);
        this.release();
      }
    } finally {
      if (probe) this.probing = false;
    }
  }

  /**
   * A caller's word that the database failed several calls at once (a batched statement standing
   * for many requests met an outage): conclusive like two timeouts in a row.
   */
  reportOutage(err: unknown): void {
    // A deadlock or serialization failure is transient and concerns those rows, not the database.
    const code = (err as { code?: unknown })?.code;
    if (code === "40001" || code === "40P01") return;
    if (isDatabaseUnavailable(err)) this.markDown();
  }

  /**
   * The oldest running query has run for stallMs and no query finished meanwhile: the database has
   * gone silent under the ones running (batched billing keeps few connections busy, so waiting
   * for a slot, below, is not the only sign).
   */
  private activeStalled(): boolean {
    const oldest = this.running.values().next().value;
    if (!oldest) return false;
    return this.now() - Math.max(oldest.since, this.lastAnswerAt) >= this.stallMs;
  }

  /**
   * A query timeout is conclusive when another one happened shortly before, or when calls were
   * waiting for its connection (handing it on would make the next one wait a timeout more).
   */
  private isConclusive(err: unknown): boolean {
    if (!/Query read timeout/.test((err as Error)?.message ?? "")) return true;
    if (this.waiting.length > 0) return true;
    const now = this.now();
    const conclusive = now - this.lastTimeoutAt < TIMEOUTS_WINDOW_MS;
    this.lastTimeoutAt = now;
    return conclusive;
  }

  private acquire(): Promise<void> {
    if (this.active < this.maxActive()) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject, since: this.now() });
      this.watchForStall();
    });
  }

  /** While calls wait, checks that queries keep finishing; if none did for stallMs, it is an outage. */
  private watchForStall() {
    if (this.stallTimer || this.waiting.length === 0) return;
    const stalledFor = () => this.now() - Math.max(this.waiting[0].since, this.lastAnswerAt);
    this.stallTimer = setTimeout(
      () => {
        this.stallTimer = undefined;
        if (this.waiting.length === 0) return;
        if (stalledFor() < this.stallMs) return this.watchForStall();
        log.warn(
          { stalledMs: stalledFor(), waiting: this.waiting.length },
          "no query has finished for the stall time while queries wait: the database counts as unavailable",
        );
        this.markDown();
      },
      Math.max(0, this.stallMs - stalledFor()),
    );
    this.stallTimer.unref?.();
  }

  private release() {
    const next = this.waiting.shift();
    if (next) next.resolve();
    else this.active--;
  }

  private markDown() {
    if (this.downSince === null) {
      this.downSince = this.now();
      this.lastProbeAt = this.now();
    }
    const waiting = this.waiting.splice(0); // their slots were never taken
    for (const waiter of waiting) waiter.reject(new DatabaseUnavailableError());
    this.probeUntilUp();
  }

  private probeUntilUp() {
    const probe = this.probe;
    if (!probe || this.probeTimer) return;
    this.probeTimer = setInterval(() => {
      if (this.downSince === null) {
        clearInterval(this.probeTimer);
        this.probeTimer = undefined;
        return;
      }
      this.run(probe).catch(() => undefined); // refused when a request is the probe right now
    }, PROBE_INTERVAL_MS);
    this.probeTimer.unref?.();
  }
}

const globalForGate = globalThis as unknown as { tokenflowHotPath?: HotPathGate };

function gate(): HotPathGate {
  globalForGate.tokenflowHotPath ??= new HotPathGate(
    () => getPool().options.max ?? 10,
    Date.now,
    DB_CONNECT_TIMEOUT_MS,
    () => getPool().query(timedQuery("SELECT 1", [], DB_QUERY_TIMEOUT_MS)),
  );
  return globalForGate.tokenflowHotPath;
}

/** The hot path's database: pool queries through the gate. */
export const hotPathDb: Queryable = {
  query<R extends QueryResultRow>(config: QueryConfig): Promise<QueryResult<R>> {
    return gate().run(() => getPool().query<R>(config));
  },
};

/** See HotPathGate.reportOutage. */
export function reportDatabaseOutage(err: unknown): void {
  gate().reportOutage(err);
}

/** Is the database known to be unavailable right now (the gate fails calls fast)? */
export function isDatabaseDown(): boolean {
  return gate().isDown;
}

import { mkdirSync, readdirSync, renameSync } from "node:fs";
import { open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { getPool } from "@/lib/db/pool";
import { isDatabaseUnavailable } from "@/lib/db/errors";
import { releaseHold, settleHold } from "./holds";
import type { RequestLogRow } from "./request-log";
import { ORPHAN_AFTER_MS, orphanedSegments, readSegment, UnsettledLog } from "./unsettled-log";
import { logger } from "@/lib/log";

const log = logger("billing");

// Money steps that could not reach the database are written here, one fsynced file per request,
// and replayed until they land: a request whose settlement failed (Postgres down, a connection
// killed mid-statement) is charged exactly once when the database returns, never free and never
// twice (tf_settle is idempotent by request id and also settles a hold the sweeper released), and
// its hold is not left locked until the sweeper runs. A hold admitted after its caller gave up
// waiting (a timeout) is released the same way. The folder lives in the data directory, so the
// journal survives a restart of the instance. Instances may share the folder: replaying an entry is
// idempotent, so whichever instance gets to it first lands it, and one that is gone for good
// (replaced, scaled away) leaves nothing stranded.
//
// Its `unsettled` log holds what was answered and not yet settled (lib/billing/unsettled-log.ts);
// segments a dead process left there are replayed from here, entry by entry, like journal entries.

export type JournalEntry =
  { kind: "settle"; requestId: string; costNanos: string; log: RequestLogRow } | { kind: "release"; requestId: string };

const REPLAY_INTERVAL_MS = 5_000;

export class SettlementJournal {
  private timer: NodeJS.Timeout | undefined;
  private replaying: Promise<void> | undefined;
  private stopped = false;
  private orphanCheck: NodeJS.Timeout | undefined;
  /** Settlements answered and not yet landed, in `<dir>/unsettled`. */
  readonly unsettled: UnsettledLog;
  /** Settlements neither the database nor the journal took, by request id (see retryLater). */
  private readonly stranded = new Map<string, { entry: JournalEntry; landed: () => void }>();

  constructor(readonly dir: string) {
    this.unsettled = new UnsettledLog(path.join(dir, "unsettled"));
  }

  /** Durably records an entry (written to a temporary file, fsynced, renamed). */
  async add(entry: JournalEntry): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, `${entry.requestId}.${entry.kind}.json`);
    const tmp = `${file}.tmp`;
    const handle = await open(tmp, "w", 0o600);
    try {
      await handle.writeFile(JSON.stringify(entry, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    this.schedule();
  }

  /**
   * A settlement the database did not take and the journal could not record (the disk full, say):
   * it is still in the unsettled log, which only a later start would replay. Retried from memory
   * with every replay, settled directly once the database is back or journaled once the disk takes
   * it, so it lands while this process lives; `landed` then lets its unsettled segment go.
   */
  retryLater(entry: JournalEntry, landed: () => void): void {
    this.stranded.set(entry.requestId, { entry, landed });
    this.schedule();
  }

  /** Request ids of the settlements waiting in memory (retryLater). */
  strandedIds(): string[] {
    return [...this.stranded.keys()];
  }

  /** Entries waiting to land. */
  pending(): string[] {
    try {
      return readdirSync(this.dir).filter((name) => name.endsWith(".json"));
    } catch {
      return [];
    }
  }

  /** Replays every waiting entry once; stops early while the database is unavailable. */
  replay(): Promise<void> {
    this.replaying ??= this.replayOnce().finally(() => (this.replaying = undefined));
    return this.replaying;
  }

  /**
   * Replays on start (entries left by a previous run) and every few seconds while entries wait;
   * looks for unsettled segments a dead process left behind twice per `ORPHAN_AFTER_MS`.
   */
  start(): void {
    this.stopped = false;
    if (this.pending().length > 0 || this.orphans().length > 0) this.schedule(0);
    clearInterval(this.orphanCheck);
    this.orphanCheck = setInterval(() => {
      if (this.orphans().length > 0) this.schedule(0);
    }, ORPHAN_AFTER_MS / 2);
    this.orphanCheck.unref();
  }

  /** No more timed replays (shutdown); replay() still works. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    clearInterval(this.orphanCheck);
    this.orphanCheck = undefined;
  }

  /** Unsettled segments to recover: left by a dead process, or taken over by this one and not finished. */
  orphans(): string[] {
    const dir = this.unsettled.dir;
    const taken = this.unsettled.takenOver();
    return [...taken, ...orphanedSegments(dir, this.unsettled).filter((f) => !taken.includes(f))];
  }

  private schedule(delayMs = REPLAY_INTERVAL_MS) {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Whatever a replay ran into, entries still waiting get another one.
      void this.replay()
        .catch((err: Error) => log.error({ err }, "settlement journal replay failed"))
        .finally(() => {
          if (this.pending().length > 0 || this.unsettled.takenOver().length > 0 || this.stranded.size > 0) {
            this.schedule();
          }
        });
    }, delayMs);
    this.timer.unref();
  }

  private async replayOnce(): Promise<void> {
    await this.retryStranded();
    if (!(await this.recoverUnsettled())) return;
    for (const name of this.pending()) {
      const file = path.join(this.dir, name);
      let entry: JournalEntry;
      try {
        entry = JSON.parse(await readFile(file, "utf8")) as JournalEntry;
      } catch (err) {
        // Instances may share one journal folder (docker-compose.yml): another one landed it first.
        if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
        log.error({ err, entry: name }, "unreadable settlement journal entry");
        await rename(file, `${file}.unreadable`).catch(() => undefined);
        continue;
      }
      try {
        await applyEntry(entry);
        await rm(file, { force: true });
        log.warn({ kind: entry.kind, requestId: entry.requestId }, `journaled ${entry.kind} landed`);
      } catch (err) {
        if (isDatabaseUnavailable(err)) return; // try again later
        // Not an outage: retrying would fail the same way. Kept aside for an operator, loudly.
        log.error(
          { err, kind: entry.kind, requestId: entry.requestId, setAsideAs: `${name}.failed` },
          `journaled ${entry.kind} failed and was set aside`,
        );
        await rename(file, `${file}.failed`).catch(() => undefined);
      }
    }
  }

  private async retryStranded(): Promise<void> {
    let databaseAway = false;
    for (const [requestId, { entry, landed }] of this.stranded) {
      try {
        if (databaseAway) throw new Error("the database is unavailable");
        await applyEntry(entry);
        log.warn({ kind: entry.kind, requestId }, `stranded ${entry.kind} landed`);
      } catch (err) {
        // Down still, or refused for good: into the journal if it takes it now (its replay retries,
        // or sets the entry aside for an operator); if not, it stays here for the next replay.
        if (isDatabaseUnavailable(err)) databaseAway = true;
        else if (!databaseAway) log.error({ err, kind: entry.kind, requestId }, `stranded ${entry.kind} failed`);
        try {
          await this.add(entry);
        } catch {
          continue;
        }
      }
      this.stranded.delete(requestId);
      landed();
    }
  }

  /**
   * Settles what dead processes answered and never settled; false when the database went away
   * meanwhile (what is left waits for the next replay). A segment is first renamed to one of ours,
   * so two instances do not both replay it (replaying twice would still charge once).
   */
  private async recoverUnsettled(): Promise<boolean> {
    for (const orphan of this.orphans()) {
      let file = orphan;
      if (!this.unsettled.owns(orphan)) {
        file = this.unsettled.takeOver(orphan);
        try {
          renameSync(orphan, file);
        } catch {
          this.unsettled.release(file); // another instance took it first
          continue;
        }
      }
      const entries = readSegment(file, (line) =>
        log.error({ segment: path.basename(file), line: line.slice(0, 200) }, "unreadable unsettled entry skipped"),
      );
      for (const entry of entries) {
        try {
          await applyEntry(entry);
        } catch (err) {
          if (isDatabaseUnavailable(err)) return false; // the whole segment again, later: replays are no-ops
          // Not an outage: into the journal, which retries it and sets it aside for an operator if it fails again.
          log.error({ err, requestId: entry.requestId }, "unsettled entry could not be settled; journaled");
          await this.add(entry);
        }
      }
      this.unsettled.release(file);
      log.warn(
        { segment: path.basename(orphan), entries: entries.length },
        "recovered unsettled requests of a stopped process",
      );
    }
    return true;
  }
}

async function applyEntry(entry: JournalEntry): Promise<void> {
  const pool = getPool();
  if (entry.kind === "release") {
    await releaseHold(pool, entry.requestId);
    return;
  }
  const log = { ...entry.log, createdAt: new Date(entry.log.createdAt) };
  await settleHold(pool, entry.requestId, BigInt(entry.costNanos), log);
}

const globalForJournal = globalThis as unknown as { tokenflowJournal?: SettlementJournal };

/** The process's journal, in $TOKENFLOW_DATA_DIR/settlement-journal (default ./.data). */
export function settlementJournal(): SettlementJournal {
  globalForJournal.tokenflowJournal ??= new SettlementJournal(
    path.join(path.resolve(process.env.TOKENFLOW_DATA_DIR ?? ".data"), "settlement-journal"),
  );
  return globalForJournal.tokenflowJournal;
}

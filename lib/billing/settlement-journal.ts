import { mkdirSync, readdirSync } from "node:fs";
import { open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { getPool } from "@/lib/db/pool";
import { isDatabaseUnavailable } from "@/lib/db/errors";
import { releaseHold, settleHold } from "./holds";
import type { RequestLogRow } from "./request-log";
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

export type JournalEntry =
  { kind: "settle"; requestId: string; costNanos: string; log: RequestLogRow } | { kind: "release"; requestId: string };

const REPLAY_INTERVAL_MS = 5_000;

export class SettlementJournal {
  private timer: NodeJS.Timeout | undefined;
  private replaying: Promise<void> | undefined;
  private stopped = false;

  constructor(readonly dir: string) {}

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

  /** Replays on start (entries left by a previous run) and every few seconds while entries wait. */
  start(): void {
    this.stopped = false;
    if (this.pending().length > 0) this.schedule(0);
  }

  /** No more timed replays (shutdown); replay() still works. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs = REPLAY_INTERVAL_MS) {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Whatever a replay ran into, entries still waiting get another one.
      void this.replay()
        .catch((err: Error) => log.error({ err }, "settlement journal replay failed"))
        .finally(() => {
          if (this.pending().length > 0) this.schedule();
        });
    }, delayMs);
    this.timer.unref();
  }

  private async replayOnce(): Promise<void> {
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

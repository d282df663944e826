import { newRequestId } from "@/lib/http/request-id";
import type { AdmitResult, HoldRequest } from "./holds";

// Pre-admitted holds (issue 13): for a busy key, this instance admits a few holds ahead of need, so
// a request whose hold fits takes one from memory and goes to the upstream without waiting for the
// database. Every pooled hold is a real Hold row admitted by the same statements as any other
// (balance, key and member limits enforced there, exactly), under an id that becomes the request id
// of the request that takes it; settlement, receipts, the unsettled log and the sweeper see an
// ordinary hold. What the pool changes is only when a hold is admitted.
//
// Money the pool reserves is not spendable elsewhere while it waits, so the pool is kept small and
// only where it cannot matter:
//   - only for keys with no spend limit whose member has no monthly cap (KeyContext.holdPooling);
//   - only while the key is busy (HOT_ADMISSIONS a second), and released after IDLE_MS without use;
//   - only while what the pools here reserve for an organization, all its keys together, is at most
//     1/1000 of its balance (as last read);
//   - an admission refused for money releases the organization's pools here first (see pipeline.ts);
//   - a refused refill releases the pool and pauses it; so does drain (shutdown);
//   - a pooled hold older than maxAgeMs is released, not used: its request must still settle long
//     before the sweeper would take its hold for an orphan; after a crash the sweeper releases them.

/** Admissions a second (pooled or not) from which a key gets a pool. */
export const HOT_ADMISSIONS = 20;
/** A pool not drawn on for this long is released. */
export const IDLE_MS = 2_000;
/** After a refused or failed refill: no pool for the key for this long. */
export const PAUSE_MS = 10_000;
const MIN_POOL = 2;
const MAX_POOL = 64;
/** The pool reserves at most this fraction of the organization's balance. */
const BALANCE_FRACTION = 1_000n;

export interface PoolKey {
  apiKeyId: string;
  organizationId: string;
  /** The key has no spend limit and its member no monthly cap. */
  holdPooling: boolean;
  /** The organization's balance when the key was last read (a guide, not a guarantee). */
  orgBalanceNanos: bigint;
}

export interface PoolBilling {
  admit(hold: HoldRequest): Promise<AdmitResult>;
  /** Releases a pooled hold that no request took; must not throw (journal what it cannot do now). */
  release(requestId: string): Promise<void>;
}

interface PooledHold {
  id: string;
  amount: bigint;
  admittedAt: number;
}

interface KeyPool {
  organizationId: string;
  apiKeyId: string;
  holds: PooledHold[]; // oldest first
  /** Refills are of the largest hold a request of this key asked for lately. */
  amount: bigint;
  refilling: number;
  lastTakeAt: number;
}

interface Demand {
  windowStart: number;
  count: number;
  /** Admissions counted in the last full second. */
  rate: number;
  pausedUntil: number;
}

export interface HoldPoolStats {
  taken: number;
  missed: number;
  admitted: number;
  released: number;
  refused: number;
}

export class HoldPools {
  private readonly pools = new Map<string, KeyPool>();
  private readonly demand = new Map<string, Demand>();
  /** What this instance's pools hold or are admitting, per organization. */
  private readonly reserved = new Map<string, bigint>();
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  readonly stats: HoldPoolStats = { taken: 0, missed: 0, admitted: 0, released: 0, refused: 0 };

  constructor(
    private readonly billing: PoolBilling,
    private readonly options: { maxAgeMs: number; now?: () => number },
  ) {}

  private now(): number {
    return this.options.now?.() ?? performance.now();
  }

  /**
   * A pooled hold of at least `amountNanos` for this key, now, or undefined (then admit as usual).
   * Either way the demand is counted, and the pool (re)filled in the background where it may be.
   */
  take(key: PoolKey, amountNanos: bigint): string | undefined {
    if (this.closed) return undefined;
    const now = this.now();
    const rate = this.countDemand(key.apiKeyId, now);
    const pool = this.pools.get(key.apiKeyId);
    if (!key.holdPooling) {
      if (pool) this.dissolve(pool);
      return undefined;
    }
    if (!pool) {
      const demand = this.demand.get(key.apiKeyId)!;
      if (rate < HOT_ADMISSIONS || demand.pausedUntil > now) return undefined;
      const created: KeyPool = {
        organizationId: key.organizationId,
        apiKeyId: key.apiKeyId,
        holds: [],
        amount: amountNanos,
        refilling: 0,
        lastTakeAt: now,
      };
      this.pools.set(key.apiKeyId, created);
      this.startTimer();
      this.refill(created, key, rate);
      return undefined;
    }
    pool.lastTakeAt = now;
    if (amountNanos > pool.amount) pool.amount = amountNanos;
    let taken: PooledHold | undefined;
    const oldest = now - this.options.maxAgeMs;
    for (let i = 0; i < pool.holds.length; i++) {
      const hold = pool.holds[i];
      if (hold.admittedAt < oldest) continue; // released by the timer
      if (hold.amount >= amountNanos) {
        taken = hold;
        pool.holds.splice(i, 1);
        break;
      }
    }
    if (taken) this.reserve(pool.organizationId, -taken.amount); // no longer the pool's: the request's
    this.refill(pool, key, rate);
    if (!taken) {
      this.stats.missed++;
      return undefined;
    }
    this.stats.taken++;
    return taken.id;
  }

  /**
   * An admission of this organization was refused for money: the holds pooled here for it go back
   * to its balance (awaited, so a retry sees them) and its pools pause. True when there were any.
   */
  async releaseOrganization(organizationId: string): Promise<boolean> {
    const released: Promise<void>[] = [];
    let holds = 0;
    for (const pool of this.pools.values()) {
      if (pool.organizationId !== organizationId) continue;
      this.pause(pool.apiKeyId);
      holds += pool.holds.length;
      released.push(this.dissolve(pool));
    }
    await Promise.all(released);
    return holds > 0;
  }

  /** Drain: no more pooling; every pooled hold goes back. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.pools.values()].map((pool) => this.dissolve(pool)));
  }

  /** Holds pooled here now (tests, metrics). */
  pooled(): number {
    let n = 0;
    for (const pool of this.pools.values()) n += pool.holds.length;
    return n;
  }

  /** What the pools here hold or are admitting for an organization (tests). */
  reservedNanos(organizationId: string): bigint {
    return this.reserved.get(organizationId) ?? 0n;
  }

  /** Releases idle pools and holds too old to use; the timer's work, callable from tests. */
  async tidy(): Promise<void> {
    const now = this.now();
    const released: Promise<void>[] = [];
    for (const pool of this.pools.values()) {
      if (now - pool.lastTakeAt >= IDLE_MS) {
        released.push(this.dissolve(pool));
        continue;
      }
      const oldest = now - this.options.maxAgeMs;
      const stale = pool.holds.filter((h) => h.admittedAt < oldest);
      if (stale.length === 0) continue;
      pool.holds = pool.holds.filter((h) => h.admittedAt >= oldest);
      released.push(...stale.map((h) => this.release(pool.organizationId, h)));
    }
    for (const [apiKeyId, demand] of this.demand) {
      if (now - demand.windowStart > PAUSE_MS && demand.pausedUntil <= now && !this.pools.has(apiKeyId)) {
        this.demand.delete(apiKeyId);
      }
    }
    if (this.pools.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    await Promise.all(released);
  }

  private countDemand(apiKeyId: string, now: number): number {
    let demand = this.demand.get(apiKeyId);
    if (!demand) {
      demand = { windowStart: now, count: 0, rate: 0, pausedUntil: 0 };
      this.demand.set(apiKeyId, demand);
    }
    const elapsed = now - demand.windowStart;
    if (elapsed >= 1_000) {
      // The last full window's count; a gap of more than one window means the key went quiet.
      demand.rate = elapsed < 2_000 ? demand.count : 0;
      demand.windowStart = now;
      demand.count = 0;
    }
    demand.count++;
    return Math.max(demand.rate, demand.count);
  }

  /**
   * Tops the pool up to enough holds for the key's rate over a few refill round trips, within what
   * the organization's pools here may reserve (BALANCE_FRACTION of its balance, all keys together).
   */
  private refill(pool: KeyPool, key: PoolKey, rate: number) {
    const wanted = Math.min(MAX_POOL, Math.max(MIN_POOL, Math.ceil(rate / 50)));
    let missing = wanted - pool.holds.length - pool.refilling;
    if (missing <= 0 || pool.amount <= 0n) return;
    const room = key.orgBalanceNanos / BALANCE_FRACTION - (this.reserved.get(pool.organizationId) ?? 0n);
    const affordable = room > 0n ? room / pool.amount : 0n;
    if (affordable < BigInt(missing)) missing = Number(affordable);
    for (let i = 0; i < missing; i++) void this.admitOne(pool);
  }

  private async admitOne(pool: KeyPool): Promise<void> {
    const hold: HoldRequest = {
      requestId: newRequestId(),
      organizationId: pool.organizationId,
      apiKeyId: pool.apiKeyId,
      amountNanos: pool.amount,
    };
    pool.refilling++;
    this.reserve(pool.organizationId, hold.amountNanos);
    let result: AdmitResult | "error";
    try {
      result = await this.billing.admit(hold);
    } catch {
      result = "error"; // the caller of billing.admit journals a release when the hold may exist
    } finally {
      pool.refilling--;
    }
    if (result !== "ok") {
      this.reserve(pool.organizationId, -hold.amountNanos);
      if (result !== "error") this.stats.refused++;
      if (this.pools.get(pool.apiKeyId) === pool) {
        this.pause(pool.apiKeyId);
        await this.dissolve(pool);
      }
      return;
    }
    this.stats.admitted++;
    const pooled = { id: hold.requestId, amount: hold.amountNanos, admittedAt: this.now() };
    // Dissolved (idle, refused, drained) while this one was on its way: it goes straight back.
    if (this.closed || this.pools.get(pool.apiKeyId) !== pool) return this.release(pool.organizationId, pooled);
    pool.holds.push(pooled);
  }

  private pause(apiKeyId: string) {
    const demand = this.demand.get(apiKeyId);
    if (demand) demand.pausedUntil = this.now() + PAUSE_MS;
  }

  private dissolve(pool: KeyPool): Promise<void> {
    if (this.pools.get(pool.apiKeyId) === pool) this.pools.delete(pool.apiKeyId);
    const holds = pool.holds;
    pool.holds = [];
    return Promise.all(holds.map((h) => this.release(pool.organizationId, h))).then(() => undefined);
  }

  private async release(organizationId: string, hold: PooledHold): Promise<void> {
    this.stats.released++;
    this.reserve(organizationId, -hold.amount);
    await this.billing.release(hold.id);
  }

  private reserve(organizationId: string, delta: bigint) {
    const total = (this.reserved.get(organizationId) ?? 0n) + delta;
    if (total === 0n) this.reserved.delete(organizationId);
    else this.reserved.set(organizationId, total);
  }

  private startTimer() {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tidy(), Math.min(500, this.options.maxAgeMs / 2));
    this.timer.unref();
  }
}

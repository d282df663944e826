// A tiny per-process cache with a time-to-live and in-flight de-duplication, for data that may be
// a couple of seconds stale across instances (keys, models, channels). Money never comes from here.
export class TtlCache<V> {
  private entries = new Map<string, { value: Promise<V>; expiresAt: number }>();

  constructor(
    private ttlMs: number,
    private maxEntries = 10_000,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    const value = load();
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const entry = { value, expiresAt: now + this.ttlMs };
    this.entries.set(key, entry);
    // Never cache a failure, and never let a stale failure evict a newer entry.
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }

  delete(key: string) {
    this.entries.delete(key);
  }

  clear() {
    this.entries.clear();
  }
}

// A tiny per-process cache with a time-to-live and in-flight de-duplication, for data that may be
// a couple of seconds stale across instances (keys, models, channels). Money never comes from here.
export class TtlCache<V> {
  private entries = new Map<string, { value: Promise<V>; expiresAt: number }>();

  constructor(private ttlMs: number, private maxEntries = 10_000) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    const value = load();
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    value.catch(() => this.entries.delete(key)); // never cache a failure
    return value;
  }

  delete(key: string) {
    this.entries.delete(key);
  }

  clear() {
    this.entries.clear();
  }
}

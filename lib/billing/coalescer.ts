// Natural batching per organization: at most one call in flight for an organization; the calls
// that arrive while it runs go together in the next one. A lone request is sent at once (no timer,
// no added latency); under load the batch grows by itself to what arrived during one round trip.
// Different organizations never wait for each other.

export interface CoalescerOptions<I, R> {
  /** One item: the plain single-item call. */
  one(group: string, item: I): Promise<R>;
  /** Several items of one group, one result per item in order. */
  many(group: string, items: I[]): Promise<R[]>;
  /**
   * Whether a failed batch should fail all its items (the database is unavailable: each caller
   * handles that as it would for one call) rather than be retried item by item (a bad item must
   * not fail the others).
   */
  failsAll(err: unknown): boolean;
  /** Told when such an error failed a call and `waiting` more queued behind it (failed with it). */
  onOutage?(err: unknown, waiting: number): void;
  /**
   * An error to fail a call with at once instead of queueing it behind the one in flight (the
   * database is known to be down: that call is a probe and may take its whole timeout).
   */
  failFast?(): Error | undefined;
  maxBatch?: number;
}

interface Pending<I, R> {
  item: I;
  resolve(result: R): void;
  reject(err: unknown): void;
}

export class Coalescer<I, R> {
  private queues = new Map<string, Pending<I, R>[]>();
  private readonly maxBatch: number;
  /** Batches sent (more than one item) and the items they carried, for benchmarks and tests. */
  readonly stats = { batches: 0, batchedItems: 0, singles: 0 };

  constructor(private readonly options: CoalescerOptions<I, R>) {
    this.maxBatch = options.maxBatch ?? 256;
  }

  submit(group: string, item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const queue = this.queues.get(group);
      if (queue) {
        const refusal = this.options.failFast?.();
        if (refusal) return reject(refusal);
        queue.push({ item, resolve, reject }); // a call for this group is in flight: wait for the next batch
        return;
      }
      const fresh: Pending<I, R>[] = [{ item, resolve, reject }];
      this.queues.set(group, fresh);
      void this.drain(group, fresh);
    });
  }

  private async drain(group: string, queue: Pending<I, R>[]): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, this.maxBatch);
      const outage = await this.send(group, batch);
      // What queued behind a call that met an outage would meet it too, one timeout later each:
      // it fails now, like the call (the database's own gate then answers new calls at once).
      if (outage !== undefined) {
        const waiting = queue.splice(0);
        this.options.onOutage?.(outage, batch.length - 1 + waiting.length);
        for (const p of waiting) p.reject(outage);
      }
    }
    this.queues.delete(group);
  }

  /** Sends one batch; returns the error when it failed for every item (an outage). */
  private async send(group: string, batch: Pending<I, R>[]): Promise<unknown> {
    if (batch.length === 1) {
      this.stats.singles++;
      try {
        batch[0].resolve(await this.options.one(group, batch[0].item));
      } catch (err) {
        batch[0].reject(err);
        if (this.options.failsAll(err)) return err;
      }
      return undefined;
    }
    this.stats.batches++;
    this.stats.batchedItems += batch.length;
    let results: R[];
    try {
      results = await this.options.many(
        group,
        batch.map((p) => p.item),
      );
    } catch (err) {
      if (this.options.failsAll(err)) {
        for (const p of batch) p.reject(err);
        return err;
      }
      for (const p of batch) await this.options.one(group, p.item).then(p.resolve, p.reject); // in order
      return undefined;
    }
    batch.forEach((p, i) => p.resolve(results[i]));
    return undefined;
  }
}

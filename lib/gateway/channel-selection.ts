// Which channels to try, in order: highest priority tier first, weighted random inside a tier.
// Pure: randomness and health are injected, so it is unit-tested without a database.

export interface SelectableChannel {
  id: string;
  priority: number;
  weight: number;
}

export function orderChannels<C extends SelectableChannel>(
  channels: C[],
  isAvailable: (channel: C) => boolean,
  random: () => number = Math.random,
): C[] {
  const available = channels.filter(isAvailable);
  // When every channel of a model is out of rotation, keep trying them anyway: ejecting the last
  // healthy channel would turn a flaky upstream into a hard outage.
  const pool = available.length > 0 ? available : channels;
  const tiers = new Map<number, C[]>();
  for (const channel of pool) {
    const tier = tiers.get(channel.priority) ?? [];
    tier.push(channel);
    tiers.set(channel.priority, tier);
  }
  return [...tiers.keys()].sort((a, b) => b - a).flatMap((priority) => weightedShuffle(tiers.get(priority)!, random));
}

/** Weighted random order without replacement (weight 0 channels go last, in random order). */
export function weightedShuffle<C extends SelectableChannel>(items: C[], random: () => number): C[] {
  const remaining = [...items];
  const ordered: C[] = [];
  while (remaining.length > 0) {
    const total = remaining.reduce((sum, c) => sum + Math.max(0, c.weight), 0);
    let index = 0;
    if (total > 0) {
      let point = random() * total;
      index = remaining.findIndex((c) => (point -= Math.max(0, c.weight)) < 0);
      if (index < 0) index = remaining.length - 1;
    } else {
      index = Math.floor(random() * remaining.length);
    }
    ordered.push(remaining.splice(index, 1)[0]);
  }
  return ordered;
}
